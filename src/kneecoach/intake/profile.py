"""The runner's profile: what intake and the self-tests record.

A profile is plain, typed data. It holds answers, never conclusions: what the
answers *mean* (findings, hypotheses, a plan) is worked out by
:mod:`kneecoach.assessment` and :mod:`kneecoach.plan` from the knowledge base,
so a clinician can change the meaning without touching this model.

Distances are kilometres throughout; the CLI and web app convert for display.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kneecoach.knowledge.sides import PerSide, Side
from kneecoach.intake.versions import CURRENT_SCHEMA_VERSION, upgrade_profile_data

T = TypeVar("T")

Score10 = Annotated[int, Field(ge=0, le=10, description="0 = no pain, 10 = worst imaginable")]


class _Model(BaseModel):
    """Strict base: unknown fields are errors, so a typo in a profile file is caught."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=False, use_enum_values=False)


class PainLocation(StrEnum):
    around_kneecap = "around_kneecap"
    behind_kneecap = "behind_kneecap"
    above_kneecap = "above_kneecap"
    below_kneecap = "below_kneecap"  # the lower edge (pole) of the kneecap / the patellar tendon
    tibial_tuberosity = "tibial_tuberosity"  # the bony bump on the shin a few cm below the kneecap
    outside_knee = "outside_knee"
    inside_knee = "inside_knee"
    back_of_knee = "back_of_knee"


class Aggravator(StrEnum):
    stairs_up = "stairs_up"
    stairs_down = "stairs_down"
    downhill = "downhill"
    uphill = "uphill"
    squatting = "squatting"
    kneeling = "kneeling"
    rising_from_chair = "rising_from_chair"
    prolonged_sitting = "prolonged_sitting"
    running_distance = "running_distance"
    landing_jumping = "landing_jumping"
    walking = "walking"


class Onset(StrEnum):
    gradual = "gradual"
    sudden = "sudden"


class Flexibility(StrEnum):
    tight = "tight"
    normal = "normal"
    loose = "loose"


class Symptoms(_Model):
    sides: list[Side] = Field(min_length=1, description="Which knee(s) hurt.")
    locations: list[PainLocation] = Field(min_length=1)
    aggravators: list[Aggravator] = Field(default_factory=list)
    onset: Onset = Onset.gradual
    weeks_since_onset: float = Field(default=4, ge=0)
    swelling: bool | None = Field(default=None, description="None = not answered (never read as 'no swelling').")
    popping_or_grinding: bool = False
    pain_at_rest: Score10 | None = Field(default=None, description="None = not answered (never read as 0).")
    pain_during_run: Score10 = 0
    pain_after_run: Score10 = 0
    pain_starts_after_km: float | None = Field(default=None, ge=0)
    pain_eases_when_warm: bool = Field(
        default=False, description="Pain is worse at the start, eases once warmed up and comes back after (a tendon pattern)."
    )
    morning_stiffness_min: int | None = Field(
        default=None, ge=0, le=600, description="Minutes the knee stays stiff after getting up."
    )


class RecentEvent(_Model):
    """A surgery or traumatic injury to the leg."""

    kind: str = Field(min_length=1, description="e.g. 'ACL reconstruction', 'fractured tibia'")
    weeks_ago: float = Field(ge=0)


class Clearance(_Model):
    """An examination that cleared the runner to run again: who said so and when.

    Held pathways (suspected bone stress, an acute injury) keep running at 0 km until this is
    recorded; the date shows how old the clearance is.
    """

    examined_on: date = Field(description="The date of the examination that cleared running.")
    by: str = Field(default="clinician", min_length=1, max_length=100, description="Who cleared it (e.g. 'Dr Lee, GP').")
    note: str = Field(default="", max_length=500)


class History(_Model):
    surgery: RecentEvent | None = None
    trauma: RecentEvent | None = None
    knee_replacement: bool = False
    acl_reconstruction: bool = False
    diagnosed_conditions: list[str] = Field(
        default_factory=list, description="Condition ids from the knowledge base a clinician has named."
    )
    full_range_of_motion: bool | None = Field(
        default=None,
        description="Knee and hip bend and straighten fully (003's exit from the post-surgery window); None = not answered.",
    )
    walking_normally: bool = Field(default=True, description="Walking decently again, even if with a stick.")
    previous_knee_pain_episodes: int = Field(default=0, ge=0)
    full_extension: bool | None = Field(
        default=None, description="The knee straightens fully, as far as the other one (asked after knee surgery)."
    )
    knee_flexion_pct_of_other_side: float | None = Field(
        default=None, ge=0, le=150,
        description="How far the knee bends, as a percentage of the other knee (asked after knee surgery).",
    )
    cleared_to_run: Clearance | None = Field(
        default=None,
        description="A clinician examined the knee and cleared running (set by the runner or the clinician, with the date).",
    )


class Running(_Model):
    current_weekly_km: float = Field(ge=0)
    target_weekly_km: float = Field(gt=0, description="The prior or goal level to return to.")
    runs_per_week: int = Field(default=3, ge=0, le=14)
    longest_recent_run_km: float = Field(default=0, ge=0)
    recent_rise_pct: float | None = Field(
        default=None, ge=-100, le=10000,
        description="How much weekly distance rose over the last 6 weeks, %; filled in from imported runs.",
    )
    hilly_routes: bool = False
    cambered_or_banked_routes: bool = False
    does_strength_work: bool = False
    jumping_sports: bool = Field(default=False, description="Also plays a jumping or court sport (basketball, volleyball, ...).")
    cadence_retraining: bool = Field(
        default=False, description="Opted in to a slightly higher step rate (needs cadence in the watch files)."
    )


class SingleLegSquat(_Model):
    knee_falls_inward: bool | None = None
    valgus_angle_deg: float | None = Field(default=None, ge=0, le=60)
    painful: bool = False


class FlexibilityTests(_Model):
    quads: PerSide[Flexibility] = Field(default_factory=PerSide[Flexibility])
    hip_flexors: PerSide[Flexibility] = Field(default_factory=PerSide[Flexibility])
    hamstrings: PerSide[Flexibility] = Field(default_factory=PerSide[Flexibility])
    calves: PerSide[Flexibility] = Field(default_factory=PerSide[Flexibility])


class SelfTests(_Model):
    """Self-tests from the sources (001 and 000), recorded per side where sides are compared."""

    single_leg_squat: PerSide[SingleLegSquat] = Field(default_factory=PerSide[SingleLegSquat])
    plank_hold_s: float | None = Field(default=None, ge=0, le=3600)
    single_leg_sit_to_stand_reps: PerSide[Annotated[int, Field(ge=0, le=200)]] = Field(
        default_factory=PerSide[Annotated[int, Field(ge=0, le=200)]]
    )
    flexibility: FlexibilityTests = Field(default_factory=FlexibilityTests)
    hamstring_curl_kg: PerSide[Annotated[float, Field(ge=0, le=300)]] = Field(
        default_factory=PerSide[Annotated[float, Field(ge=0, le=300)]]
    )
    single_leg_hop_cm: PerSide[Annotated[float, Field(ge=0, le=400)]] = Field(
        default_factory=PerSide[Annotated[float, Field(ge=0, le=400)]],
        description="Longest of three single-leg hops for distance, per leg (only once a clinician allows hopping).",
    )


class Profile(_Model):
    """Everything a runner tells kneecoach at intake."""

    schema_version: Literal[3] = CURRENT_SCHEMA_VERSION
    name: str = Field(default="runner", min_length=1, max_length=100)
    age: int | None = Field(default=None, ge=8, le=100)
    symptoms: Symptoms | None = Field(
        default=None,
        description="Knee pain now. Leave out (or write 'none') for a runner with no pain who wants the prevention checks.",
    )
    red_flags: dict[str, bool] = Field(
        default_factory=dict, description="Answers to the red-flag questions, keyed by red-flag id."
    )
    history: History = Field(default_factory=History)
    running: Running
    kujala: dict[str, str] = Field(
        default_factory=dict,
        description="Kujala answers: item id -> option id (e.g. 'stairs': 'b'). All 13 items for a score.",
    )
    self_tests: SelfTests = Field(default_factory=SelfTests)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """Old stored profiles and files (schema 1) are upgraded on the way in, never refused."""
        return upgrade_profile_data(data) if isinstance(data, dict) else data

    @field_validator("symptoms", mode="before")
    @classmethod
    def _no_pain(cls, value: Any) -> Any:
        """'none', or symptoms with no painful side and no location, mean "no pain now" (prevention).

        Empty or omitted ``sides`` and ``locations`` with no pain score above 0 are the natural way
        to write "no pain" in a file; a pain score with nowhere to put it is a contradiction and is
        refused with a message that says what to fill in.
        """
        if isinstance(value, str) and value.strip().lower() in {"none", "no pain", "no"}:
            return None
        if isinstance(value, dict) and not value.get("sides") and not value.get("locations"):
            scores = {k: value.get(k) for k in ("pain_at_rest", "pain_during_run", "pain_after_run")}
            painful = {k: v for k, v in scores.items() if isinstance(v, (int, float)) and v > 0}
            if painful:
                named = ", ".join(f"{k} {v}" for k, v in painful.items())
                raise ValueError(
                    f"symptoms give pain scores ({named}) but no painful side or location: add 'sides' and "
                    "'locations', or set the scores to 0 (or write 'symptoms: none') for no pain now"
                )
            return None
        return value

    @property
    def pain_free(self) -> bool:
        """No painful knee: seed 001's checks are then used for prevention."""
        return self.symptoms is None

