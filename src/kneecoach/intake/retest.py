"""A re-test: the Kujala scale and the self-tests again, as a new version of the runner's profile.

Only what a re-test measures changes (Kujala answers, self-tests, and optionally today's pain
scores, the ACL criteria answers and a clinician's clearance to run); the rest of the profile is carried over, and the original
intake stays stored. Every problem is named with its field and nothing is stored unless all pass.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kneecoach.intake.load import ProfileError, validation_problems
from kneecoach.intake.profile import Clearance, Profile, Score10, SelfTests
from kneecoach.knowledge.loader import KnowledgeBase


class RetestPain(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    pain_at_rest: Score10 | None = None
    pain_during_run: Score10 | None = None
    pain_after_run: Score10 | None = None
    swelling: bool | None = None


class RetestAnswers(BaseModel):
    """What a re-test file or form holds."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kujala: dict[str, str] = Field(default_factory=dict, description="All 13 items (optional without knee pain).")
    self_tests: SelfTests
    symptoms: RetestPain = Field(default_factory=RetestPain)
    full_extension: bool | None = None
    full_range_of_motion: bool | None = None
    knee_flexion_pct_of_other_side: float | None = Field(default=None, ge=0, le=150)
    cleared_to_run: Clearance | None = Field(
        default=None, description="A clinician examined the knee and cleared running (lifts a triage hold)."
    )


def _has_any_test(t: SelfTests) -> bool:
    data = t.model_dump(exclude_none=True, exclude_defaults=True)
    return bool(data)


def apply_retest(base: Profile, data: Any, kb: KnowledgeBase, source: str = "re-test") -> Profile:
    """The new profile version, or :class:`ProfileError` naming every bad or missing field."""
    if not isinstance(data, dict):
        raise ProfileError(source, ["expected a mapping with kujala and self_tests"])
    try:
        answers = RetestAnswers.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(source, validation_problems(exc)) from exc
    problems: list[str] = []
    items = {i.id: i for i in kb.kujala.items}
    for key, value in answers.kujala.items():
        if key not in items:
            problems.append(f"kujala.{key}: unknown Kujala item (known: {', '.join(items)})")
        elif value not in {o.id for o in items[key].options}:
            problems.append(f"kujala.{key}: '{value}' is not an option ({', '.join(o.id for o in items[key].options)})")
    if not base.pain_free or answers.kujala:
        problems += [f"kujala.{i}: required field is missing" for i in items if i not in answers.kujala]
    if not _has_any_test(answers.self_tests):
        problems.append("self_tests: record at least one self-test (single-leg squat, plank, sit-to-stand, ...)")
    if problems:
        raise ProfileError(source, problems)
    new = base.model_dump(mode="json")
    new["kujala"] = answers.kujala
    new["self_tests"] = answers.self_tests.model_dump(mode="json", exclude_none=True)
    if base.symptoms is not None:
        new["symptoms"].update(answers.symptoms.model_dump(exclude_none=True))
    for key in ("full_extension", "full_range_of_motion", "knee_flexion_pct_of_other_side"):
        if getattr(answers, key) is not None:
            new["history"][key] = getattr(answers, key)
    if answers.cleared_to_run is not None:
        new["history"]["cleared_to_run"] = answers.cleared_to_run.model_dump(mode="json")
    try:
        return Profile.model_validate(new)
    except ValidationError as exc:  # pragma: no cover - the parts were validated above
        raise ProfileError(source, validation_problems(exc)) from exc
