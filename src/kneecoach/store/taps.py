"""Diary writes that are safe to replay: one-tap logging from Today, the morning check, and the diary
forms and API posts when they carry an idempotency key.

A phone that taps "Done" offline sends the tap later, perhaps twice (the service worker retries, a
flaky network resends). The client gives every tap a random key; the key is stored on the diary row
with a unique constraint per owner, so the second post finds the first row instead of adding one,
on any web worker and across restarts. A key reused for *different* content is refused: that is a
client bug, and guessing which post was meant could store the wrong health data.

Every function takes the owner's id and never commits (the caller owns the transaction), like
:mod:`kneecoach.store.repo`.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.models import DeletedDiaryKey, ExerciseSession, PainEntry, PlanRecord, User
from kneecoach.plan.morning import MorningAnswer
from kneecoach.plan.models import PlannedExercise
from kneecoach.plan.schedule import active_exercises, plan_monday, spread_exercises
from kneecoach.tracking.adherence import WeekAdherence, plan_prescription, recent_adherence
from kneecoach.tracking.diary import ExerciseObs, validate_pain
from kneecoach.tracking.today import ExerciseTap, Today, build_today

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")

T = TypeVar("T", PainEntry, ExerciseSession)


class IdempotencyConflict(repo.RepoError):
    """The key was already used by this owner for a different entry."""


@dataclass(frozen=True)
class Logged:
    """What a write did: the row it stands for and whether it was a replay (nothing new stored).

    ``deleted`` marks the replay of a post whose entry the runner has since deleted: nothing is
    stored and ``id`` is 0 (no row stands for it any more)."""

    id: int
    replayed: bool
    pain_id: int | None = None
    deleted: bool = False


class DeletedEntry(Exception):
    """The key names an entry the runner deleted: a replay of it stores nothing (not an error)."""


def check_key(key: str | None) -> str | None:
    """``None`` or a valid key; a readable ``ValueError`` otherwise."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise ValueError("idempotency key must be 8-64 letters, digits, '-' or '_' (e.g. a UUID)")
    return key


def check_day(day: date, today: date) -> date:
    """Diary days may not lie in the future (a phone's clock may run a day ahead of the server's UTC)."""
    if day > today + timedelta(days=1):
        raise ValueError(f"{day.isoformat()} is in the future: log a day that has happened")
    return day


def _by_key(s: Session, model: type[T], owner_id: int, key: str) -> T | None:
    return s.scalars(select(model).where(model.owner_id == owner_id, model.idempotency_key == key)).first()


def _key_deleted(s: Session, model: type[T], owner_id: int, key: str) -> bool:
    kind = "pain" if model is PainEntry else "exercise"
    return s.scalars(select(DeletedDiaryKey.id).where(
        DeletedDiaryKey.owner_id == owner_id, DeletedDiaryKey.kind == kind,
        DeletedDiaryKey.idempotency_key == key)).first() is not None


def _once(s: Session, model: type[T], owner_id: int, key: str | None, same: Callable[[T], bool],
          create: Callable[[], T]) -> tuple[T, bool]:
    """Create a row unless ``key`` already names one (then return it, after checking it is the same
    entry). Inserts in a savepoint so a concurrent replay that wins the race is found, not an error.

    A row the runner corrected since (``edited_at``) is returned as it is: the replay carries the
    original content, which is neither a conflict nor a reason to undo the correction. A key whose
    entry was deleted raises :class:`DeletedEntry`: the replay must not bring the entry back."""
    if key is not None:
        existing = _by_key(s, model, owner_id, key)
        if existing is None and _key_deleted(s, model, owner_id, key):
            raise DeletedEntry(key)
        if existing is not None:
            if existing.edited_at is not None:
                return existing, True
            if not same(existing):
                raise IdempotencyConflict("this idempotency key was already used for a different entry; "
                                          "nothing was stored (send a new key for a new entry)")
            return existing, True
    try:
        with s.begin_nested():
            row = create()
            row.idempotency_key = key
            s.flush()
    except IntegrityError:
        if key is None:
            raise
        existing = _by_key(s, model, owner_id, key)
        if existing is None:
            raise
        if existing.edited_at is None and not same(existing):
            raise IdempotencyConflict("this idempotency key was already used for a different entry; "
                                      "nothing was stored") from None
        return existing, True
    return row, False


def log_pain(s: Session, owner_id: int, day: date, timing: str, score: int, *, note: str = "",
             run_id: int | None = None, key: str | None = None, worse_than_before: bool | None = None,
             today: date | None = None) -> Logged:
    """:func:`repo.add_pain` that stores a keyed post once."""
    key = check_key(key)
    check_day(day, today or date.today())

    def create() -> PainEntry:
        row = repo.add_pain(s, owner_id, day, timing, score, note, run_id)
        row.worse_than_before = worse_than_before
        return row

    try:
        row, replayed = _once(s, PainEntry, owner_id, key,
                              lambda r: (r.day, r.timing, r.score) == (day, timing, score), create)
    except DeletedEntry:
        return Logged(0, True, None, deleted=True)
    return Logged(row.id, replayed, row.id)


def log_exercise(s: Session, owner_id: int, day: date, exercise_id: str, sets: int | None = None,
                 reps: int | None = None, hold_s: float | None = None, load_kg: float | None = None, *,
                 note: str = "", key: str | None = None, known_ids: frozenset[str] | None = None,
                 status: str = "done", pain: int | None = None, today: date | None = None) -> Logged:
    """:func:`repo.add_exercise` that stores a keyed post once; ``pain`` ("Done, it hurt") is also
    written as a diary pain entry of the same day, so the review and the pain rule see it."""
    key = check_key(key)
    check_day(day, today or date.today())
    if status not in ("done", "skipped"):
        raise ValueError(f"status must be done or skipped, got {status!r}")
    if pain is not None and status == "skipped":
        raise ValueError("a skipped exercise has no pain score")
    if pain is not None:
        validate_pain(pain, "daily")

    def create() -> ExerciseSession:
        row = repo.add_exercise(s, owner_id, day, exercise_id, sets, reps, hold_s, load_kg, note, known_ids=known_ids)
        row.status, row.pain = status, pain
        return row

    if pain is not None and key is None:
        key = server_key()  # the pain entry is found by the row's key (see pain_key), so the row needs one
    try:
        row, replayed = _once(s, ExerciseSession, owner_id, key,
                              lambda r: (r.day, r.exercise_id, r.status, r.pain) == (day, exercise_id.strip().lower(),
                                                                                      status, pain), create)
    except DeletedEntry:
        return Logged(0, True, None, deleted=True)
    pain_id = None
    if replayed:  # the entry as it stands now (perhaps corrected since): a replay adds nothing
        linked = linked_pain(s, row)
        return Logged(row.id, True, None if linked is None else linked.id)
    if pain is not None and key is not None:  # key is never None here (given one above)
        pain_row = repo.add_pain(s, owner_id, day, "daily", pain, note=f"during {row.exercise_id}")
        pain_row.idempotency_key = pain_key(key)
        s.flush()
        pain_id = pain_row.id
    return Logged(row.id, replayed, pain_id)


def server_key() -> str:
    """A key the server gives an entry that came without one (it links an "it hurt" tap to its pain)."""
    return "srv-" + secrets.token_urlsafe(16)


def pain_key(exercise_key: str) -> str:
    """The key of the pain entry an "it hurt" tap writes: derived from the tap's own key, so the
    exercise row and its pain entry find each other (and a replay finds both)."""
    return exercise_key[:60] + "-p"


def linked_pain(s: Session, row: ExerciseSession) -> PainEntry | None:
    """The diary pain entry an "it hurt" tap wrote with ``row`` (``None`` if there is none).

    Found by the derived key; rows logged before every such tap had a key are matched by what the tap
    wrote (same owner, day and score, "during <exercise>", no key)."""
    if row.idempotency_key is not None:
        found = _by_key(s, PainEntry, row.owner_id, pain_key(row.idempotency_key))
        if found is not None or row.pain is None:
            return found
    if row.pain is None:
        return None
    return s.scalars(select(PainEntry).where(
        PainEntry.owner_id == row.owner_id, PainEntry.day == row.day, PainEntry.timing == "daily",
        PainEntry.score == row.pain, PainEntry.note == f"during {row.exercise_id}",
        PainEntry.idempotency_key.is_(None)).order_by(PainEntry.id)).first()


def plan_exercises(s: Session, owner_id: int) -> list[PlannedExercise] | None:
    """The exercises in force in the owner's latest plan (``None`` without a plan): what a tap may log.
    One done on another day than scheduled still counts for its week (see tracking.adherence)."""
    found = repo.latest_plan(s, owner_id)
    return None if found is None else active_exercises(found[1])


def day_exercises(s: Session, owner_id: int, day: date) -> list[PlannedExercise] | None:
    """The exercises the owner's schedule puts on ``day`` (``None`` without a plan): what a tap may log,
    without reading the diary."""
    found = repo.latest_plan(s, owner_id)
    if found is None:
        return None
    return list(spread_exercises(active_exercises(found[1])).days[day.weekday()])


def _taps(rows: list[ExerciseSession]) -> list[ExerciseTap]:
    return [ExerciseTap(r.exercise_id, "skipped" if r.status == "skipped" else ("hurt" if r.pain is not None else "done"),
                        r.pain, r.id, r.sets, r.reps, r.hold_s) for r in rows]


def load_today(s: Session, owner_id: int, day: date, *, adherence_weeks: int = 4) -> Today | None:
    """The owner's Today for ``day`` from the stored plan and diary (``None`` without a plan).

    The week's running is what the weekly review's walk has in force on ``day`` (the same function
    as ``kneecoach review``, saved or not); the rest reads only a few weeks of diary: the morning
    streak, yesterday's run pain and the adherence window.
    """
    from kneecoach.store.review_data import load_walk
    from kneecoach.tracking.today import week_in_force

    owner = s.get(User, owner_id)  # the walk's reasons (shown when it stops a run) in the runner's unit
    found = load_walk(s, owner_id, day, unit=getattr(owner, "distance_unit", None) or "km")
    if found is None:
        return None
    version, plan, walked = found
    start = _adherence_start(s, owner_id, walked.start, day)
    profile = repo.latest_profile(s, owner_id)
    runs_per_week = profile.running.runs_per_week if profile else 3
    lookback = max(2, plan.pain_rule.pause_after_unsettled_mornings + 1)
    pain_rows = repo.list_pain(s, owner_id, since=day - timedelta(days=lookback), until=day)
    morning_row = next((p for p in reversed(pain_rows) if p.day == day and p.timing == "next_morning"), None)
    morning = None if morning_row is None else MorningAnswer(morning_row.score, morning_row.worse_than_before)
    history = _adherence_history(s, owner_id, start, day, adherence_weeks)
    taps = _taps(repo.list_exercise(s, owner_id, since=day, until=day, include_skipped=True))
    ran = bool(repo.run_rows(s, owner_id, since=day - timedelta(days=1), until=day - timedelta(days=1)))
    view = build_today(plan, version, start, day, runs_per_week=runs_per_week, pain=repo.pain_obs(pain_rows),
                       taps=taps, morning=morning, exercise_history=history, ran_yesterday=ran or None,
                       adherence_weeks=adherence_weeks, this_week=week_in_force(walked, day))
    if morning_row is not None:
        view = dataclasses.replace(view, morning_entry_id=morning_row.id)
    latest = repo.latest_assessment(s, owner_id)
    ref = (latest.data or {}).get("referral") if latest is not None else None
    if ref:  # the newest answers hold a warning sign: the plan waits for a clinician
        view = dataclasses.replace(view, referral={
            "message": ref.get("message", ""), "action": ref.get("action") or "",
            "reasons": [r.get("reason", "") for r in ref.get("reasons", [])]})
    return view


def weekly_adherence_for(s: Session, owner_id: int, day: date, weeks: int = 4) -> list[WeekAdherence]:
    """The owner's adherence for the last ``weeks`` weeks up to ``day`` (empty without a plan): the
    numbers the review and a clinician's caseload show, from the same function as Today (without
    Today's walk of the plan's weeks, which the review has done already)."""
    from kneecoach.tracking.weekly_walk import plan_start

    found = repo.latest_plan_saved(s, owner_id)
    if found is None:
        return []
    _, plan, saved_on = found
    start = _adherence_start(s, owner_id, plan_start(plan, saved_on), day)
    return recent_adherence(plan_prescription(plan), _adherence_history(s, owner_id, start, day, weeks), start, day,
                            weeks)


def _adherence_start(s: Session, owner_id: int, week_1: date, day: date) -> date:
    """Where adherence counts from. Exercises start the day the first plan is made (running waits for
    plan week 1's Monday, ``week_1``), so from the Monday of that week; later versions (reviews,
    re-tests) do not reset it."""
    first = s.scalar(select(func.min(PlanRecord.created_at)).where(PlanRecord.owner_id == owner_id))
    return min(plan_monday(first.date() if first else day), week_1)


def _adherence_history(s: Session, owner_id: int, start: date, day: date, weeks: int) -> list[ExerciseObs]:
    """The exercise rows :func:`recent_adherence` reads: ``weeks`` weeks back from ``day``, not before ``start``."""
    since = max(start, day - timedelta(days=7 * weeks + 6))
    return repo.exercise_obs(repo.list_exercise(s, owner_id, since=since, until=day))


def adherence_json(s: Session, owner_id: int, day: date, weeks: int = 4) -> list[dict[str, object]]:
    """:func:`weekly_adherence_for` as JSON: the ``adherence`` list of ``review -f json`` and the review API."""
    return [{"week_start": w.week_start.isoformat(), "prescribed": w.prescribed, "done": w.done, "percent": w.percent}
            for w in weekly_adherence_for(s, owner_id, day, weeks)]
