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
from kneecoach.intake.kujala import KujalaResult, score_kujala
from kneecoach.intake.profile import Profile
from kneecoach.intake.screen import Referral, screen
from kneecoach.knowledge.loader import KnowledgeBase, load_kb
from kneecoach.plan.build import build_plan
from kneecoach.plan.models import Plan


class Assessment(BaseModel):
    """Everything kneecoach concludes from one profile."""

    model_config = ConfigDict(extra="forbid")

    profile_name: str
    kb_version: str
    disclaimer: str
    referral: Referral | None
    unanswered_red_flags: list[str]
    kujala: KujalaResult | None
    findings: list[Finding]
    hypotheses: list[Hypothesis]
    conditions: list[ConditionMatch]
    disagreements: list[Disagreement]
    plan: Plan | None


def assess(profile: Profile, kb: KnowledgeBase | None = None) -> Assessment:
    """Assess a profile. A red flag yields a referral and no plan."""
    kb = kb or load_kb()
    screened = screen(profile, kb)
    kujala = score_kujala(profile.kujala, kb.kujala) if profile.kujala else None
    findings = find(profile, kb)
    hypotheses = rank(findings, kb)
    plan = None if screened.referral else build_plan(profile, findings, hypotheses, kb)
    relevant = {h.id for h in hypotheses}
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
        disagreements=disagreements(relevant, kb),
        plan=plan,
    )


__all__ = ["Assessment", "assess", "load_kb", "KnowledgeBase"]
