"""Correcting and deleting diary entries after they were logged (issue 16: a tap is "editable afterwards").

A runner who tapped "Done" by mistake, or whose "it hurt" score was a slip of the finger, fixes it
here; the weekly review, adherence and a clinician's caseload then read the corrected data, since they
all read the diary rows. Every web, API and CLI face calls these functions and nothing else.

Rules kept here, so every face keeps them:

* **Owner scoped.** Someone else's entry id behaves exactly like a missing one (:class:`repo.NotFound`).
* **Same checks as logging** (:mod:`kneecoach.tracking.diary`, :mod:`kneecoach.store.taps`): score 0-10,
  no future day, non-negative doses, a known exercise. All values are checked before anything changes,
  so a refused edit leaves the entry as it was.
* **An "it hurt" tap is one entry on two rows**: the exercise row (``pain``) and a diary pain entry
  (found by :func:`taps.linked_pain`). Editing either keeps the other in step; removing the pain of a
  tap removes its pain entry, adding one creates it.
* **Offline replays**: an edit stamps ``edited_at``, and a replay of the original keyed tap then finds
  the corrected row and leaves it alone; a delete records the entry's key in ``deleted_diary_keys``,
  and a replay of it stores nothing (see :func:`taps._once`).

Functions never commit (the caller owns the transaction), like :mod:`kneecoach.store.repo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Final, Literal, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kneecoach.store import repo, taps
from kneecoach.store.models import DeletedDiaryKey, ExerciseSession, PainEntry
from kneecoach.tracking.diary import validate_exercise_numbers, validate_pain


class _Keep(Enum):
    KEEP = "keep"


#: "Leave this field as it is" (``None`` means "clear it" where a field may be empty).
KEEP: Final = _Keep.KEEP
V = TypeVar("V")
Change = V | _Keep

#: How far back the diary list reaches (the diary page and ``kneecoach log list``).
RECENT_DAYS = 30


@dataclass(frozen=True)
class Edited:
    """What an edit left: the entry's id and the id of its linked pain entry, if it has one now."""

    id: int
    pain_id: int | None = None


@dataclass(frozen=True)
class Deleted:
    """What a delete removed: the entry, and the linked pain entry of an "it hurt" tap (if any)."""

    id: int
    pain_id: int | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def get_exercise(s: Session, owner_id: int, entry_id: int) -> ExerciseSession:
    """The owner's exercise entry ``entry_id``; :class:`repo.NotFound` for a missing or foreign id."""
    row = s.get(ExerciseSession, entry_id)
    if row is None or row.owner_id != owner_id:
        raise repo.NotFound(f"no exercise entry {entry_id} in your diary")
    return row


def get_pain(s: Session, owner_id: int, entry_id: int) -> PainEntry:
    """The owner's pain entry ``entry_id``; :class:`repo.NotFound` for a missing or foreign id."""
    row = s.get(PainEntry, entry_id)
    if row is None or row.owner_id != owner_id:
        raise repo.NotFound(f"no pain entry {entry_id} in your diary")
    return row


def newest_id(s: Session, owner_id: int, kind: Literal["exercise", "pain"]) -> int:
    """The id of the owner's most recently logged entry of ``kind`` (``kneecoach log edit exercise last``);
    :class:`repo.NotFound` when the diary holds none."""
    model: type[ExerciseSession] | type[PainEntry] = ExerciseSession if kind == "exercise" else PainEntry
    found = s.scalars(select(model.id).where(model.owner_id == owner_id).order_by(model.id.desc()).limit(1)).first()
    if found is None:
        raise repo.NotFound(f"no {kind} entry in your diary yet")
    return found


def tap_of_pain(s: Session, row: PainEntry) -> ExerciseSession | None:
    """The "it hurt" exercise entry ``row`` was written with (``None`` for a pain entry of its own)."""
    mine = select(ExerciseSession).where(ExerciseSession.owner_id == row.owner_id, ExerciseSession.pain.is_not(None))
    if row.idempotency_key is not None:
        if not row.idempotency_key.endswith("-p"):
            return None
        stmt = mine.where(ExerciseSession.idempotency_key.startswith(row.idempotency_key[:-2], autoescape=True))
    else:  # logged before every "it hurt" tap had a key: what the tap wrote
        if row.timing != "daily" or not row.note.startswith("during "):
            return None
        stmt = mine.where(ExerciseSession.day == row.day, ExerciseSession.pain == row.score,
                          ExerciseSession.exercise_id == row.note.removeprefix("during "))
    candidates = s.scalars(stmt).all()
    for ex in candidates:
        linked = taps.linked_pain(s, ex)
        if linked is not None and linked.id == row.id:
            return ex
    return None


def _record_deleted(s: Session, owner_id: int, kind: Literal["pain", "exercise"], key: str | None) -> None:
    if key is None:
        return
    exists = s.scalars(select(DeletedDiaryKey.id).where(
        DeletedDiaryKey.owner_id == owner_id, DeletedDiaryKey.kind == kind,
        DeletedDiaryKey.idempotency_key == key)).first()
    if exists is None:
        s.add(DeletedDiaryKey(owner_id=owner_id, kind=kind, idempotency_key=key))


def _pick(new: Change[V], old: V) -> V:
    return old if new is KEEP else new  # type: ignore[return-value]


def edit_exercise(s: Session, owner_id: int, entry_id: int, *, day: Change[date] = KEEP,
                  exercise_id: Change[str] = KEEP, sets: Change[int | None] = KEEP, reps: Change[int | None] = KEEP,
                  hold_s: Change[float | None] = KEEP, load_kg: Change[float | None] = KEEP,
                  note: Change[str] = KEEP, status: Change[str] = KEEP, pain: Change[int | None] = KEEP,
                  known_ids: frozenset[str] | None = None, today: date | None = None) -> Edited:
    """Correct an exercise entry; only the fields given change.

    ``status`` is "done" or "skipped"; ``pain`` (0-10, or ``None`` for none) is the "Done, it hurt" score.
    Marking an entry skipped clears its pain. The tap's linked pain entry follows: created when a pain
    score is added, updated with the score and day, removed when the score is removed.
    Raises ``ValueError`` (nothing changed) for a bad value, :class:`repo.NotFound` for a foreign id.
    """
    row = get_exercise(s, owner_id, entry_id)
    new_day = _pick(day, row.day)
    if day is not KEEP:
        taps.check_day(new_day, today or date.today())
    new_status = _pick(status, row.status)
    if new_status not in ("done", "skipped"):
        raise ValueError(f"status must be done or skipped, got {new_status!r}")
    new_pain = _pick(pain, row.pain)
    if new_status == "skipped":
        if pain is not KEEP and pain is not None:
            raise ValueError("a skipped exercise has no pain score")
        new_pain = None
    if new_pain is not None:
        validate_pain(new_pain, "daily")
    new_sets, new_reps = _pick(sets, row.sets), _pick(reps, row.reps)
    new_hold, new_load = _pick(hold_s, row.hold_s), _pick(load_kg, row.load_kg)
    validate_exercise_numbers(new_sets, new_reps, new_hold, new_load)
    new_ex = row.exercise_id
    if exercise_id is not KEEP:
        new_ex = repo.check_exercise_id(exercise_id, known_ids if known_ids is not None else repo.known_exercise_ids())
    new_note = _pick(note, row.note)
    if len(new_note) > 500:
        raise ValueError("the note is too long (500 characters at most)")

    before = (row.day, row.exercise_id, row.sets, row.reps, row.hold_s, row.load_kg, row.note, row.status, row.pain)
    after = (new_day, new_ex, new_sets, new_reps, new_hold, new_load, new_note, new_status, new_pain)
    linked = taps.linked_pain(s, row)
    if before == after:
        return Edited(row.id, None if linked is None else linked.id)
    now = _now()
    old_ex = row.exercise_id
    (row.day, row.exercise_id, row.sets, row.reps, row.hold_s, row.load_kg, row.note, row.status,
     row.pain) = after
    row.edited_at = now
    pain_id: int | None = None
    if new_pain is None and linked is not None:
        s.delete(linked)
    elif new_pain is not None and linked is not None:
        linked.score, linked.day, linked.edited_at = new_pain, new_day, now
        if linked.note == f"during {old_ex}":
            linked.note = f"during {new_ex}"
        pain_id = linked.id
    elif new_pain is not None:
        if row.idempotency_key is None:
            row.idempotency_key = taps.server_key()
        key = taps.pain_key(row.idempotency_key)
        s.execute(delete(DeletedDiaryKey).where(DeletedDiaryKey.owner_id == owner_id, DeletedDiaryKey.kind == "pain",
                                                DeletedDiaryKey.idempotency_key == key))
        created = repo.add_pain(s, owner_id, new_day, "daily", new_pain, note=f"during {new_ex}")
        created.idempotency_key, created.edited_at = key, now
        pain_id = created.id
    s.flush()
    return Edited(row.id, pain_id)


def edit_pain(s: Session, owner_id: int, entry_id: int, *, day: Change[date] = KEEP, timing: Change[str] = KEEP,
              score: Change[int] = KEEP, note: Change[str] = KEEP, today: date | None = None) -> Edited:
    """Correct a pain entry; only the fields given change.

    The pain entry of an "it hurt" tap keeps its exercise entry in step (the tap's score changes too);
    its day and timing belong to the tap, so changing them here is refused with a pointer to the tap.
    Raises ``ValueError`` (nothing changed) for a bad value, :class:`repo.NotFound` for a foreign id.
    """
    row = get_pain(s, owner_id, entry_id)
    new_day, new_timing, new_score = _pick(day, row.day), _pick(timing, row.timing), _pick(score, row.score)
    new_note = _pick(note, row.note)
    if day is not KEEP:
        taps.check_day(new_day, today or date.today())
    validate_pain(new_score, new_timing)
    if len(new_note) > 500:
        raise ValueError("the note is too long (500 characters at most)")
    tap = tap_of_pain(s, row)
    if tap is not None and (new_day, new_timing) != (row.day, row.timing):
        raise ValueError(f"this score was logged with {tap.exercise_id} on {tap.day.isoformat()} "
                         f"(exercise entry {tap.id}): change its day there")
    if (new_day, new_timing, new_score, new_note) == (row.day, row.timing, row.score, row.note):
        return Edited(row.id, row.id)
    now = _now()
    row.day, row.timing, row.score, row.note, row.edited_at = new_day, new_timing, new_score, new_note, now
    if tap is not None:
        tap.pain, tap.edited_at = new_score, now
    s.flush()
    return Edited(row.id, row.id)


def delete_exercise(s: Session, owner_id: int, entry_id: int) -> Deleted:
    """Delete an exercise entry, and the pain entry an "it hurt" tap wrote with it; their keys are kept
    so an offline replay of the tap does not bring them back."""
    row = get_exercise(s, owner_id, entry_id)
    linked = taps.linked_pain(s, row)
    pain_id = None
    if linked is not None:
        pain_id = linked.id
        _record_deleted(s, owner_id, "pain", linked.idempotency_key)
        s.delete(linked)
    _record_deleted(s, owner_id, "exercise", row.idempotency_key)
    s.delete(row)
    s.flush()
    return Deleted(entry_id, pain_id)


def delete_pain(s: Session, owner_id: int, entry_id: int) -> Deleted:
    """Delete a pain entry. The score of an "it hurt" tap goes with it (the tap stays, as done)."""
    row = get_pain(s, owner_id, entry_id)
    tap = tap_of_pain(s, row)
    if tap is not None:
        tap.pain, tap.edited_at = None, _now()
    _record_deleted(s, owner_id, "pain", row.idempotency_key)
    s.delete(row)
    s.flush()
    return Deleted(entry_id, entry_id)


def recent(s: Session, owner_id: int, today: date, days: int = RECENT_DAYS
           ) -> tuple[list[ExerciseSession], list[PainEntry]]:
    """The owner's exercise entries (skipped ones included) and pain entries of the last ``days`` days,
    newest first: what the diary page and ``kneecoach log list`` show with their ids."""
    since = today - timedelta(days=days - 1)
    exercises = repo.list_exercise(s, owner_id, since=since, until=today + timedelta(days=1), include_skipped=True)
    pains = repo.list_pain(s, owner_id, since=since, until=today + timedelta(days=1))
    return list(reversed(exercises)), list(reversed(pains))


__all__ = ["KEEP", "RECENT_DAYS", "Deleted", "Edited", "delete_exercise", "delete_pain", "edit_exercise",
           "edit_pain", "get_exercise", "get_pain", "newest_id", "recent", "tap_of_pain"]
