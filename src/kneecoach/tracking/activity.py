"""The one record every watch-file importer produces.

GPX, TCX and FIT disagree on almost everything; :class:`Activity` is what
kneecoach keeps from each of them. It is deliberately small and immutable so
load analytics and the database see the same thing whatever the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

SourceFormat = Literal["gpx", "tcx", "fit", "manual"]

#: Average speed (m/s) above which a "run" is taken for a car or bike file:
#: 6.5 m/s is 23.4 km/h, i.e. 2:34 per km, faster than the men's 10,000 m
#: world record average (about 6.3 m/s). Only checked from 400 m on, where
#: no recording at such a pace is a run.
IMPOSSIBLE_RUN_SPEED_MPS = 6.5
_MIN_CHECK_DISTANCE_M = 400.0


@dataclass(frozen=True, slots=True)
class Activity:
    """One run, summarised.

    ``start`` is always timezone-aware UTC. Distances are metres, durations
    seconds (elapsed, start to end). Cadence is steps per minute (both feet),
    heart rate beats per minute; either is ``None`` when the file lacks it.
    ``source_format="manual"`` marks a run typed in by hand (no watch file); it
    counts toward load exactly like an imported one.
    """

    start: datetime
    duration_s: float
    distance_m: float
    elevation_gain_m: float = 0.0
    avg_cadence_spm: float | None = None
    avg_heart_rate_bpm: float | None = None
    sport: str = "running"
    source_format: SourceFormat = "manual"
    source_name: str = ""
    #: A race: a planned single-run spike. The weekly review does not build on a race week.
    race: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("Activity.start must be timezone-aware (UTC)")
        if self.distance_m < 0 or self.duration_s < 0 or self.elevation_gain_m < 0:
            raise ValueError("distance, duration and elevation gain cannot be negative")

    @property
    def fingerprint(self) -> str:
        """Identity for duplicate detection: start to the minute and distance to 50 m.

        The same run exported as GPX and as FIT differs in the last metres and
        seconds; this coarse key treats those as one run.
        """
        minute = self.start.astimezone(timezone.utc).strftime("%Y%m%dT%H%M")
        return f"{minute}-{round(self.distance_m / 50)}"

    @property
    def speed_impossible_for_running(self) -> bool:
        """True when the average speed is beyond any runner (see :data:`IMPOSSIBLE_RUN_SPEED_MPS`)."""
        if self.distance_m < _MIN_CHECK_DISTANCE_M or self.duration_s <= 0:
            return False
        return self.distance_m / self.duration_s > IMPOSSIBLE_RUN_SPEED_MPS

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000.0
