"""Correcting and deleting diary entries (issue 16: a tap is editable afterwards), in the database.

Owner scoping, the same validation as logging, the pain entry an "it hurt" tap writes kept in step,
and offline replays that arrive after an edit or a delete.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.store import diary_edit, repo, taps
from kneecoach.store.db import transaction
from kneecoach.store.models import DeletedDiaryKey, ExerciseSession, PainEntry

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
TODAY = date.today()
KNOWN = frozenset({"clamshell", "glute_bridge"})


def _user(s: Session, name: str) -> int:
    return repo.create_user(s, f"{name}-{os.getpid()}@store.today.test", name, password_hash=None).id


def _rows(s: Session, owner: int) -> tuple[list[tuple], list[tuple]]:
    ex = s.execute(sa.select(ExerciseSession.exercise_id, ExerciseSession.day, ExerciseSession.sets,
                             ExerciseSession.reps, ExerciseSession.status, ExerciseSession.pain)
                   .where(ExerciseSession.owner_id == owner).order_by(ExerciseSession.id)).all()
    pain = s.execute(sa.select(PainEntry.day, PainEntry.timing, PainEntry.score)
                     .where(PainEntry.owner_id == owner).order_by(PainEntry.id)).all()
    return [tuple(r) for r in ex], [tuple(r) for r in pain]


def _hurt(s: Session, owner: int, key: str | None = "tap-hurt-0001", pain: int = 8) -> taps.Logged:
    return taps.log_exercise(s, owner, TODAY, "clamshell", 3, 15, status="done", pain=pain, key=key,
                             known_ids=KNOWN)


def test_editing_an_it_hurt_score_updates_its_pain_entry(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
    with transaction(factory) as s:
        out = diary_edit.edit_exercise(s, owner, logged.id, pain=3, sets=2)
        assert out.pain_id == logged.pain_id
        assert _rows(s, owner) == ([("clamshell", TODAY, 2, 15, "done", 3)], [(TODAY, "daily", 3)])
    with transaction(factory) as s:  # and from the pain side: the tap's score follows
        diary_edit.edit_pain(s, owner, logged.pain_id, score=5)
        assert _rows(s, owner) == ([("clamshell", TODAY, 2, 15, "done", 5)], [(TODAY, "daily", 5)])
        with pytest.raises(ValueError, match="change its day there"):
            diary_edit.edit_pain(s, owner, logged.pain_id, timing="next_morning")


def test_status_changes_remove_and_create_the_linked_pain_entry(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
        diary_edit.edit_exercise(s, owner, logged.id, pain=None)  # "it hurt" was a slip: just done
        assert _rows(s, owner) == ([("clamshell", TODAY, 3, 15, "done", None)], [])
        back = diary_edit.edit_exercise(s, owner, logged.id, pain=6)  # and back to "it hurt"
        assert back.pain_id is not None
        assert _rows(s, owner)[1] == [(TODAY, "daily", 6)]
        diary_edit.edit_exercise(s, owner, logged.id, status="skipped")  # skipped clears the pain
        assert _rows(s, owner) == ([("clamshell", TODAY, 3, 15, "skipped", None)], [])


def test_keyless_done_tap_gets_a_linked_pain_when_it_turns_into_it_hurt(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        row = taps.log_exercise(s, owner, TODAY, "glute_bridge", 2, 10, key=None, known_ids=KNOWN)
        out = diary_edit.edit_exercise(s, owner, row.id, pain=4)
        assert diary_edit.tap_of_pain(s, diary_edit.get_pain(s, owner, out.pain_id)).id == row.id
        diary_edit.delete_exercise(s, owner, row.id)
        assert _rows(s, owner) == ([], [])


def test_someone_elses_id_is_like_a_missing_id(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        a, b = _user(s, "a"), _user(s, "b")
        logged = _hurt(s, a)
    for call in (lambda s: diary_edit.edit_exercise(s, b, logged.id, sets=1),
                 lambda s: diary_edit.edit_pain(s, b, logged.pain_id, score=1),
                 lambda s: diary_edit.delete_exercise(s, b, logged.id),
                 lambda s: diary_edit.delete_pain(s, b, logged.pain_id),
                 lambda s: diary_edit.edit_exercise(s, b, 987654, sets=1)):
        with pytest.raises(repo.NotFound, match="no (exercise|pain) entry"):
            with transaction(factory) as s:
                call(s)
    with transaction(factory) as s:
        assert _rows(s, a) == ([("clamshell", TODAY, 3, 15, "done", 8)], [(TODAY, "daily", 8)])


@pytest.mark.parametrize("change, message", [
    (dict(pain=11), "0 \\(none\\) to 10"),
    (dict(day=TODAY + timedelta(days=5)), "in the future"),
    (dict(sets=-1), "sets cannot be negative"),
    (dict(exercise_id="moonwalk"), "moonwalk"),
    (dict(status="maybe"), "done or skipped"),
    (dict(status="skipped", pain=3), "skipped exercise has no pain"),
])
def test_bad_values_are_refused_and_nothing_changes(factory: sessionmaker[Session], change: dict,
                                                    message: str) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
        before = _rows(s, owner)
    with pytest.raises(ValueError, match=message):
        with transaction(factory) as s:
            diary_edit.edit_exercise(s, owner, logged.id, known_ids=KNOWN, **change)
    with transaction(factory) as s:
        assert _rows(s, owner) == before
        assert s.get(ExerciseSession, logged.id).edited_at is None
    with pytest.raises(ValueError, match="0 \\(none\\) to 10"):
        with transaction(factory) as s:
            diary_edit.edit_pain(s, owner, logged.pain_id, score=11)


def test_replay_after_an_edit_is_neither_stored_nor_refused_nor_undoes_it(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
        morning = taps.log_pain(s, owner, TODAY, "next_morning", 7, key="morning-0001")
    with transaction(factory) as s:
        diary_edit.edit_exercise(s, owner, logged.id, pain=3)
        diary_edit.edit_pain(s, owner, morning.id, score=2)
    with transaction(factory) as s:  # the queued originals arrive now
        again = _hurt(s, owner)
        m_again = taps.log_pain(s, owner, TODAY, "next_morning", 7, key="morning-0001")
        assert again.replayed and again.id == logged.id and again.pain_id == logged.pain_id
        assert m_again.replayed and m_again.id == morning.id
        assert _rows(s, owner) == ([("clamshell", TODAY, 3, 15, "done", 3)],
                                   [(TODAY, "daily", 3), (TODAY, "next_morning", 2)])


def test_replay_after_removing_the_pain_does_not_bring_the_pain_entry_back(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
        diary_edit.edit_exercise(s, owner, logged.id, pain=None)
    with transaction(factory) as s:
        again = _hurt(s, owner)
        assert again.replayed and again.pain_id is None
        assert _rows(s, owner) == ([("clamshell", TODAY, 3, 15, "done", None)], [])


def test_replay_after_a_delete_stores_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner)
        morning = taps.log_pain(s, owner, TODAY, "next_morning", 7, key="morning-0002")
    with transaction(factory) as s:
        gone = diary_edit.delete_exercise(s, owner, logged.id)
        assert gone.pain_id == logged.pain_id  # the tap's pain entry goes with it
        diary_edit.delete_pain(s, owner, morning.id)
    with transaction(factory) as s:
        again = _hurt(s, owner)
        m_again = taps.log_pain(s, owner, TODAY, "next_morning", 7, key="morning-0002")
        assert again.deleted and again.replayed and m_again.deleted
        assert _rows(s, owner) == ([], [])
        kinds = s.scalars(sa.select(DeletedDiaryKey.kind).where(DeletedDiaryKey.owner_id == owner)).all()
        assert sorted(kinds) == ["exercise", "pain", "pain"]
    with transaction(factory) as s:  # a new tap with a new key is stored as usual
        fresh = _hurt(s, owner, key="tap-hurt-0002", pain=2)
        assert not fresh.replayed and _rows(s, owner)[1] == [(TODAY, "daily", 2)]


def test_deleting_the_pain_of_a_tap_leaves_the_tap_as_done(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        logged = _hurt(s, owner, key=None)  # no client key: the server gives the tap one to link its pain
        assert s.get(ExerciseSession, logged.id).idempotency_key.startswith("srv-")
        diary_edit.delete_pain(s, owner, logged.pain_id)
        assert _rows(s, owner) == ([("clamshell", TODAY, 3, 15, "done", None)], [])


def test_a_legacy_keyless_hurt_tap_finds_its_pain_entry(factory: sessionmaker[Session]) -> None:
    """Rows written before every "it hurt" tap had a key are matched by what the tap wrote."""
    with transaction(factory) as s:
        owner = _user(s, "a")
        row = repo.add_exercise(s, owner, TODAY, "clamshell", 3, 15, known_ids=KNOWN)
        row.pain = 8
        pain = repo.add_pain(s, owner, TODAY, "daily", 8, note="during clamshell")
        repo.add_pain(s, owner, TODAY, "daily", 8, note="knee ached")  # an unrelated entry stays
        s.flush()
        assert diary_edit.edit_exercise(s, owner, row.id, pain=2).pain_id == pain.id
        assert _rows(s, owner)[1] == [(TODAY, "daily", 2), (TODAY, "daily", 8)]


def test_recent_lists_thirty_days_newest_first_with_skipped(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        taps.log_exercise(s, owner, TODAY - timedelta(days=40), "clamshell", known_ids=KNOWN, today=TODAY)
        old = taps.log_exercise(s, owner, TODAY - timedelta(days=3), "clamshell", known_ids=KNOWN)
        new = taps.log_exercise(s, owner, TODAY, "glute_bridge", status="skipped", known_ids=KNOWN)
        exercises, pains = diary_edit.recent(s, owner, TODAY)
        assert [r.id for r in exercises] == [new.id, old.id] and pains == []


def test_deleted_keys_are_exported_and_erased_with_their_owner(factory: sessionmaker[Session]) -> None:
    from kneecoach.store import portability

    with transaction(factory) as s:
        owner, other = _user(s, "a"), _user(s, "b")
        for who in (owner, other):
            diary_edit.delete_exercise(s, who, _hurt(s, who, key=f"erase-key-{who}").id)
    with transaction(factory) as s:
        data, _files = portability.collect(s, owner)
        assert sorted(r["idempotency_key"] for r in data["deleted_diary_keys"]) == [f"erase-key-{owner}",
                                                                                    f"erase-key-{owner}-p"]
        portability.erase_user(s, owner)
    with transaction(factory) as s:
        left = s.scalars(sa.select(DeletedDiaryKey.owner_id)).all()
        assert owner not in left and other in left
