"""Migration 0009: people's ids are never reused, and every existing row and id is carried over.

Run on a database of the previous schema (0006) with data in it, on SQLite always and on
PostgreSQL when ``KNEECOACH_TEST_POSTGRES_URL`` points at an empty throwaway database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from kneecoach.store import migrate
from kneecoach.store.db import make_engine

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")


def _previous_schema_with_data(url: str) -> None:
    migrate.upgrade(url, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            for i in (1, 2, 3):
                c.execute(sa.text("INSERT INTO users (id, email, display_name, password_hash, role, created_at) "
                                  "VALUES (:i, :e, 'U', 'h', 'runner', '2026-01-01')"), {"i": i, "e": f"u{i}@x.org"})
                c.execute(sa.text("INSERT INTO profiles (owner_id, created_at, data, kind) "
                                  "VALUES (:i, '2026-01-02', '{}', 'intake')"), {"i": i})
            c.execute(sa.text("INSERT INTO care_links (runner_id, clinician_id, invite_code, created_at) "
                              "VALUES (1, 2, 'code-1', '2026-01-03')"))
    finally:
        engine.dispose()


def _rows(url: str) -> dict[str, list]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return {
                "users": c.execute(sa.text("SELECT id, email, password_hash, role FROM users ORDER BY id")).all(),
                "profiles": c.execute(sa.text("SELECT owner_id FROM profiles ORDER BY id")).all(),
                "links": c.execute(sa.text("SELECT runner_id, clinician_id FROM care_links")).all(),
            }
    finally:
        engine.dispose()


def _ids_never_reused(url: str) -> None:
    _previous_schema_with_data(url)
    before = _rows(url)
    migrate.upgrade(url)
    assert _rows(url) == before  # every row and every id carried over; nothing cascaded away
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            ins = sa.text("INSERT INTO users (email, display_name, role, created_at) "
                          "VALUES (:e, 'N', 'runner', '2026-02-01') RETURNING id")
            newest = c.execute(ins, {"e": "new@x.org"}).scalar_one()
            assert newest == 4
            c.execute(sa.text("DELETE FROM users WHERE id = :i"), {"i": newest})  # the newest person erased
            again = c.execute(ins, {"e": "next@x.org"}).scalar_one()
            assert again > newest  # today's schema handed out the same id again
            c.execute(sa.text("DELETE FROM users WHERE id = 1"))  # cascades still work after the rebuild
            assert c.execute(sa.text("SELECT count(*) FROM profiles WHERE owner_id = 1")).scalar() == 0
            assert c.execute(sa.text("SELECT count(*) FROM care_links")).scalar() == 0
            assert c.execute(sa.text("SELECT count(*) FROM profiles")).scalar() == 2
    finally:
        engine.dispose()
    migrate.downgrade(url, "0006")  # and back, keeping the rows
    assert [r.id for r in _rows(url)["users"]] == [2, 3, 5]


def test_sqlite_user_ids_never_reused_after_migration(tmp_path: Path) -> None:
    _ids_never_reused(f"sqlite:///{tmp_path / 'ids.db'}")


@pytest.mark.skipif(PG_URL is None, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_user_ids_never_reused_after_migration() -> None:
    assert PG_URL is not None
    engine = make_engine(PG_URL)
    try:
        if set(sa.inspect(engine).get_table_names()) - {"alembic_version"}:
            pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    finally:
        engine.dispose()
    try:
        _ids_never_reused(PG_URL)
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")
