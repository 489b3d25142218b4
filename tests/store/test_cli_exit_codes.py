"""One exit-code convention for the whole CLI (cli/app.py): 2 the input is wrong, 1 it could not be done.

Also the rough edges issue 22 found: a backup into a folder that does not exist, and confirming a run
that was never flagged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from .conftest import write_gpx
from kneecoach.cli import app
from kneecoach.cli.app import EXIT_BAD_INPUT, EXIT_FAILED
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

runner = CliRunner()


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert run("db", "upgrade", "--db", path).exit_code == 0
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("log", "pain", "11"),
        ("log", "pain", "3", "--date", "31/03/2026"),
        ("log", "exercise", "no_such_exercise"),
        ("log", "exercise", "clamshell", "--sets", "-1"),
        ("import", "/no/such/folder"),
        ("runs", "--confirm", "999"),
        ("plot", "chart.gif"),
        ("user", "reset-password", "nobody@example.org", "--password", "x" * 20),
        ("assess", "/no/such/profile.yaml"),
        ("recheck", "--from", "/no/such/retest.yaml"),
    ],
)
def test_wrong_input_exits_2_and_says_why(db: str, args: tuple[str, ...]) -> None:
    r = run(*args, "--db", db) if args[0] != "assess" else run(*args)
    assert r.exit_code == EXIT_BAD_INPUT, (args, r.output)
    assert "Error" in r.output or "error" in r.output
    assert "Traceback" not in r.output


def test_could_not_be_done_exits_1(db: str, tmp_path: Path) -> None:
    r = run("review", "--db", db)  # nothing is wrong with the command; there is no plan yet
    assert r.exit_code == EXIT_FAILED and "no plan stored" in r.output
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx><trk><trkseg><trkpt lat='x'></trkpt></trkseg></trk></gpx>")
    r = run("import", bad, "--db", db)  # the only file could not be imported
    assert r.exit_code == EXIT_FAILED


def test_backup_into_a_new_folder_makes_the_folder(db: str, tmp_path: Path) -> None:
    dest = tmp_path / "backups" / "2026" / "kneecoach.db"
    r = run("db", "backup", dest, "--db", db)
    assert r.exit_code == 0, r.output
    assert dest.exists() and not list(dest.parent.glob("*.partial"))


def test_backup_that_cannot_be_written_says_so_in_one_line(db: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    r = run("db", "backup", blocker / "kneecoach.db", "--db", db)
    assert r.exit_code == EXIT_BAD_INPUT
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert not list(tmp_path.rglob("*.partial"))


def test_confirming_a_run_that_was_never_flagged_says_it_already_counts(db: str, tmp_path: Path) -> None:
    from datetime import datetime

    gpx = write_gpx(tmp_path / "runs", datetime(2026, 3, 2, 7, 0), km=8.0)
    assert run("import", gpx, "--db", db).exit_code == 0
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        run_id = repo.run_rows(s, owner)[0].id
    r = run("runs", "--confirm", run_id, "--db", db)
    assert r.exit_code == 0
    assert "already counts" in r.output and "confirmed" not in r.output
