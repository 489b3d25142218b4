"""Red-flag screen: decide whether a plan may be offered at all.

Run before anything else. Any red flag answered "yes" produces a
:class:`Referral` and the engine stops: a muscle-balance plan must never be
offered in place of an examination the person needs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase

_URGENCY_ORDER = {"emergency": 0, "urgent": 1, "soon": 2}


class UnknownRedFlagError(ValueError):
    """The profile answers a red-flag question the knowledge base does not have."""


class RedFlagHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    reason: str
    urgency: Literal["emergency", "urgent", "soon"]
    sources: list[str]


class Referral(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str
    urgency: Literal["emergency", "urgent", "soon"]
    reasons: list[RedFlagHit]


class ScreenResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    referral: Referral | None
    unanswered: list[str]
    """Red-flag ids with no answer; reported so a person is asked rather than assumed safe."""


def screen(profile: Profile, kb: KnowledgeBase) -> ScreenResult:
    unknown = sorted(set(profile.red_flags) - set(kb.red_flags))
    if unknown:
        raise UnknownRedFlagError(
            f"unknown red-flag question(s): {', '.join(unknown)}; known: {', '.join(kb.red_flags)}"
        )
    hits = [
        RedFlagHit(id=rf.id, question=rf.question, reason=rf.reason, urgency=rf.urgency, sources=list(rf.sources))
        for rf in kb.red_flags.values()
        if profile.red_flags.get(rf.id) is True
    ]
    hits.sort(key=lambda h: _URGENCY_ORDER[h.urgency])
    unanswered = [rf for rf in kb.red_flags if rf not in profile.red_flags]
    referral = (
        Referral(message=kb.rules.referral_message, urgency=hits[0].urgency, reasons=hits) if hits else None
    )
    return ScreenResult(referral=referral, unanswered=unanswered)
