"""Runs typed in by hand, races, and marked days (ill, night pain, swelling ...).

Kept apart from :mod:`kneecoach.store.repo` because they exist for the weekly
review: a treadmill run or a runner without a watch file still needs a review,
a race week is not the base to build on, and an ill day or a referral sign
changes what the review decides. Every query is scoped to ``owner_id``.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kneecoach.store.models import DayMark, RunRecord
from kneecoach.store.repo import NotFound, add_pain, add_runs
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import DayFlag, validate_day_flag, validate_pain

__all__ = ["HAND_ENTERED", "KM_PER_MILE", "add_day_mark", "add_hand_run", "day_flags", "list_day_marks", "set_race"]

#: ``source_name`` of a run typed in by hand (its ``source_format`` is ``"manual"``).
HAND_ENTERED = "hand-entered"
KM_PER_MILE = 1.609344
#: Longest single run accepted by hand (km): beyond any ultra a knee rehab tool plans for; a typo guard.
MAX_HAND_KM = 250.0


def _number(name: str, value: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low < value <= high:
        raise ValueError(f"{name} must be more than {low:g} and at most {high:g}, got {value:g}")
    return float(value)


def add_hand_run(
    s: Session,
    owner_id: int,
    day: date,
    distance: float,
    minutes: float,
    *,
    unit: str = "km",
    pain: int | None = None,
    race: bool = False,
) -> RunRecord:
    """Store a run typed in by hand; it counts toward load exactly like an imported one.

    ``unit`` is ``"km"`` or ``"mi"``. ``pain`` (0-10), when given, is logged as
    pain during that run. Several hand runs on one day are kept apart (each
    starts a minute after the previous one at noon UTC), so none is taken for
    a duplicate of another.
    """
    if unit not in ("km", "mi"):
        raise ValueError(f"unit must be km or mi, got {unit!r}")
    dist = _number("distance", distance, 0, MAX_HAND_KM if unit == "km" else MAX_HAND_KM / KM_PER_MILE)
    km = dist * KM_PER_MILE if unit == "mi" else dist
    mins = _number("minutes", minutes, 0, 48 * 60)
    if pain is not None:
        validate_pain(pain, "during")
    noon = datetime.combine(day, time(12, 0), timezone.utc)
    same_day = s.scalar(
        select(func.count()).select_from(RunRecord).where(
            RunRecord.owner_id == owner_id, RunRecord.start_time >= noon, RunRecord.start_time < noon + timedelta(hours=12)
        )
    ) or 0
    act = Activity(start=noon + timedelta(minutes=same_day), duration_s=mins * 60, distance_m=km * 1000,
                   sport="running", source_format="manual", source_name=HAND_ENTERED, race=race)
    if act.speed_impossible_for_running:
        raise ValueError(f"{dist:g} {unit} in {mins:g} minutes is faster than any runner: check the numbers")
    rows, dups = add_runs(s, owner_id, [act])
    if dups or not rows:
        raise ValueError("a run with this distance is already logged at that time")
    if pain is not None:
        add_pain(s, owner_id, day, "during", pain, "", run_id=rows[0].id)
    return rows[0]


def set_race(s: Session, owner_id: int, run_id: int, race: bool = True) -> RunRecord:
    """Mark (or unmark) one of the owner's runs as a race."""
    row = s.get(RunRecord, run_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(f"no run {run_id}")
    row.race = race
    s.flush()
    return row


def add_day_mark(s: Session, owner_id: int, day: date, kind: str, note: str = "") -> DayMark:
    """Mark a day as ill, or with a sign the review refers on (see :data:`DAY_FLAG_KINDS`)."""
    validate_day_flag(kind)
    row = DayMark(owner_id=owner_id, day=day, kind=kind, note=note)
    s.add(row)
    s.flush()
    return row


def list_day_marks(s: Session, owner_id: int, since: date | None = None) -> list[DayMark]:
    stmt = select(DayMark).where(DayMark.owner_id == owner_id)
    if since is not None:
        stmt = stmt.where(DayMark.day >= since)
    return list(s.scalars(stmt.order_by(DayMark.day, DayMark.id)))


def day_flags(rows: list[DayMark]) -> list[DayFlag]:
    """Rows -> the plain values the review takes."""
    return [DayFlag(day=r.day, kind=r.kind) for r in rows]
