"""Operator and data-rights CLI: reset-password, export, fhir, erase, db backup/restore."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.web import security
from kneecoach.web.sessions import open_session, session_is_live

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert run("db", "upgrade", "--db", path).exit_code == 0
    return path


def _factory(db: str):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(f"sqlite:///{db}"))


def _seed_local(db: str, example: str = "runners_knee_004.yaml") -> int:
    import yaml

    profile = Profile.model_validate(yaml.safe_load((EXAMPLES / example).read_text()))
    with transaction(_factory(db)) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.save_assessment_and_plan(s, owner, profile, assess(profile))
        repo.add_pain(s, owner, date(2026, 11, 2), "daily", 3, note="cli-note")
    return owner


def test_reset_password_sets_hash_and_ends_sessions(db: str) -> None:
    with transaction(_factory(db)) as s:
        user = repo.create_user(s, "doc@example.org", "Doc", "clinician", password_hash=security.hash_password("x" * 12))
        token = open_session(s, user.id)
        uid = user.id
    r = run("user", "reset-password", "nobody@example.org", "--db", db, "--password-stdin", input="long enough pw\n")
    assert r.exit_code == 2 and "no account" in r.output
    r = run("user", "reset-password", "doc@example.org", "--db", db, "--password-stdin", input="short\n")
    assert r.exit_code == 2 and "nothing was changed" in r.output
    r = run("user", "reset-password", "doc@example.org", "--db", db, "--password-stdin", input="long enough pw\n")
    assert r.exit_code == 0 and "1 open sign-in" in r.output
    with transaction(_factory(db)) as s:
        user = repo.get_user(s, uid)
        assert security.verify_password(user.password_hash, "long enough pw")
        assert not session_is_live(s, uid, token)


def test_export_and_fhir_of_the_local_runner(db: str, tmp_path: Path) -> None:
    _seed_local(db)
    out = tmp_path / "me.zip"
    r = run("export", "--db", db, "--out", out)
    assert r.exit_code == 0, r.output
    zf = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    assert json.loads(zf.read("data/pain_entries.json"))[0]["note"] == "cli-note"
    assert len(json.loads(zf.read("data/plans.json"))) == 1
    assert run("export", "--db", db, "--out", out).exit_code == 2  # no silent overwrite
    fhir = tmp_path / "f.json"
    r = run("fhir", "--db", db, "--out", fhir)
    assert r.exit_code == 0, r.output
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate_json(fhir.read_text())
    assert "QuestionnaireResponse" in [e.resource.get_resource_type() for e in bundle.entry]


def test_erase_asks_and_removes(db: str) -> None:
    owner = _seed_local(db)
    r = run("erase", "--db", db, input="wrong@example.org\n")
    assert r.exit_code == 2 and "nothing was deleted" in r.output
    with transaction(_factory(db)) as s:
        assert repo.list_pain(s, owner)
    r = run("erase", "--db", db, input="local@kneecoach.invalid\n")
    assert r.exit_code == 0 and "pain_entries" in r.output
    with transaction(_factory(db)) as s:
        assert repo.get_user(s, owner) is None and repo.list_pain(s, owner) == []


def test_backup_and_restore_roundtrip(db: str, tmp_path: Path) -> None:
    owner = _seed_local(db)
    dest = tmp_path / "backup.db"
    r = run("db", "backup", dest, "--db", db)
    assert r.exit_code == 0, r.output
    assert dest.stat().st_mode & 0o077 == 0
    assert run("db", "backup", dest, "--db", db).exit_code == 2  # refuses to overwrite
    with transaction(_factory(db)) as s:
        repo.add_pain(s, owner, date(2026, 11, 3), "daily", 8, note="after backup")
    r = run("db", "restore", dest, "--db", db, "--yes")
    assert r.exit_code == 0, r.output
    with transaction(_factory(db)) as s:
        assert [p.note for p in repo.list_pain(s, owner)] == ["cli-note"]


def test_restore_refuses_a_file_that_is_not_a_kneecoach_backup(db: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    r = run("db", "restore", junk, "--db", db, "--yes")
    assert r.exit_code == 2 and "not a SQLite database" in r.output
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    r = run("db", "restore", other, "--db", db, "--yes")
    assert r.exit_code == 2 and "not a kneecoach database" in r.output
    assert run("runs", "--db", db).exit_code == 0  # the live database still works


def test_backup_of_postgres_points_to_pg_dump(tmp_path: Path) -> None:
    r = run("db", "backup", tmp_path / "x", "--db", "postgresql+psycopg://u@127.0.0.1:1/none")
    assert r.exit_code == 2 and "pg_dump" in r.output
