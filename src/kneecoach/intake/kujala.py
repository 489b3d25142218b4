"""Kujala anterior knee pain scale: score 13 answers to 0-100.

The items and points live in ``knowledge/data/kujala.yaml``; this module only
adds them up and explains what is missing or wrong.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kneecoach.knowledge.schema import KujalaScale


class KujalaAnswerError(ValueError):
    """An answer names an item or option the scale does not have."""


class KujalaResult(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    score: int | None
    """0-100 when all 13 items are answered, else ``None``: a partial sum is not a Kujala score."""
    answered: int
    missing: list[str]
    item_points: dict[str, int]
    interpretation: str


def score_kujala(answers: dict[str, str], scale: KujalaScale) -> KujalaResult:
    """Score Kujala answers (item id -> option letter). Unknown items or options raise."""
    items = {i.id: i for i in scale.items}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise KujalaAnswerError(f"unknown Kujala item(s): {', '.join(unknown)}; known: {', '.join(items)}")
    points: dict[str, int] = {}
    for item_id, choice in answers.items():
        options = {o.id: o.points for o in items[item_id].options}
        if choice not in options:
            raise KujalaAnswerError(
                f"Kujala item '{item_id}': option '{choice}' does not exist (choose one of {', '.join(options)})"
            )
        points[item_id] = options[choice]
    missing = [i for i in items if i not in answers]
    return KujalaResult(
        score=sum(points.values()) if not missing else None,
        answered=len(points),
        missing=missing,
        item_points={i: points[i] for i in items if i in points},
        interpretation=scale.interpretation,
    )
