"""Taps and keyed diary posts in the database: a replay is stored once, bad input stores nothing."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from kneecoach.plan.models import Plan
from kneecoach.store import migrate, repo, taps
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.models import ExerciseSession, PainEntry

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
TODAY = date.today()


def _user(s: Session, name: str) -> int:
    return repo.create_user(s, f"{name}-{os.getpid()}@store.today.test", name, password_hash=None).id


def _counts(s: Session, owner: int) -> tuple[int, int]:
    ex = s.scalar(sa.select(sa.func.count()).select_from(ExerciseSession).where(ExerciseSession.owner_id == owner))
    pain = s.scalar(sa.select(sa.func.count()).select_from(PainEntry).where(PainEntry.owner_id == owner))
    return ex or 0, pain or 0


KNOWN = frozenset({"clamshell", "glute_bridge"})


def test_replayed_tap_is_stored_once_and_hurt_writes_a_pain_entry(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "a")
        first = taps.log_exercise(s, owner, TODAY, "clamshell", 3, 15, status="done", pain=4, key="tap-0001-aaaa",
                                  known_ids=KNOWN)
    with transaction(factory) as s:
        again = taps.log_exercise(s, owner, TODAY, "clamshell", 3, 15, status="done", pain=4, key="tap-0001-aaaa",
                                  known_ids=KNOWN)
        assert again.replayed and again.id == first.id and again.pain_id == first.pain_id
        assert not first.replayed
        assert _counts(s, owner) == (1, 1)
        (pain,) = repo.list_pain(s, owner)
        assert pain.score == 4 and pain.timing == "daily" and "clamshell" in pain.note


def test_same_key_for_other_content_is_refused_and_keys_are_per_owner(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        a, b = _user(s, "a"), _user(s, "b")
        taps.log_exercise(s, a, TODAY, "clamshell", status="done", key="shared-key-1", known_ids=KNOWN)
    with pytest.raises(taps.IdempotencyConflict, match="different entry"):
        with transaction(factory) as s:
            taps.log_exercise(s, a, TODAY, "glute_bridge", status="done", key="shared-key-1", known_ids=KNOWN)
    with transaction(factory) as s:
        other = taps.log_exercise(s, b, TODAY, "clamshell", status="done", key="shared-key-1", known_ids=KNOWN)
        assert not other.replayed  # another runner's key space
        assert _counts(s, a) == (1, 0) and _counts(s, b) == (1, 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pain": 11}, "0 \\(none\\) to 10"),
    ({"day": TODAY + timedelta(days=3)}, "future"),
    ({"key": "bad key!"}, "idempotency key"),
    ({"status": "skipped", "pain": 2}, "skipped"),
    ({"status": "maybe"}, "status"),
])
def test_bad_taps_store_nothing(factory: sessionmaker[Session], kwargs: dict, message: str) -> None:
    with transaction(factory) as s:
        owner = _user(s, "c")
    args = {"day": TODAY, "status": "done", "pain": None, "key": "tap-0002-bbbb"} | kwargs
    with pytest.raises(ValueError, match=message):
        with transaction(factory) as s:
            taps.log_exercise(s, owner, args.pop("day"), "clamshell", known_ids=KNOWN, **args)
    with transaction(factory) as s:
        assert _counts(s, owner) == (0, 0)


def test_skipped_rows_are_not_counted_as_done(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "d")
        taps.log_exercise(s, owner, TODAY, "clamshell", status="skipped", key="tap-skip-0001", known_ids=KNOWN)
        taps.log_exercise(s, owner, TODAY, "glute_bridge", 3, 12, status="done", known_ids=KNOWN)
        assert [r.exercise_id for r in repo.list_exercise(s, owner)] == ["glute_bridge"]
        assert len(repo.list_exercise(s, owner, include_skipped=True)) == 2


def test_morning_check_keyed_and_second_answer_kept(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        owner = _user(s, "e")
        one = taps.log_pain(s, owner, TODAY, "next_morning", 2, key="morning-0001", worse_than_before=True)
        two = taps.log_pain(s, owner, TODAY, "next_morning", 2, key="morning-0001", worse_than_before=True)
        assert two.replayed and one.id == two.id
        (row,) = repo.list_pain(s, owner)
        assert row.worse_than_before is True


def test_migration_keeps_diary_rows_and_marks_them_done(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) "
                             "VALUES (1, 'o@x.org', 'O', 'runner', '2026-01-01')"))
        conn.execute(sa.text("INSERT INTO exercise_sessions (owner_id, day, exercise_id, sets, reps, note, created_at) "
                             "VALUES (1, '2026-01-02', 'clamshell', 3, 15, '', '2026-01-02')"))
        conn.execute(sa.text("INSERT INTO pain_entries (owner_id, day, timing, score, note, created_at) "
                             "VALUES (1, '2026-01-02', 'during', 3, '', '2026-01-02')"))
    migrate.upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT status, sets, reps, pain FROM exercise_sessions")).one() == ("done", 3, 15, None)
        assert conn.execute(sa.text("SELECT score, idempotency_key FROM pain_entries")).one() == (3, None)
        assert conn.execute(sa.text("SELECT distance_unit FROM users")).scalar_one() == "km"
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        assert len(repo.list_exercise(s, 1)) == 1
    engine.dispose()


def test_cli_today_logs_taps_and_the_morning_check(tmp_path: Path, plan: Plan) -> None:
    from kneecoach.cli import app

    db = str(tmp_path / "cli.db")
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    f = make_session_factory(make_engine(url))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.save_plan(s, owner, plan, reason="test")
        view = taps.load_today(s, owner, TODAY)
        assert view is not None
        first = view.items[0].exercise.id if view.items else None
    cli = CliRunner()
    r = cli.invoke(app, ["today", "--db", db, "--morning", "11"])
    assert r.exit_code == 2 and "0 (none) to 10" in r.output and "nothing was stored" in r.output
    args = ["today", "--db", db, "--morning", "1", "--units", "mi"] + (["--done", first] if first else [])
    r = cli.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "Morning check: 1/10" in r.output and "Distances in mi" in r.output and "not a diagnosis" in r.output
    with transaction(f) as s:
        view = taps.load_today(s, owner, TODAY)
        assert view is not None and view.morning is not None and view.morning.score == 1
        if first:
            assert view.items[0].status == "done"
            row = repo.list_exercise(s, owner)[0]
            dose = view.items[0].exercise.dose
            assert (row.sets, row.reps, row.hold_s) == (dose.sets, dose.reps, dose.hold_s)
        assert view.run.action in ("as_planned", "no_run")
    r = cli.invoke(app, ["today", "--db", db, "--date", (TODAY + timedelta(days=2)).isoformat()])
    assert r.exit_code == 2 and "future" in r.output


def test_cli_runs_in_miles(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from kneecoach.cli import app
    from kneecoach.tracking.activity import Activity

    db = str(tmp_path / "runs.db")
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    f = make_session_factory(make_engine(url))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.add_runs(s, owner, [Activity(start=datetime(2026, 11, 2, 7, tzinfo=timezone.utc), duration_s=3000,
                                          distance_m=10_000.0)])
    cli = CliRunner()
    r = cli.invoke(app, ["runs", "--db", db, "--units", "mi"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "6.21" in r.output and "8:03 /mi" in r.output, r.output
    r = cli.invoke(app, ["runs", "--db", db], env={"COLUMNS": "200"})
    assert "10.00" in r.output and "5:00 /km" in r.output
    assert cli.invoke(app, ["runs", "--db", db, "--units", "leagues"]).exit_code == 2


def test_cli_today_with_a_warning_sign_refers_and_logs_nothing(tmp_path: Path, plan: Plan) -> None:
    import yaml

    from kneecoach.cli import app
    from kneecoach.engine import assess
    from kneecoach.intake.profile import Profile

    from .conftest import EXAMPLES

    db = str(tmp_path / "ref.db")
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    f = make_session_factory(make_engine(url))
    flagged = Profile.model_validate(yaml.safe_load((EXAMPLES / "red_flag_locking.yaml").read_text()))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.save_plan(s, owner, plan, reason="earlier plan")
        a = assess(flagged)
        repo.save_assessment(s, owner, repo.save_profile(s, owner, flagged).id, a.model_dump(mode="json"),
                             a.kb_version)
    r = CliRunner().invoke(app, ["today", "--db", db, "--morning", "2"])
    assert r.exit_code == 3 and "see a clinician" in r.output.lower()
    with transaction(f) as s:
        assert repo.list_pain(s, owner) == []


def test_a_replay_that_loses_the_race_finds_the_winners_row(factory: sessionmaker[Session],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers get the same replayed tap: both look the key up before either inserts. The loser's
    insert hits the unique constraint inside its savepoint and answers with the winner's row."""
    with transaction(factory) as s:
        owner = _user(s, "race")
        first = taps.log_exercise(s, owner, TODAY, "clamshell", status="done", key="race-key-0001", known_ids=KNOWN)
    real = taps._by_key
    calls = {"n": 0}

    def blind_once(s, model, owner_id, key):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return None if calls["n"] == 1 else real(s, model, owner_id, key)

    monkeypatch.setattr(taps, "_by_key", blind_once)
    with transaction(factory) as s:
        again = taps.log_exercise(s, owner, TODAY, "clamshell", status="done", key="race-key-0001", known_ids=KNOWN)
        assert again.replayed and again.id == first.id
        taps.log_exercise(s, owner, TODAY, "glute_bridge", status="done", known_ids=KNOWN)  # the session still works
    with transaction(factory) as s:
        assert _counts(s, owner) == (2, 0)
