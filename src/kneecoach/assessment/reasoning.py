"""Self-test results and symptoms -> findings -> ranked imbalance hypotheses.

Deterministic and explainable: a hypothesis's score is the sum of the weights
of the findings that support it (rules.yaml explains the weights), every
evidence item names the finding, the claim and the source, and ties are broken
by id so the same profile always ranks the same way.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from kneecoach.knowledge.predicates import evaluate, resolve
from kneecoach.intake.profile import Profile, Side
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import FindingRule

Confidence = Literal["low", "moderate", "high"]


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class Finding(_Out):
    id: str
    label: str
    kind: Literal["sign", "symptom", "context", "measure"]
    side: Side | None = None
    value: float | None = None
    sources: list[str]


class Evidence(_Out):
    finding_id: str
    finding: str
    side: Side | None
    weight: int
    claim_id: str
    claim: str
    source: str


class Hypothesis(_Out):
    id: str
    name: str
    score: int
    confidence: Confidence
    sides: list[Side]
    muscles: list[str]
    mechanism: str
    evidence: list[Evidence]
    against: list[Evidence]
    sources: list[str]


class ConditionMatch(_Out):
    id: str
    name: str
    description: str
    because: list[str]
    sources: list[str]


class Position(_Out):
    claim_id: str
    source: str
    stance: Literal["for", "against", "qualified", "describes"]
    statement: str
    context: str
    level: str = "expert"
    level_label: str = ""


class Disagreement(_Out):
    """A question the sources answer differently: the seeds' rows, then the published evidence's."""

    topic: str
    question: str
    positions: list[Position]
    evidence: list[Position] = []
    """What published sources say (guidelines, reviews, trials, cohorts), each with its level."""
    evidence_summary: str = ""
    kneecoach_approach: str


def _label(rule: FindingRule, side: Side | None, value: float | None) -> str:
    text = rule.label.replace("{side}", side.value.capitalize() if side else "")
    if "{value}" in text:
        text = text.replace("{value}", "?" if value is None else f"{value:g}")
    text = text.strip()
    return text[0].upper() + text[1:] if text else text


def find(profile: Profile, kb: KnowledgeBase) -> list[Finding]:
    """Every finding rule that holds, once per side for per-side rules, in knowledge-base order."""
    out: list[Finding] = []
    for rule in kb.findings.values():
        sides: list[Side | None] = [Side.left, Side.right] if rule.per_side else [None]
        for side in sides:
            m = evaluate(rule.when, profile, kb.rules, side)
            if not m.ok:
                continue
            value = m.value
            if rule.value_field is not None:
                raw = resolve(profile, rule.value_field.replace("{side}", side.value) if side else rule.value_field)
                value = float(raw) if isinstance(raw, (int, float)) else value
            found_side = side or m.side
            sources = sorted({kb.claim_source(c) for c in rule.claims})
            out.append(
                Finding(
                    id=rule.id,
                    label=_label(rule, found_side, value),
                    kind=rule.kind,
                    side=found_side,
                    value=value,
                    sources=sources,
                )
            )
    return out


def _confidence(score: int, kb: KnowledgeBase) -> Confidence:
    c = kb.rules.confidence
    if score >= c.high:
        return "high"
    if score >= c.moderate:
        return "moderate"
    return "low"


def rank(findings: list[Finding], kb: KnowledgeBase) -> list[Hypothesis]:
    """Score each imbalance from its supporting findings; report those at or above the threshold."""
    pro: dict[str, list[Evidence]] = {i: [] for i in kb.imbalances}
    con: dict[str, list[Evidence]] = {i: [] for i in kb.imbalances}
    for f in findings:
        for s in kb.findings[f.id].supports:
            claim = kb.claims[s.claim]
            ev = Evidence(
                finding_id=f.id,
                finding=f.label,
                side=f.side,
                weight=s.weight,
                claim_id=claim.id,
                claim=claim.statement,
                source=claim.source,
            )
            (pro if s.weight > 0 else con)[s.imbalance].append(ev)
    out: list[Hypothesis] = []
    for imb in kb.imbalances.values():
        if not pro[imb.id]:
            continue
        score = sum(e.weight for e in pro[imb.id]) + sum(e.weight for e in con[imb.id])
        if score < kb.rules.confidence.min_to_report:
            continue
        sides = sorted({e.side for e in pro[imb.id] if e.side is not None}, key=lambda s: s.value)
        sources = sorted({e.source for e in (*pro[imb.id], *con[imb.id])} | {kb.claim_source(c) for c in imb.claims})
        out.append(
            Hypothesis(
                id=imb.id,
                name=imb.name,
                score=score,
                confidence=_confidence(score, kb),
                sides=sides,
                muscles=list(imb.muscles),
                mechanism=imb.mechanism,
                evidence=pro[imb.id],
                against=con[imb.id],
                sources=sources,
            )
        )
    # Highest score first; then more distinct sources; then id, so ranking is stable.
    out.sort(key=lambda h: (-h.score, -len({e.source for e in h.evidence}), h.id))
    return out


def match_conditions(findings: list[Finding], kb: KnowledgeBase) -> list[ConditionMatch]:
    """Conditions whose pattern the answers resemble (for discussion with a clinician, not a diagnosis)."""
    by_id: dict[str, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.id, []).append(f)
    out = []
    for cond in kb.conditions.values():
        hits = [f for fid in cond.suggested_by for f in by_id.get(fid, [])]
        if hits:
            out.append(
                ConditionMatch(
                    id=cond.id,
                    name=cond.name,
                    description=cond.description,
                    because=[f.label for f in hits],
                    sources=sorted({kb.claim_source(c) for c in cond.claims}),
                )
            )
    return out


def disagreements(relevant_ids: set[str], kb: KnowledgeBase) -> list[Disagreement]:
    """Topics where sources take different stances and which touch this runner's results or plan.

    Seed and editorial claims are the ``positions``; published claims go to ``evidence``, so a
    renderer can show "what the evidence says" beside the seeds rather than mixed in with them.
    """
    from kneecoach.assessment.evidence import level_label

    out = []
    for topic in kb.topics.values():
        claims = [c for c in kb.claims.values() if c.topic == topic.id and c.stance != "describes"]
        if len({c.stance for c in claims}) < 2 or not topic.show_as_disagreement:
            continue
        if topic.relevant_when and not (set(topic.relevant_when) & relevant_ids):
            continue
        rows = [
            Position(
                claim_id=c.id, source=c.source, stance=c.stance, statement=c.statement, context=c.context,
                level=kb.claim_level(c.id), level_label=level_label(kb.claim_level(c.id)),
            )
            for c in kb.claims.values()
            if c.topic == topic.id
        ]
        published = {s.id for s in kb.sources.values() if s.kind == "published"}
        out.append(
            Disagreement(
                topic=topic.id,
                question=topic.question,
                positions=[r for r in rows if r.source not in published and r.stance != "describes"],
                evidence=[r for r in rows if r.source in published],
                evidence_summary=topic.evidence_summary,
                kneecoach_approach=topic.kneecoach_approach,
            )
        )
    return out
