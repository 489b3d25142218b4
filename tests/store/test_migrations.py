"""The packaged Alembic migrations create exactly the tables in ``store.models``.

Runs on SQLite always, and on PostgreSQL when ``KNEECOACH_TEST_POSTGRES_URL``
points at an empty, disposable database (the test drops everything it made).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kneecoach.store import migrate
from kneecoach.store.db import make_engine
from kneecoach.store.models import Base

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")


def _diffs(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert _tables(url) >= set(Base.metadata.tables)
    assert _diffs(url) == []
    migrate.upgrade(url)  # idempotent
    assert migrate.is_current(url)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert _tables(url) - {"alembic_version"} == set()


def test_sqlite_upgrade_matches_models_and_downgrade_empties(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'm.db'}")


def test_migrations_do_not_depend_on_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cwd.db'}"
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


def test_upgrade_keeps_existing_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (email, display_name, role, created_at) "
                             "VALUES ('a@x.org', 'A', 'runner', '2026-01-01')"))
    engine.dispose()
    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
    engine.dispose()


def test_main_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert migrate.main(["upgrade", url]) == 0
    assert migrate.main(["current", url]) == 0
    assert migrate.head() in capsys.readouterr().out
    assert migrate.main(["bogus"]) == 2


@pytest.mark.skipif(PG_URL is None, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_upgrade_matches_models_and_downgrade_empties() -> None:
    assert PG_URL is not None
    if _tables(PG_URL) - {"alembic_version"}:
        pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    try:
        _round_trip(PG_URL)
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")


def test_bare_file_path_means_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "plain.db")
    migrate.upgrade(path)
    assert migrate.current(path) == migrate.head() == migrate.current(f"sqlite:///{path}")


def test_fast_current_check_agrees_with_alembic(tmp_path: Path) -> None:
    """is_current reads the version table and the scripts' head without Alembic, with Alembic's answers."""
    url = f"sqlite:///{tmp_path / 'fast.db'}"
    assert migrate.scripted_head() == migrate.head()
    assert migrate.stored_revision(url) is None and not migrate.is_current(url)
    migrate.upgrade(url, "0001")
    assert migrate.stored_revision(url) == migrate.current(url) == "0001" and not migrate.is_current(url)
    migrate.upgrade(url)
    assert migrate.stored_revision(url) == migrate.current(url) == migrate.head() and migrate.is_current(url)


def test_current_check_does_not_import_alembic(tmp_path: Path) -> None:
    """Every CLI command asks is_current first; Alembic (about 0.15 s to import) stays out when no migration runs."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'lazy.db'}"
    migrate.upgrade(url)
    code = ("import sys; from kneecoach.store import migrate; "
            f"assert migrate.is_current({url!r}); print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


V1_PROFILE = {
    "schema_version": 1,
    "name": "Old Stored Runner",
    "symptoms": {"sides": ["left"], "locations": ["around_kneecap"], "pain_during_run": 3},
    "red_flags": {"locking": False, "cannot_bear_weight_after_trauma": True},
    "running": {"current_weekly_km": 20, "target_weekly_km": 30},
}


def _profile_migration_round_trip(url: str) -> None:
    """A profile stored under schema 1 is rewritten to schema 2 by revision 0002, and back on downgrade."""
    import json

    from kneecoach.intake.profile import Profile

    migrate.upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) "
                                 "VALUES (1, 'old@x.org', 'Old', 'runner', '2026-01-01')"))
            conn.execute(sa.text("INSERT INTO profiles (owner_id, created_at, data) VALUES (1, '2026-01-02', :d)"),
                         {"d": json.dumps(V1_PROFILE)})
        migrate.upgrade(url, "0002")
        with engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT data FROM profiles")).scalar_one()
        data = raw if isinstance(raw, dict) else json.loads(raw)
        assert data["schema_version"] == 2
        # v1 asked "could not take weight OR bend to 90": a yes is kept as yes to both new questions
        assert data["red_flags"]["cannot_bend_90_after_trauma"] is True
        profile = Profile.model_validate(data)
        assert profile.name == "Old Stored Runner" and profile.symptoms.pain_during_run == 3
        migrate.downgrade(url, "0001")
        with engine.connect() as conn:
            raw = conn.execute(sa.text("SELECT data FROM profiles")).scalar_one()
        data = raw if isinstance(raw, dict) else json.loads(raw)
        assert data["schema_version"] == 1 and "cannot_bend_90_after_trauma" not in data["red_flags"]
        assert data["red_flags"]["cannot_bear_weight_after_trauma"] is True
    finally:
        engine.dispose()


def test_sqlite_profile_data_migration(tmp_path: Path) -> None:
    _profile_migration_round_trip(f"sqlite:///{tmp_path / 'p.db'}")


@pytest.mark.skipif(PG_URL is None, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_profile_data_migration() -> None:
    assert PG_URL is not None
    if _tables(PG_URL) - {"alembic_version"}:
        pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    try:
        _profile_migration_round_trip(PG_URL)
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")


V2_PROFILE = {
    "schema_version": 2,
    "name": "Stored Before Triage",
    "symptoms": {"sides": ["right"], "locations": ["below_kneecap"], "swelling": False, "pain_at_rest": 0,
                 "pain_during_run": 4, "pain_eases_when_warm": True},
    "red_flags": {"locking": False, "adolescent_hip_limp": False},
    "history": {"full_range_of_motion": True, "full_extension": True},
    "running": {"current_weekly_km": 25, "target_weekly_km": 35, "longest_recent_run_km": 10},
    "kujala": {"limp": "a", "pain": "b"},
}


def _profile_v3_round_trip(url: str) -> None:
    """A profile stored under schema 2 (database at 0006) keeps every answer through 0007 and back."""
    import json

    from kneecoach.intake.profile import Profile

    migrate.upgrade(url, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) "
                                 "VALUES (1, 'v2@x.org', 'V2', 'runner', '2026-01-01')"))
            conn.execute(sa.text("INSERT INTO profiles (owner_id, created_at, data) VALUES (1, '2026-01-02', :d)"),
                         {"d": json.dumps(V2_PROFILE)})
        migrate.upgrade(url, "0007")

        def stored() -> dict:
            with engine.connect() as conn:
                raw = conn.execute(sa.text("SELECT data FROM profiles")).scalar_one()
            return raw if isinstance(raw, dict) else json.loads(raw)

        data = stored()
        assert data["schema_version"] == 3
        assert {k: v for k, v in data.items() if k != "schema_version"} == {
            k: v for k, v in V2_PROFILE.items() if k != "schema_version"
        }, "nothing a runner stored is lost or changed"
        profile = Profile.model_validate(data)
        assert profile.symptoms.swelling is False and profile.symptoms.pain_at_rest == 0
        assert profile.history.full_range_of_motion is True and profile.running.longest_recent_run_km == 10
        # A v3 profile with triage answers, a clearance and "not answered" values goes back to v2 readable.
        v3 = dict(data, red_flags={"locking": False, "bsi_pain_on_hopping": True},
                  history={"full_range_of_motion": None, "cleared_to_run": {"examined_on": "2026-11-20"}},
                  symptoms=dict(data["symptoms"], swelling=None))
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE profiles SET data = :d"), {"d": json.dumps(v3)})
        migrate.downgrade(url, "0006")
        data = stored()
        assert data["schema_version"] == 2 and data["red_flags"] == {"locking": False}
        assert data["history"] == {} and "swelling" not in data["symptoms"]
        assert data["symptoms"]["pain_during_run"] == 4 and data["kujala"] == {"limp": "a", "pain": "b"}
    finally:
        engine.dispose()


def test_sqlite_profile_v3_data_migration(tmp_path: Path) -> None:
    _profile_v3_round_trip(f"sqlite:///{tmp_path / 'v3.db'}")


@pytest.mark.skipif(PG_URL is None, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_profile_v3_data_migration() -> None:
    assert PG_URL is not None
    if _tables(PG_URL) - {"alembic_version"}:
        pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    try:
        _profile_v3_round_trip(PG_URL)
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")


def _runs_survive_0008(url: str) -> None:
    """A database at 0006 with a stored run: after 0008 the run is unchanged and is no race."""
    migrate.upgrade(url, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) "
                                 "VALUES (1, 'a@kneecoach.invalid', 'a', 'runner', CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO runs (owner_id, start_time, duration_s, distance_m, elevation_gain_m, sport, "
                "source_format, source_name, fingerprint, imported_at, speed_unconfirmed) VALUES "
                "(1, CURRENT_TIMESTAMP, 1800, 6500, 12, 'running', 'gpx', 'a.gpx', 'fp1', CURRENT_TIMESTAMP, false)"))
        migrate.upgrade(url)
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT distance_m, source_name, race FROM runs")).one()
        assert (row[0], row[1], bool(row[2])) == (6500, "a.gpx", False)
        migrate.downgrade(url, "0006")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT distance_m FROM runs")).scalar_one() == 6500
    finally:
        engine.dispose()
    migrate.downgrade(url, "base")


def test_sqlite_0008_keeps_runs(tmp_path: Path) -> None:
    _runs_survive_0008(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
def test_postgres_0008_keeps_runs() -> None:
    assert PG_URL is not None
    _runs_survive_0008(PG_URL)
