"""Migration 0012 (diary edits) on a database of the previous schema (0011) with diary rows in it.

Only additions: stored pain and exercise rows come through unchanged and read as never edited, a keyed
tap stored before the upgrade can be corrected and its replay leaves the correction alone, and
downgrading to 0011 gives the rows back.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kneecoach.store import diary_edit, migrate, taps
from kneecoach.store.db import make_engine, make_session_factory, transaction

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")


def _round_trip(url: str) -> None:
    migrate.upgrade(url, "0011")
    day = date(2026, 11, 30)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) VALUES "
                          "(1, 'r@x.org', 'Old Runner', 'runner', '2026-10-01')"))
        c.execute(sa.text("INSERT INTO exercise_sessions (id, owner_id, day, exercise_id, sets, reps, note, created_at, "
                          "status, pain, idempotency_key) VALUES "
                          "(1, 1, :d, 'clamshell', 3, 15, 'today', '2026-11-30', 'done', 8, 'old-tap-0001')"),
                  {"d": day})
        c.execute(sa.text("INSERT INTO pain_entries (id, owner_id, day, timing, score, note, created_at, "
                          "idempotency_key) VALUES (1, 1, :d, 'daily', 8, 'during clamshell', '2026-11-30', "
                          "'old-tap-0001-p')"), {"d": day})
    engine.dispose()

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            ex = c.execute(sa.text("SELECT sets, reps, pain, status, edited_at FROM exercise_sessions")).one()
            assert tuple(ex) == (3, 15, 8, "done", None)
            assert c.execute(sa.text("SELECT score, edited_at FROM pain_entries")).one() == (8, None)
            assert c.execute(sa.text("SELECT count(*) FROM deleted_diary_keys")).scalar() == 0
        factory = make_session_factory(engine)
        with transaction(factory) as s:
            diary_edit.edit_exercise(s, 1, 1, pain=3)
        with transaction(factory) as s:
            again = taps.log_exercise(s, 1, day, "clamshell", 3, 15, status="done", pain=8, key="old-tap-0001",
                                      known_ids=frozenset({"clamshell"}))
            assert again.replayed and again.id == 1
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT pain FROM exercise_sessions")).scalar_one() == 3
            assert c.execute(sa.text("SELECT score FROM pain_entries")).scalar_one() == 3
        with transaction(factory) as s:
            diary_edit.delete_pain(s, 1, 1)
        migrate.downgrade(url, "0011")
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT sets, pain FROM exercise_sessions")).one() == (3, None)
            assert "deleted_diary_keys" not in sa.inspect(c).get_table_names()
            cols = {col["name"] for col in sa.inspect(c).get_columns("exercise_sessions")}
            assert "edited_at" not in cols and "pain" in cols
    finally:
        engine.dispose()


def test_upgrade_from_0011_keeps_diary_rows_and_they_can_be_corrected(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.skipif(PG_URL is None, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_upgrade_from_0011_keeps_diary_rows() -> None:
    assert PG_URL is not None
    if migrate.current(PG_URL) is not None:
        pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    try:
        _round_trip(PG_URL)
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")
