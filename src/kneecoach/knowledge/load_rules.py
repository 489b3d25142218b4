"""The pain rule and the ramp rule: the two rules a plan is run by, as the knowledge files state them.

``rules.yaml`` writes them and every plan copies them (:mod:`kneecoach.plan.models`), so a stored
plan keeps the rules it was made with. They are part of the language the knowledge is written in,
so they live here, below the intake, plan and review code that applies them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class PainRule(_Out):
    """When pain stops or reverses progression (0-10 scores), after the pain-monitoring model."""

    max_during_run: int = Field(ge=0, le=10, description="Pain during a run above this: no progression.")
    max_next_morning: int = Field(ge=0, le=10, description="Next-morning pain above this: no progression.")
    step_back_at: int = Field(ge=0, le=10, description="Any entry at or above this: step back a week.")
    pause_running_at: int = Field(
        default=7, ge=0, le=10, description="Pain during a run at or above this pauses running (exercise goes on)."
    )
    pause_after_unsettled_mornings: int = Field(
        default=2, ge=1, le=14,
        description="Next-morning pain above max_next_morning this many days in a row also pauses running.",
    )
    rationale: str
    sources: list[str]


class RampRule(_Out):
    """How fast weekly distance may grow."""

    max_increase_pct: float = Field(gt=0, le=50)
    min_step_km: float = Field(ge=0)
    cutback_every_weeks: int = Field(ge=2)
    cutback_pct: float = Field(ge=0, lt=100)
    restart_km: float = Field(gt=0, description="Weekly km to restart from when not running.")
    calm_load_factor: float = Field(gt=0, le=1, description="Share of current km kept while pain is high.")
    long_run_share: float = Field(gt=0, le=1)
    rationale: str
    sources: list[str]

    def allowed_next(self, highest_so_far_km: float) -> float:
        """The most a week may hold, given the highest week so far (from a standstill: ``restart_km``)."""
        if highest_so_far_km <= 0:
            return self.restart_km
        return highest_so_far_km + max(highest_so_far_km * self.max_increase_pct / 100.0, self.min_step_km)
