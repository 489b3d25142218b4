"""Red-flag screen: decide whether a plan may be offered at all.

Run before anything else. Any red flag answered "yes" produces a
:class:`Referral` and the engine stops: a muscle-balance plan must never be
offered in place of an examination the person needs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import RedFlag

_URGENCY_ORDER = {"emergency": 0, "urgent": 1, "soon": 2}


class UnknownRedFlagError(ValueError):
    """The profile answers a red-flag question the knowledge base does not have."""


class RedFlagHit(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    id: str
    question: str
    reason: str
    urgency: Literal["emergency", "urgent", "soon"]
    sources: list[str]


class Referral(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    message: str
    urgency: Literal["emergency", "urgent", "soon"]
    action: str = Field(default="", description="What to do, by the most urgent reason, in plain words.")
    reasons: list[RedFlagHit]


class ScreenResult(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    referral: Referral | None
    unanswered: list[str]
    """Red-flag ids with no answer; reported so a person is asked rather than assumed safe."""


def questions_for(profile: Profile, kb: KnowledgeBase) -> list[RedFlag]:
    """The red-flag questions to ask this person: age and history decide some (``show_when``)."""
    # Imported here: the predicate language lives with the assessment, which imports this module.
    from kneecoach.knowledge.predicates import evaluate

    return [
        rf
        for rf in kb.red_flags.values()
        if rf.ask and (rf.show_when is None or evaluate(rf.show_when, profile, kb.rules).ok)
    ]


def screen(profile: Profile, kb: KnowledgeBase) -> ScreenResult:
    """Refer when any red flag is answered yes or is raised by other answers.

    A "yes" counts even to a question that would not have been shown (safety first); a flag
    with ``raised_when`` (e.g. the Ottawa rule's age item) needs no question at all.
    """
    from kneecoach.knowledge.predicates import evaluate

    unknown = sorted(set(profile.red_flags) - set(kb.red_flags))
    if unknown:
        raise UnknownRedFlagError(
            f"unknown red-flag question(s): {', '.join(unknown)}; known: {', '.join(kb.red_flags)}"
        )
    hits = [
        RedFlagHit(id=rf.id, question=rf.question, reason=rf.reason, urgency=rf.urgency, sources=list(rf.sources))
        for rf in kb.red_flags.values()
        if profile.red_flags.get(rf.id) is True
        or (rf.raised_when is not None and evaluate(rf.raised_when, profile, kb.rules).ok)
    ]
    hits.sort(key=lambda h: _URGENCY_ORDER[h.urgency])
    unanswered = [rf.id for rf in questions_for(profile, kb) if rf.id not in profile.red_flags]
    referral = (
        Referral(
            message=kb.rules.referral_message,
            urgency=hits[0].urgency,
            action=kb.rules.urgency_action[hits[0].urgency],
            reasons=hits,
        )
        if hits
        else None
    )
    return ScreenResult(referral=referral, unanswered=unanswered)
