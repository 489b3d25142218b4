"""Triage in words, shared by every face: which answers raised a flag, "examine first", running on hold.

Terminal, Markdown, PDF, web and FHIR all state the same reasons in the same words, so a
runner reading any of them learns why running is held and what lets it restart.
"""

from __future__ import annotations

from kneecoach.intake.screen import RedFlagHit
from kneecoach.plan.models import PathwayChoice, Plan, RampWeek

URGENCY_WORDS = {"emergency": "emergency: today", "urgent": "urgent: within days", "soon": "soon: within weeks"}


def raised_by_text(hit: RedFlagHit) -> str:
    """'' for a flag answered yes; else 'Raised by answers you already gave: age: 12; ...'."""
    return f"Raised by answers you already gave: {'; '.join(hit.raised_by)}." if hit.raised_by else ""


def examine_first_lines(pathway: PathwayChoice | None) -> list[str]:
    """The triage pathway's "see a clinician" in plain sentences (empty when none)."""
    ref = pathway.referral if pathway else None
    if ref is None:
        return []
    lines = [f"See a clinician for an examination first ({URGENCY_WORDS[ref.urgency]}).", ref.reason, ref.action]
    if ref.raised_by:
        lines.append("Because of your answers: " + "; ".join(ref.raised_by) + ".")
    return lines


def hold_lines(plan: Plan | None) -> list[str]:
    """Why running is held at 0 km, and what restarts it (empty when running is allowed)."""
    if plan is None or plan.running_hold is None:
        return []
    return [f"Running is on hold: {plan.running_hold.reason}", plan.running_hold.restart]


def week_text(w: RampWeek) -> str:
    """One ramp week's note with its walk-run sessions, for tables and calendars."""
    return "; ".join(x for x in (w.note, f"walk-run: {w.walk_run}" if w.walk_run else "") if x)
