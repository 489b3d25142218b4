"""One screen of what matters: the terminal answer of ``kneecoach assess``.

The full report (every finding, evidence table, disagreement and phase) runs to many screens, so
a runner at a terminal would scroll past what to do before reading it. The summary answers, in
order: must I see someone first, what kind of knee problem this looks like and why, what to do
this week, and where the rest is. The full report is written to a file beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kneecoach.intake.units import KM, DistanceFormat, distance_format
from kneecoach.render.markdown import URGENCY_LABEL
from kneecoach.render.triage import examine_first_lines, hold_lines, raised_by_text, week_text

if TYPE_CHECKING:
    from kneecoach.engine import Assessment
    from kneecoach.plan.models import Plan, PlanPhase

#: How many ranked hypotheses the summary names (the report has them all).
TOP_HYPOTHESES = 3


def _first_phase(plan: Plan) -> PlanPhase | None:
    """The phase the runner is in (stored after a review), else the first one with exercises."""
    if plan.current_phase:
        for ph in plan.phases:
            if ph.id == plan.current_phase:
                return ph
    return next((ph for ph in plan.phases if ph.exercises), None)


def render_summary(a: Assessment, report: str | None = None, unit: str = "km") -> str:
    """Markdown for one terminal screen (distances in ``unit``); ``report`` names where the full report was written."""
    out: list[str] = [f"# kneecoach: {a.profile_name}", "", f"> {a.disclaimer}", ""]
    if a.referral:
        out += [f"## See a clinician first ({URGENCY_LABEL[a.referral.urgency]})", "", a.referral.message, ""]
        if a.referral.action:
            out += [f"**What to do:** {a.referral.action}", ""]
        out += [f"- {h.question} {h.reason} {raised_by_text(h)}".rstrip() for h in a.referral.reasons]
        out += ["", "No exercise plan is given while a warning sign is present.", ""]
    examine = examine_first_lines(a.pathway)
    if examine:
        out += [f"## {examine[0]}", "", *(line + "\n" for line in examine[1:])]
    if a.unanswered_red_flags:
        out += [f"**{len(a.unanswered_red_flags)} safety question(s) not answered**: see the full report.", ""]
    if a.kujala and a.kujala.score is not None:
        out += [f"**Kujala score:** {a.kujala.score}/100. {a.kujala.interpretation}", ""]
    if a.pathway:
        out += [f"## {a.pathway.name}", "", a.pathway.summary, ""]
    if a.hypotheses and not a.pain_free:
        out += ["## Most likely imbalances", ""]
        for i, h in enumerate(a.hypotheses[:TOP_HYPOTHESES], 1):
            sides = f" ({', '.join(s.value for s in h.sides)})" if h.sides else ""
            why = f": {h.evidence[0].finding} (`{h.evidence[0].source}`)" if h.evidence else ""
            out.append(f"{i}. **{h.name}**{sides}, {h.confidence} confidence{why}")
        if len(a.hypotheses) > TOP_HYPOTHESES:
            out += ["", f"...and {len(a.hypotheses) - TOP_HYPOTHESES} more in the full report."]
        out.append("")
    if a.plan:
        out += _this_week(a.plan, distance_format(unit))
    if report:
        out += [f"**Full report:** {report}", ""]
    return "\n".join(out).rstrip() + "\n"


def _this_week(plan: Plan, dist: DistanceFormat = KM) -> list[str]:
    out = ["## This week", ""]
    week = plan.mileage_ramp[0] if plan.mileage_ramp else None
    held = hold_lines(plan)
    if held:
        out.append(f"- **Running:** none. {held[0]} {held[1]}")
    elif week is None or week.km <= 0:
        reason = plan.pathway.ramp_note if plan.pathway and plan.pathway.ramp_note else (week.note if week else "")
        out.append(f"- **Running:** none this week. {reason}".rstrip())
    else:
        note = f" ({week_text(week)})" if week_text(week) else ""
        out.append(f"- **Running:** {dist.km(week.km)} in the week, longest run {dist.km(week.long_run_km)}{note}.")
    phase = _first_phase(plan)
    if phase:
        out.append(f"- **Exercises** ({phase.name}):")
        out += [f"  - {e.name}: {e.dose.text}" for e in phase.exercises]
    later = [ph.name for ph in plan.phases if phase is None or ph.order > phase.order]
    if later:
        out.append(f"- **Then:** {', '.join(later)}")
    out.append("")
    return out
