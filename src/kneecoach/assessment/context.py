"""What phase exit criteria can look at: the latest profile, the diary and the re-tests.

Phase criteria in ``phases.yaml`` are predicates in the same rule language as findings, but over
this context rather than a bare profile, so "single-leg squat without the knee dropping inward"
reads the latest re-test and "full dose for 2 weeks" reads the exercise diary. The fields are
plain numbers computed by :mod:`kneecoach.tracking.progress`; ``kb check`` validates every path
against these models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kneecoach.intake.profile import Profile


class _Ctx(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class DiaryMetrics(_Ctx):
    max_pain_7d: int | None = None
    """Highest pain score logged in the last 7 days (None: nothing logged)."""
    max_pain_14d: int | None = None
    strength_sessions_14d: int = 0
    """Days in the last 14 with any strength exercise logged."""
    full_dose_sessions_14d: int = 0
    """Days in the last 14 with a strength exercise logged at full dose (all sets, top of the range)."""
    full_dose_days_14d: dict[str, int] = {}
    """The same, per phase id (``diary.full_dose_days_14d.activate``): a phase's criteria read its own exercises."""


class RetestMetrics(_Ctx):
    """From the latest profile version (intake or re-test) and the first one, for change."""

    count: int = 0
    kujala: int | None = None
    kujala_change: int | None = None
    knee_falls_inward_any: bool | None = None
    lsi_sit_to_stand: float | None = None
    plank_hold_s: float | None = None


class ProgressContext(_Ctx):
    profile: Profile
    diary: DiaryMetrics
    retest: RetestMetrics
