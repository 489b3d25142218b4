"""Issue 21 from the command line: log run by hand, mark days, review -f json, --apply changes nothing later."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .conftest import make_plan
from kneecoach.cli import app
from kneecoach.cli.app import EXIT_BAD_INPUT, EXIT_REFERRAL
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

runner = CliRunner()
MONDAY = date(2026, 3, 2)


def run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    assert run("db", "upgrade", "--db", path).exit_code == 0
    factory = make_session_factory(make_engine(f"sqlite:///{path}"))
    with transaction(factory) as s:
        repo.save_plan(s, repo.get_or_create_local_runner(s).id, make_plan().model_copy(update={"start_date": MONDAY}),
                       "initial")
    return path


def _json(*args: object, code: int = 0) -> dict:
    r = run("review", "-f", "json", *args)
    assert r.exit_code == code, r.output
    return json.loads(r.output)


def test_hand_runs_are_reviewed_like_imports(db: str) -> None:
    # plan week 1 is 25 km: 4 hand-entered runs make 24 km (96 %: done)
    for d, km in ((1, 6), (3, 6), (5, 4), (6, 8)):
        r = run("log", "run", km, "--minutes", km * 6, "--pain", 1, "--date", MONDAY + timedelta(days=d), "--db", db)
        assert r.exit_code == 0 and "hand-entered" in r.output, r.output
    doc = _json("--date", MONDAY + timedelta(days=6), "--db", db)
    week = doc["reviewed_week"]
    assert (week["number"], week["prescribed_km"], week["run_km"], week["done"]) == (1, 25, 24, True)
    assert doc["decision"]["action"] == "progress" and doc["decision"]["next_week"]["km"] == 27.5
    assert doc["disclaimer"] and any("giving way" in x for x in doc["referral_reasons"])
    assert doc["acwr"]["ratio"] is None and doc["acwr"]["decision_input"] is False  # under four weeks of history
    assert "never" in doc["acwr_note"]
    assert doc["saved_plan_version"] is None
    assert doc["upcoming"][0]["number"] == 2 and doc["upcoming"][0]["km"] == 27.5  # next week first, then the plan
    # The same decision on Wednesday of the next week, and after --apply
    later = _json("--date", MONDAY + timedelta(days=9), "--db", db)
    assert later["decision"] == doc["decision"]
    applied = _json("--apply", "--date", MONDAY + timedelta(days=7), "--db", db)
    assert applied["saved_plan_version"] == 2
    again = _json("--date", MONDAY + timedelta(days=10), "--db", db)
    assert again["decision"] == doc["decision"]


def test_log_run_validation_and_miles(db: str) -> None:
    for args, msg in [
        (("log", "run", "0", "--minutes", "30"), "distance must be more than 0"),
        (("log", "run", "6.5", "--minutes", "0"), "minutes must be more than 0"),
        (("log", "run", "30", "--minutes", "20"), "faster than any runner"),
        (("log", "run", "6.5", "--minutes", "38", "--unit", "furlong"), "unit must be km or mi"),
        (("log", "run", "6.5", "--minutes", "38", "--pain", "12"), "0 (none) to 10"),
        (("log", "day", "flu"), "day mark must be one of"),
    ]:
        r = run(*args, "--db", db)
        assert r.exit_code == EXIT_BAD_INPUT and msg in r.output, (args, r.output)
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        assert repo.list_runs(s, repo.get_or_create_local_runner(s).id) == []
    r = run("log", "run", "4", "--minutes", "36", "--unit", "mi", "--date", "2026-03-03", "--db", db)
    assert r.exit_code == 0 and "4.00 mi" in r.output  # said back in the unit it was typed in
    r = run("log", "run", "4", "--minutes", "36", "--unit", "mi", "--date", "2026-03-03", "--db", db)
    assert r.exit_code == 0  # a second identical hand run that day is its own run
    with transaction(factory) as s:
        runs = repo.list_runs(s, repo.get_or_create_local_runner(s).id)
    assert len(runs) == 2 and all(a.source_format == "manual" for a in runs)
    assert all(abs(a.distance_m - 4 * 1609.344) < 1e-6 for a in runs)  # stored metric


def test_marked_day_refers_and_severe_pain_any_timing_pauses(db: str) -> None:
    assert run("log", "pain", "8", "--timing", "daily", "--date", MONDAY + timedelta(days=2), "--db", db).exit_code == 0
    doc = _json("--date", MONDAY + timedelta(days=3), "--db", db)
    assert doc["decision"]["action"] == "pause_running" and doc["decision"]["next_week"]["km"] == 0
    assert run("log", "day", "giving_way", "--date", MONDAY + timedelta(days=3), "--db", db).exit_code == 0
    doc = _json("--date", MONDAY + timedelta(days=3), "--db", db, code=EXIT_REFERRAL)
    assert doc["decision"]["action"] == "see_clinician" and "giving way" in doc["decision"]["reason"]
    r = run("review", "--date", MONDAY + timedelta(days=3), "--db", db)
    assert r.exit_code == EXIT_REFERRAL
    assert "See a clinician if" in r.output and "Education, not a diagnosis" in r.output


def test_race_marked_from_runs(db: str) -> None:
    assert run("log", "run", "21.1", "--minutes", "110", "--race", "--date", "2026-03-07", "--db", db).exit_code == 0
    r = run("log", "run", "5", "--minutes", "30", "--date", "2026-03-04", "--db", db)
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        rows = repo.run_rows(s, repo.get_or_create_local_runner(s).id)
    assert [x.race for x in rows] == [False, True]
    r = run("runs", "--race", rows[0].id, "--db", db)
    assert r.exit_code == 0 and "marked as a race" in r.output
    assert run("runs", "--race", 9999, "--db", db).exit_code == EXIT_BAD_INPUT
