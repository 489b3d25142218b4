"""A runner's history as one dated list (issue 17): pain, runs, exercise, re-tests, plan versions, notes.

For the clinician's timeline page: what happened, in order, newest first, each line in words.
Scoped to one owner like every other read in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kneecoach.intake.units import show_distance
from kneecoach.store.models import CareNote, ExerciseSession, PainEntry, PlanRecord, ProfileRecord, RunRecord, User

TIMINGS = {"during": "during a run", "after": "after a run", "next_morning": "next morning", "daily": "today"}


@dataclass(frozen=True)
class Event:
    day: date
    kind: str  # pain, run, exercise, retest, intake, plan, note
    text: str
    by: str | None = None
    at: datetime | None = None  # the time, where one is stored (orders events within a day)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def timeline(s: Session, owner_id: int, since: date, unit: str = "km") -> list[Event]:
    """Everything from ``since`` on, newest first (exercise sessions summed per day)."""
    since_dt = datetime.combine(since, datetime.min.time(), timezone.utc)
    events: list[Event] = []
    for p in s.scalars(select(PainEntry).where(PainEntry.owner_id == owner_id, PainEntry.day >= since)):
        events.append(Event(p.day, "pain", f"Pain {p.score}/10 {TIMINGS.get(p.timing, p.timing)}"
                            + (f": {p.note}" if p.note else "")))
    for r in s.scalars(select(RunRecord).where(RunRecord.owner_id == owner_id, RunRecord.start_time >= since_dt)):
        text = f"Run {show_distance(r.distance_m / 1000, unit)} in {r.duration_s / 60:.0f} min"  # the viewer's unit
        events.append(Event(_day(r.start_time), "run", text + (" (speed not confirmed: not counted)"
                                                               if r.speed_unconfirmed else ""), at=_aware(r.start_time)))
    for day, n, names in s.execute(
        select(ExerciseSession.day, func.count(ExerciseSession.id), func.count(func.distinct(ExerciseSession.exercise_id)))
        .where(ExerciseSession.owner_id == owner_id, ExerciseSession.day >= since).group_by(ExerciseSession.day)
    ):
        events.append(Event(day, "exercise", f"Exercise: {n} entr{'y' if n == 1 else 'ies'}, {names} exercise"
                            + ("" if names == 1 else "s")))
    for at, kind in s.execute(select(ProfileRecord.created_at, ProfileRecord.kind)
                              .where(ProfileRecord.owner_id == owner_id, ProfileRecord.created_at >= since_dt)):
        events.append(Event(_day(at), "retest" if kind == "retest" else "intake",
                            "Re-test (Kujala and self-tests)" if kind == "retest" else "Intake answers updated",
                            at=_aware(at)))
    for v in s.execute(select(PlanRecord.created_at, PlanRecord.version, PlanRecord.reason, PlanRecord.author_name)
                       .where(PlanRecord.owner_id == owner_id, PlanRecord.created_at >= since_dt)):
        events.append(Event(_day(v.created_at), "plan", f"Plan version {v.version}: {v.reason}",
                            v.author_name or "kneecoach", _aware(v.created_at)))
    names = dict(s.execute(select(User.id, User.display_name).where(
        User.id.in_(select(CareNote.author_id).where(CareNote.owner_id == owner_id)))).all())
    for n in s.scalars(select(CareNote).where(CareNote.owner_id == owner_id, CareNote.created_at >= since_dt)):
        events.append(Event(_day(n.created_at), "note", n.body[:200] + ("…" if len(n.body) > 200 else ""),
                            names.get(n.author_id, "former account"), _aware(n.created_at)))
    start = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(events, key=lambda e: (e.day, e.at or start), reverse=True)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt
