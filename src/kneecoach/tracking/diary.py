"""Pain and exercise diary entries as plain values, with their validation.

The database keeps diary rows (:mod:`kneecoach.store.models`); the review
works on these small frozen dataclasses instead, so it stays a pure function
that tests can feed directly. Validation lives here, not in the database's
CHECK constraints, because a runner typing ``--timing durring`` deserves a
sentence that says what is allowed, not an ``IntegrityError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

PainTiming = Literal["during", "after", "next_morning", "daily"]
#: When a pain score was felt: during a run, right after, the next morning
#: (the pain rule's "24-hour" check), or a general daily score.
PAIN_TIMINGS: tuple[str, ...] = get_args(PainTiming)


@dataclass(frozen=True, slots=True)
class PainObs:
    """One pain score (0-10) on a day, with when it was felt."""

    day: date
    timing: str
    score: int

    def __post_init__(self) -> None:
        validate_pain(self.score, self.timing)


@dataclass(frozen=True, slots=True)
class ExerciseObs:
    """One exercise done on a day (``exercise_id`` refers to the knowledge base)."""

    day: date
    exercise_id: str
    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    load_kg: float | None = None


def validate_pain(score: int, timing: str) -> None:
    """Raise ``ValueError`` with a readable message unless ``score`` is 0-10 and ``timing`` is known."""
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(f"pain score must be a whole number from 0 to 10, got {score!r}")
    if not 0 <= score <= 10:
        raise ValueError(f"pain score must be from 0 (none) to 10 (worst imaginable), got {score}")
    if timing not in PAIN_TIMINGS:
        raise ValueError(f"pain timing must be one of {', '.join(PAIN_TIMINGS)}; got {timing!r}")


def validate_exercise_numbers(
    sets: int | None = None, reps: int | None = None, hold_s: float | None = None, load_kg: float | None = None
) -> None:
    """Reject negative or non-finite doses with a message naming the field.

    Zero is allowed (a logged attempt with no load); negatives are always typos.
    """
    for name, value, upper in (("sets", sets, 100), ("reps", reps, 1000), ("hold", hold_s, 3600), ("load", load_kg, 1000)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} cannot be negative, got {value}")
        if value > upper:
            raise ValueError(f"{name} of {value} looks like a typo (more than {upper})")


DayFlagKind = Literal["ill", "chest_symptoms", "night_pain", "rest_pain", "swelling", "giving_way", "bone_spot_pain"]
#: What a runner can mark on a day besides a pain score: being ill (fever or whole-body
#: symptoms), and the signs that turn the weekly review into "see a clinician".
DAY_FLAG_KINDS: tuple[str, ...] = get_args(DayFlagKind)
#: Each kind in the runner's words (the diary form).
DAY_FLAG_LABELS: dict[str, str] = {
    "ill": "Ill (fever or whole-body symptoms)",
    "chest_symptoms": "Chest pain or palpitations",
    "night_pain": "Knee pain at night (new)",
    "rest_pain": "Knee pain at rest (new)",
    "swelling": "Knee swelling",
    "giving_way": "Knee gave way",
    "bone_spot_pain": "Pain at one spot on a bone, or when hopping",
}


@dataclass(frozen=True, slots=True)
class DayFlag:
    """A day marked as ill, or with a sign the review refers on (night pain, swelling, ...)."""

    day: date
    kind: str

    def __post_init__(self) -> None:
        validate_day_flag(self.kind)


def validate_day_flag(kind: str) -> None:
    """Raise ``ValueError`` naming the allowed kinds unless ``kind`` is one of them."""
    if kind not in DAY_FLAG_KINDS:
        raise ValueError(f"day mark must be one of {', '.join(DAY_FLAG_KINDS)}; got {kind!r}")
