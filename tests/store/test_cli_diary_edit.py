"""`kneecoach log list | edit | delete` (issue 16): ids listed, only the options given change, a bad value
exits 2 and changes nothing, an unknown id exits 1, a delete asks first unless --yes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.cli.app import EXIT_BAD_INPUT, EXIT_FAILED
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

cli = CliRunner()


def run(*args: object, input: str | None = None):  # type: ignore[no-untyped-def]
    return cli.invoke(app, [str(a) for a in args], input=input, env={"COLUMNS": "200"})


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert run("db", "upgrade", "--db", path).exit_code == 0
    return path


def _rows(db: str) -> tuple[list[tuple], list[tuple]]:
    f = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        ex = [(r.id, r.exercise_id, r.sets, r.reps, r.status, r.pain)
              for r in repo.list_exercise(s, owner, include_skipped=True)]
        pain = [(r.id, r.timing, r.score) for r in repo.list_pain(s, owner)]
    return ex, pain


def test_list_edit_and_delete_an_exercise_with_its_pain(db: str) -> None:
    assert run("log", "exercise", "clamshell", "--sets", "3", "--reps", "15", "--db", db).exit_code == 0
    ((ex_id, *_),), _ = _rows(db)
    listed = run("log", "list", "--db", db)
    assert listed.exit_code == 0 and f"│ {ex_id}" in listed.output and "clamshell" in listed.output
    assert "Pain, last 30 days: none." in listed.output
    r = run("log", "edit", "exercise", ex_id, "--status", "hurt", "--pain", "8", "--sets", "2", "--db", db)
    assert r.exit_code == 0 and "done, it hurt (8/10)" in r.output
    ex, pain = _rows(db)
    assert ex == [(ex_id, "clamshell", 2, 15, "done", 8)] and [p[1:] for p in pain] == [("daily", 8)]
    assert "during clamshell" in run("log", "list", "--db", db).output
    r = run("log", "edit", "exercise", ex_id, "--no-pain", "--db", db)
    assert r.exit_code == 0 and _rows(db) == ([(ex_id, "clamshell", 2, 15, "done", None)], [])
    run("log", "edit", "exercise", ex_id, "--pain", "5", "--db", db)
    declined = run("log", "delete", "exercise", ex_id, "--db", db, input="n\n")
    assert declined.exit_code == EXIT_BAD_INPUT and "nothing was deleted" in declined.output
    assert len(_rows(db)[0]) == 1
    r = run("log", "delete", "exercise", ex_id, "--db", db, input="y\n")
    assert r.exit_code == 0 and "and its pain entry" in r.output and _rows(db) == ([], [])


def test_edit_and_delete_a_pain_entry(db: str) -> None:
    run("log", "pain", "6", "--timing", "after", "--db", db)
    ((pid, _, _),) = _rows(db)[1]
    r = run("log", "edit", "pain", pid, "--score", "2", "--timing", "next-morning", "--db", db)
    assert r.exit_code == 0 and _rows(db)[1] == [(pid, "next_morning", 2)]
    r = run("log", "delete", "pain", pid, "--yes", "--db", db)
    assert r.exit_code == 0 and _rows(db)[1] == []


@pytest.mark.parametrize(("args", "message"), [
    (("edit", "pain", "{pid}", "--score", "11"), "0 (none) to 10"),
    (("edit", "pain", "{pid}", "--timing", "sometimes"), "pain timing must be one of"),
    (("edit", "pain", "{pid}", "--date", (date.today() + timedelta(days=5)).isoformat()), "in the future"),
    (("edit", "pain", "{pid}", "--date", "31/03/2026"), "YYYY-MM-DD"),
    (("edit", "pain", "{pid}"), "nothing to change"),
    (("edit", "exercise", "{eid}", "--sets", "-1"), "sets cannot be negative"),
    (("edit", "exercise", "{eid}", "--exercise", "moonwalk"), "moonwalk"),
    (("edit", "exercise", "{eid}", "--status", "hurt"), "needs --pain"),
    (("edit", "exercise", "{eid}", "--status", "maybe"), "done, hurt or skipped"),
    (("edit", "exercise", "{eid}", "--status", "skipped", "--pain", "3"), "no pain score"),
    (("delete", "run", "{eid}", "--yes"), "exercise or pain"),
])
def test_bad_values_exit_2_and_change_nothing(db: str, args: tuple, message: str) -> None:
    run("log", "pain", "6", "--timing", "after", "--db", db)
    run("log", "exercise", "clamshell", "--sets", "3", "--db", db)
    before = _rows(db)
    ids = {"pid": before[1][0][0], "eid": before[0][0][0]}
    r = run("log", *[a.format(**ids) for a in args], "--db", db)
    assert r.exit_code == EXIT_BAD_INPUT and message in r.output, r.output
    assert _rows(db) == before


def test_unknown_ids_exit_1(db: str) -> None:
    for args in (("edit", "exercise", "404", "--sets", "1"), ("edit", "pain", "404", "--score", "1"),
                 ("delete", "pain", "404", "--yes"), ("delete", "exercise", "404")):
        r = run("log", *args, "--db", db)
        assert r.exit_code == EXIT_FAILED and "log list" in r.output, (args, r.output)


def test_last_names_the_newest_entry_and_a_bad_id_exits_2(db: str) -> None:
    assert run("log", "edit", "pain", "last", "--score", "1", "--db", db).exit_code == EXIT_FAILED  # none yet
    run("log", "pain", "6", "--timing", "after", "--db", db)
    run("log", "pain", "7", "--timing", "daily", "--db", db)
    r = run("log", "edit", "pain", "last", "--score", "2", "--db", db)
    assert r.exit_code == 0 and [p[1:] for p in _rows(db)[1]] == [("after", 6), ("daily", 2)]
    r = run("log", "delete", "pain", "first", "--yes", "--db", db)
    assert r.exit_code == EXIT_BAD_INPUT and "'last'" in r.output and len(_rows(db)[1]) == 2
