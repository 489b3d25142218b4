"""Issue 16.6 from the command line: every command that shows or takes a distance honours the unit.

One rule for all (kneecoach.cli.units): ``--units`` > ``$KNEECOACH_UNITS`` > the runner's stored
setting (``kneecoach user units``) > km; ``assess`` on a file has no runner and stops at km.
The sweep renders every face with ``--units mi`` and again from the stored setting, and checks that
nothing a runner reads says km, and that the numbers are the stored km / 1.609344 as rounded.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.cli.app import EXIT_BAD_INPUT
from kneecoach.intake.units import KM_PER_MILE
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

KM_WORD = re.compile(r"\bkm\b|kilomet", re.IGNORECASE)
TODAY = date.today()
START = TODAY - timedelta(days=TODAY.weekday()) - timedelta(weeks=4)


def run(*args: object, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "220", **(env or {})})


def km_said(text: str) -> list[str]:
    return [text[max(0, m.start() - 60): m.end() + 20] for m in KM_WORD.finditer(text)]


@pytest.fixture(autouse=True)
def no_env_unit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KNEECOACH_UNITS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A runner with a plan that started four weeks ago, runs in those weeks (one long) and pain."""
    path = str(tmp_path / "units.db")
    r = run("assess", "--example", "marathoner_000", "-f", "json", "--save", "--db", path)
    assert r.exit_code == 0, r.output
    factory = make_session_factory(make_engine(f"sqlite:///{path}"))
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        _v, plan = repo.latest_plan(s, owner)
        repo.save_plan(s, owner, plan.model_copy(update={"start_date": START}), "started four weeks ago")
    for week, kms in enumerate(((8, 8, 10), (9, 9, 10), (10, 10, 22), (6, 6, 8))):
        monday = START + timedelta(weeks=week)
        for i, km in enumerate(kms):
            day = monday + timedelta(days=1 + 2 * i)
            assert run("log", "run", km, "--minutes", km * 6, "--unit", "km", "--date", day, "--db", path).exit_code == 0
        assert run("log", "pain", 2 + week % 2, "--timing", "during", "--date", monday + timedelta(days=3),
                   "--db", path).exit_code == 0
    return path


@pytest.mark.parametrize("how", ["option", "stored", "env"])
def test_no_command_says_km_to_a_runner_in_miles(db: str, how: str, tmp_path: Path) -> None:
    units: tuple[str, ...] = ()
    env: dict[str, str] = {}
    if how == "option":
        units = ("--units", "mi")
    elif how == "stored":
        r = run("user", "units", "mi", "--db", db)
        assert r.exit_code == 0 and "miles (mi)" in r.output
        assert "miles (mi)" in run("user", "units", "--db", db).output
    else:
        env = {"KNEECOACH_UNITS": "mi"}
    faces = {}
    for name in ("review", "load", "runs", "today"):
        r = run(name, "--db", db, *units, env=env)
        assert r.exit_code in (0, 3), (name, r.output)
        faces[name] = r.output
    r = run("review", "-f", "json", "--db", db, *units, env=env)
    doc = json.loads(r.output)
    faces["review json sentences"] = "\n".join(
        [doc["decision"]["reason"], doc["decision"]["summary"], doc["acwr_note"], doc["pain_vs_load"], doc["hills"],
         *(w["message"] for w in doc["warnings"])])
    faces["load csv"] = run("load", "-f", "csv", "--db", db, *units, env=env).output
    load_doc = json.loads(run("load", "-f", "json", "--db", db, *units, env=env).output)
    faces["load json messages"] = "\n".join(w["message"] for w in load_doc["warnings"])
    svg = tmp_path / "load.svg"
    assert run("plot", svg, "--db", db, *units, env=env).exit_code == 0
    faces["plot"] = svg.read_text()
    for name, text in faces.items():
        assert not km_said(text), (how, name, km_said(text))
    assert "Weekly distance (mi)" in faces["plot"]
    assert doc["unit"] == "mi" and load_doc["unit"] == "mi"
    assert doc["warnings"], "a 22 km run after 10 km runs is warned about"
    # the numbers: stored km / 1.609344, rounded as shown
    nw = doc["decision"]["next_week"]
    shown = f"{round(nw['km'] / KM_PER_MILE, 1):g} mi, long run {round(nw['long_run_km'] / KM_PER_MILE, 1):g} mi"
    assert shown in faces["review"], faces["review"]
    assert nw["distance_mi"] == round(nw["km"] / KM_PER_MILE, 1)
    km_rows = {r["week_start"]: r for r in csv.DictReader(io.StringIO(
        run("load", "-f", "csv", "--units", "km", "--db", db).output))}
    mi_rows = list(csv.DictReader(io.StringIO(faces["load csv"])))
    assert mi_rows and set(mi_rows[0]) == {"week_start", "distance_mi", "runs", "hours", "climb_m_per_mi",
                                           "longest_run_mi", "change_pct"}
    for row in mi_rows:
        km = float(km_rows[row["week_start"]]["distance_km"])
        assert float(row["distance_mi"]) == pytest.approx(km / KM_PER_MILE, abs=0.006)
    assert any(float(r["distance_mi"]) > 0 for r in mi_rows)


def test_review_decides_the_same_in_either_unit(db: str) -> None:
    km = json.loads(run("review", "-f", "json", "--units", "km", "--db", db).output)
    mi = json.loads(run("review", "-f", "json", "--units", "mi", "--db", db).output)
    assert km["unit"] == "km" and "distance_mi" not in km["decision"]["next_week"]
    for key in ("action",):
        assert km["decision"][key] == mi["decision"][key]
    for key in ("km", "long_run_km", "plan_week", "kind"):
        assert km["decision"]["next_week"][key] == mi["decision"]["next_week"][key]
    assert [w["action"] for w in km["weeks"]] == [w["action"] for w in mi["weeks"]]
    assert [w["run_km"] for w in km["weeks"]] == [w["run_km"] for w in mi["weeks"]]
    assert " km" in km["decision"]["reason"] + km["decision"]["summary"]


def test_assess_summary_and_markdown_in_miles(tmp_path: Path) -> None:
    r = run("assess", "--example", "marathoner_000", "--units", "mi")
    assert r.exit_code == 0, r.output
    assert "in the week, longest run" in r.output and not km_said(r.output), km_said(r.output)
    md = run("assess", "--example", "marathoner_000", "-f", "markdown", "--units", "mi").output
    assert "| Week | mi | Long run mi | Note |" in md
    assert not km_said(md), km_said(md)
    md_km = run("assess", "--example", "marathoner_000", "-f", "markdown").output
    assert "| Week | km | Long run km | Note |" in md_km  # no runner to read a setting from: km
    # the ramp rows are the km rows / 1.609344, as rounded
    rows_km = re.findall(r"^\| (\d+) \| ([\d.]+) \| ([\d.]+) \|", md_km, re.M)
    rows_mi = re.findall(r"^\| (\d+) \| ([\d.]+) \| ([\d.]+) \|", md, re.M)
    assert rows_km and len(rows_km) == len(rows_mi)
    for (wk, k, lk), (wm, m, lm) in zip(rows_km, rows_mi):
        assert wk == wm and float(m) == round(float(k) / KM_PER_MILE, 1) and float(lm) == round(float(lk) / KM_PER_MILE, 1)
    # the env variable works for a command without a database too
    md_env = run("assess", "--example", "marathoner_000", "-f", "markdown", env={"KNEECOACH_UNITS": "mi"}).output
    assert "| Week | mi |" in md_env


def test_intake_asks_in_miles_and_stores_km(tmp_path: Path) -> None:
    from kneecoach.assessment.kb import load_kb
    from kneecoach.intake.load import load_profile
    from tests.engine.test_cli_intake import answers, with_conditional

    keys = with_conditional(answers(load_kb()), [])
    assert keys.count("\n30\n40\n") == 1
    out = tmp_path / "me.yaml"
    r = CliRunner().invoke(app, ["intake", "-o", str(out), "--units", "mi"], input=keys.replace("\n30\n40\n", "\n20\n25\n"),
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Miles a week now" in r.output and "Kilometres" not in r.output
    profile = load_profile(out)
    assert profile.running.current_weekly_km == pytest.approx(20 * KM_PER_MILE)
    assert profile.running.target_weekly_km == pytest.approx(25 * KM_PER_MILE)


def test_bad_unit_is_refused_with_exit_2_and_nothing_stored(db: str) -> None:
    for args in (("review",), ("load",), ("runs",), ("today",), ("plot", "x.svg"), ("log", "run", "5", "--minutes", "30")):
        r = run(*args, "--units", "furlongs", "--db", db)
        assert r.exit_code == EXIT_BAD_INPUT, (args, r.output)
        assert "km or mi" in r.output and "furlongs" in r.output, (args, r.output)
    r = run("assess", "--example", "marathoner_000", "--units", "furlongs")
    assert r.exit_code == EXIT_BAD_INPUT and "km or mi" in r.output
    r = run("user", "units", "furlongs", "--db", db)
    assert r.exit_code == EXIT_BAD_INPUT and "nothing was changed" in r.output
    assert "kilometres (km)" in run("user", "units", "--db", db).output
    r = run("load", "--db", db, env={"KNEECOACH_UNITS": "leagues"})
    assert r.exit_code == EXIT_BAD_INPUT and "leagues" in r.output
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        assert len(repo.list_runs(s, repo.get_or_create_local_runner(s).id)) == 12  # the fixture's, no more


def test_log_run_defaults_to_the_stored_unit(db: str) -> None:
    assert run("user", "units", "mi", "--db", db).exit_code == 0
    r = run("log", "run", "3", "--minutes", "27", "--date", TODAY, "--db", db)
    assert r.exit_code == 0 and "3.00 mi" in r.output, r.output
    r = run("log", "run", "5", "--minutes", "30", "--unit", "km", "--date", TODAY, "--db", db)
    assert r.exit_code == 0 and "5.00 km" in r.output  # the option wins
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        runs = repo.list_runs(s, repo.get_or_create_local_runner(s).id, since=TODAY)
    assert sorted(round(a.distance_m, 3) for a in runs) == [round(3 * 1609.344, 3), 5000.0]


def test_exports_stay_metric_and_say_so(db: str, tmp_path: Path) -> None:
    import zipfile

    assert run("user", "units", "mi", "--db", db).exit_code == 0
    out = tmp_path / "me.zip"
    assert run("export", "-o", out, "--db", db).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        readme = zf.read("README.txt").decode()
        manifest = json.loads(zf.read("manifest.json"))
        runs = json.loads(zf.read("data/runs.json"))
    assert "Stored distances are metric" in readme and "1 mi = 1.609344 km" in readme
    assert "Your display unit is mi (miles" in readme
    assert manifest["stored_units"]["km_per_mile"] == KM_PER_MILE
    assert runs and all("distance_m" in r for r in runs)  # metres, as the column says
    fhir = tmp_path / "me.fhir.json"
    assert run("fhir", "-o", fhir, "--db", db).exit_code == 0
    doc = json.loads(fhir.read_text())
    quantities = [a["detail"]["quantity"] for e in doc["entry"] if e["resource"]["resourceType"] == "CarePlan"
                  for a in e["resource"].get("activity", []) if "quantity" in a.get("detail", {})]
    assert quantities and all(q["system"] == "http://unitsofmeasure.org" and q["code"] == "km" for q in quantities)
