"""Choose the condition pathway for a runner and check its criteria.

Which pathway fits is data (``pathways.yaml``): each names the findings and profile rules that
select it and a priority. This module only walks the list in priority order, so a clinician adds
or reorders pathways without touching code. Criteria (e.g. return to running after an ACL
reconstruction) are predicates over the profile: a re-test writes a new profile version, and the
same criteria re-evaluate against it.
"""

from __future__ import annotations

from kneecoach.knowledge.predicates import evaluate, recorded
from kneecoach.assessment.reasoning import Finding
from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import Criterion, Pathway
from kneecoach.assessment.results import CriterionResult, CriterionStatus, PathwayChoice

__all__ = ["CriterionResult", "PathwayChoice", "check_criterion", "choose_pathway"]

def _matches(p: Pathway, profile: Profile, finding_ids: set[str], kb: KnowledgeBase) -> bool:
    if p.findings_all and not set(p.findings_all) <= finding_ids:
        return False
    if p.findings_any and not set(p.findings_any) & finding_ids:
        return False
    return p.when is None or evaluate(p.when, profile, kb.rules).ok


def check_criterion(c: Criterion, profile: Profile, kb: KnowledgeBase) -> CriterionResult:
    """Met, not met, or not recorded yet (a missing measurement is a question, not a failure)."""
    if evaluate(c.when, profile, kb.rules).ok:
        status: CriterionStatus = "met"
    else:
        status = "not_met" if recorded(c.when, profile) else "not_recorded"
    return CriterionResult(
        id=c.id, label=c.label, status=status, retest=c.retest, sources=sorted({kb.claim_source(x) for x in c.claims})
    )


def choose_pathway(profile: Profile, findings: list[Finding], kb: KnowledgeBase) -> PathwayChoice:
    """The highest-priority pathway whose findings and rules hold (the default one otherwise)."""
    finding_ids = {f.id for f in findings}
    labels = {f.id: f.label for f in findings}
    ordered = sorted(kb.pathways.values(), key=lambda p: -p.priority)
    matching = [p for p in ordered if _matches(p, profile, finding_ids, kb)]
    chosen = matching[0]  # the default pathway always matches (kb check guarantees exactly one)
    because = [labels[f] for f in (*chosen.findings_all, *chosen.findings_any) if f in finding_ids]
    claims = [*chosen.claims, *chosen.ramp.claims]
    return PathwayChoice(
        id=chosen.id,
        name=chosen.name,
        condition=chosen.condition,
        summary=chosen.summary,
        because=because,
        also_matched=[p.name for p in matching[1:] if p.findings_all or p.findings_any or p.when],
        ramp_mode=chosen.ramp.mode,
        ramp_note=chosen.ramp.note,
        criteria=[check_criterion(c, profile, kb) for c in chosen.criteria],
        sources=sorted({kb.claim_source(c) for c in claims}),
    )
