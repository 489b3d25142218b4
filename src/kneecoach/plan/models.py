"""What a plan is made of. Built by :func:`kneecoach.plan.build_plan`.

The pain rule and ramp rule are copied into every plan from the knowledge base
so a stored plan keeps the rules it was made with, even after a clinician
edits the knowledge files.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kneecoach.assessment.results import CriterionResult, EvidenceNote, PathwayChoice
from kneecoach.knowledge.load_rules import PainRule, RampRule


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class RampWeek(_Out):
    week: int = Field(ge=1)
    km: float = Field(ge=0)
    long_run_km: float = Field(ge=0)
    cutback: bool = False
    note: str = ""


class Dose(_Out):
    sets: int | None = None
    reps: int | None = None
    reps_max: int | None = None
    near_fatigue: bool = False
    hold_s: int | None = None
    per_side: bool = False
    days_per_week: int = Field(ge=1, le=7)
    text: str = Field(description="The dose in words, e.g. '3 x 15 each side, 4 days a week'.")


class PlannedExercise(_Out):
    id: str
    name: str
    how: str
    dose: Dose
    progression: str
    targets: list[str]
    addresses: list[str] = Field(description="Hypothesis ids this exercise is chosen for.")
    cautions: list[str] = Field(default_factory=list)
    sources: list[str]
    evidence: list[EvidenceNote] = Field(
        default_factory=list, description="Claims that support or question this exercise, seed and published."
    )


class ExcludedExercise(_Out):
    id: str
    name: str
    reason: str
    sources: list[str]


class PlanPhase(_Out):
    id: str
    order: int
    name: str
    goal: str
    entry: str = Field(description="When to start this phase.")
    exit: str = Field(description="When this phase is done.")
    weeks: str = Field(description="Typical length, e.g. '1-2'.")
    exercises: list[PlannedExercise]
    advice: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class Advice(_Out):
    id: str
    text: str
    sources: list[str]


class EducationNote(_Out):
    id: str
    title: str
    text: str
    evidence: list[EvidenceNote]


class AdjunctNote(_Out):
    id: str
    name: str
    advice: str
    recommendation: Literal["may_help_short_term", "optional", "not_recommended"]
    evidence: list[EvidenceNote]


class Plan(_Out):
    version: int = 1
    kb_version: str
    phases: list[PlanPhase]
    excluded: list[ExcludedExercise]
    terrain: list[Advice]
    pain_rule: PainRule
    ramp_rule: RampRule
    mileage_ramp: list[RampWeek]
    start_km: float
    target_km: float
    notes: list[str] = Field(default_factory=list)
    disclaimer: str
    pathway: PathwayChoice | None = Field(default=None, description="None in plans stored before pathways existed.")
    pathway_advice: list[Advice] = Field(default_factory=list)
    education: list[EducationNote] = Field(default_factory=list)
    adjuncts: list[AdjunctNote] = Field(default_factory=list)
    rungs: dict[str, int] = Field(
        default_factory=dict, description="Exercise id -> current rung of its progression ladder (absent = rung 0)."
    )
    current_phase: str | None = Field(
        default=None, description="Phase id the runner is in, decided from exit criteria at the last review."
    )
    cadence_target_spm: float | None = Field(default=None, description="Opt-in step-rate target, steps/min.")
