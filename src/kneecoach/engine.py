"""One call from a profile to an explained result: ``assess(profile) -> Assessment``.

The flow is the one in the design: screen for red flags (stop and refer if
any), score Kujala, read findings, rank hypotheses, build the plan, and pick
the source disagreements that touch this runner. Every step is a pure
function of the profile and the knowledge base, so the same profile always
gives the same assessment; the CLI and the web app both call this.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kneecoach.assessment.reasoning import (
    ConditionMatch,
    Disagreement,
    Finding,
    Hypothesis,
    disagreements,
    find,
    match_conditions,
    rank,
)
from kneecoach.assessment.pathways import choose_pathway
from kneecoach.intake.units import distance_format
from kneecoach.intake.kujala import KujalaResult, score_kujala
from kneecoach.intake.profile import Profile
from kneecoach.intake.screen import Referral, screen
from kneecoach.assessment.kb import load_kb
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.plan.build import build_plan
from kneecoach.plan.models import PathwayChoice, Plan


class Assessment(BaseModel):
    """Everything kneecoach concludes from one profile."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    profile_name: str
    kb_version: str
    disclaimer: str
    referral: Referral | None
    unanswered_red_flags: list[str]
    kujala: KujalaResult | None
    findings: list[Finding]
    hypotheses: list[Hypothesis]
    conditions: list[ConditionMatch]
    pathway: PathwayChoice | None = None
    """The condition pathway the plan follows (None when a red flag refers instead)."""
    disagreements: list[Disagreement]
    plan: Plan | None
    pain_free: bool = False
    """No knee pain: the checks and plan are for prevention."""


def assess(profile: Profile, kb: KnowledgeBase | None = None, unit: str = "km") -> Assessment:
    """Assess a profile. A red flag yields a referral and no plan. ``unit`` (km or mi, the runner's) words
    the plan's notes; it changes no number and no decision."""
    kb = kb or load_kb()
    screened = screen(profile, kb)
    kujala = score_kujala(profile.kujala, kb.kujala) if profile.kujala else None
    findings = find(profile, kb)
    hypotheses = rank(findings, kb)
    pathway = None if screened.referral else choose_pathway(profile, findings, kb)
    plan = None if pathway is None else build_plan(profile, findings, hypotheses, kb, pathway,
                                                   fmt=distance_format(unit))
    relevant = {h.id for h in hypotheses} | ({pathway.id} if pathway else set())
    if plan:
        relevant |= {e.id for p in plan.phases for e in p.exercises} | {e.id for e in plan.excluded}
    return Assessment(
        profile_name=profile.name,
        kb_version=kb.version,
        disclaimer=kb.rules.disclaimer,
        referral=screened.referral,
        unanswered_red_flags=screened.unanswered,
        kujala=kujala,
        findings=findings,
        hypotheses=hypotheses,
        conditions=match_conditions(findings, kb),
        pathway=pathway,
        disagreements=disagreements(relevant, kb),
        plan=plan,
        pain_free=profile.pain_free,
    )


__all__ = ["Assessment", "assess", "load_kb", "KnowledgeBase"]
