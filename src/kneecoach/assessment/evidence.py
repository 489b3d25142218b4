"""Claims as the runner reads them: statement, source and how strong the evidence is.

Every renderer shows a claim's level next to it ("guideline, strong recommendation",
"one person's experience"), so the seeds' experience and published evidence stand side by side
without one being passed off as the other.
"""

from __future__ import annotations

from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import EVIDENCE_LEVEL_LABELS
from kneecoach.assessment.results import EvidenceNote


def level_label(level: str) -> str:
    return EVIDENCE_LEVEL_LABELS.get(level, level)


def note(kb: KnowledgeBase, claim_id: str) -> EvidenceNote:
    claim = kb.claims[claim_id]
    level = kb.claim_level(claim_id)
    return EvidenceNote(
        claim_id=claim.id,
        source=claim.source,
        level=level,
        level_label=level_label(level),
        stance=claim.stance,
        statement=claim.statement,
    )


def is_published(kb: KnowledgeBase, claim_id: str) -> bool:
    return kb.sources[kb.claims[claim_id].source].kind == "published"


def exercise_evidence(kb: KnowledgeBase, exercise_id: str) -> list[EvidenceNote]:
    """The exercise's own claims, then published claims on topics the exercise is relevant to.

    The second part is what lets a seed exercise carry the evidence that questions it (e.g. 004's
    VMO leg extension with smith2009's review beside it) without any code naming the exercise.
    """
    ex = kb.exercises[exercise_id]
    ids = list(dict.fromkeys(ex.claims))
    topics = {t.id for t in kb.topics.values() if exercise_id in t.relevant_when}
    ids += [c.id for c in kb.claims.values() if c.topic in topics and c.id not in ids and is_published(kb, c.id)]
    return [note(kb, c) for c in ids]
