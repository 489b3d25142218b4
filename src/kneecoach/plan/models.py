"""What a plan is made of. Built by :func:`kneecoach.plan.build_plan`.

The pain rule and ramp rule are copied into every plan from the knowledge base
so a stored plan keeps the rules it was made with, even after a clinician
edits the knowledge files.
"""

from __future__ import annotations

from datetime import date
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
    walk_run: str = Field(default="", description="The walk-run sessions of a low-volume week, in plain words.")


class RunningHold(_Out):
    """Running is held at 0 km: why, in plain words, and what lets it restart.

    Set by the plan builder (severe pain at intake, a pathway that refers and waits for a
    clinician's clearance, return-to-run criteria not met yet). The weekly review and the
    Today page read it and never raise running while it is set.
    """

    reason: str
    restart: str = Field(description="What has to happen before running restarts, and how it restarts.")
    until: Literal["pain_rule", "criteria", "clearance"] = Field(
        description="pain_rule: the pain rule is met again; criteria: return-to-run criteria; clearance: an examination."
    )


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


ChangeKind = Literal[
    "add_exercise", "remove_exercise", "set_dose", "hold_running", "cap_weekly_km", "set_phase", "add_instruction"
]


class PlanChange(_Out):
    """One change a clinician made to a runner's plan (issue 17), kept until the clinician releases it.

    Carries everything needed to apply it again to a later kneecoach plan (an added exercise is
    stored whole), so an automatic review can rebuild the plan and keep the clinician's decision.
    ``summary`` is the change in words; ``override_reason`` is set only when the clinician added
    an exercise a contraindication gate had left out, and is shown with the exercise.
    """

    id: str
    kind: ChangeKind
    summary: str
    reason: str = Field(min_length=1)
    author_id: int
    author_name: str
    at: str = Field(description="ISO 8601 time, UTC.")
    exercise_id: str | None = None
    phase_id: str | None = None
    sets: int | None = None
    reps: int | None = None
    hold_s: int | None = None
    days_per_week: int | None = None
    km: float | None = None
    #: The unit the clinician typed a weekly cap in (``km`` stays kilometres): the summary and ramp note say it.
    unit: Literal["km", "mi"] = "km"
    text: str | None = None
    exercise: PlannedExercise | None = None
    override_reason: str | None = None
    overridden: list[str] = Field(default_factory=list, description="The gate reasons the override set aside.")


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
    running_hold: RunningHold | None = Field(
        default=None, description="Set while running is held at 0 km (the ramp's weeks are then 0 km with the reason)."
    )
    start_date: date | None = Field(
        default=None,
        description="Monday on which plan week 1 begins (set when the plan is first stored; None in older plans).",
    )
    base_ramp: list[RampWeek] | None = Field(
        default=None,
        description="The ramp as first built. The weekly review walks it; saving a review (--apply) keeps it and "
        "only rewrites mileage_ramp, so a saved review never changes what the next one decides.",
    )
    clinician_changes: list[PlanChange] = Field(
        default_factory=list, description="A clinician's changes in force, oldest first (kept until released)."
    )

    @property
    def running_allowed(self) -> bool:
        """False while the plan holds running: no face, review or Today view may plan a run then."""
        return self.running_hold is None
