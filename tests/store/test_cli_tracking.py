"""Tracking CLI against a temporary SQLite file: migrate on first use, import, log, view, review."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .conftest import make_plan, write_gpx
from kneecoach.cli import app
from kneecoach.store import migrate, repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


def _counts(db: str) -> tuple[int, int, int]:
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        return len(repo.list_runs(s, owner)), len(repo.list_pain(s, owner)), len(repo.list_exercise(s, owner))


def test_db_commands(db: str) -> None:
    r = run("db", "current", "--db", db)
    assert r.exit_code == 0 and "empty" in r.output
    r = run("db", "upgrade", "--db", db)
    assert r.exit_code == 0 and migrate.head() in r.output
    assert migrate.current(f"sqlite:///{db}") == migrate.head()


def test_import_exit_codes_and_report(db: str, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    folder = tmp_path / "runs"
    write_gpx(folder, datetime(2026, 3, 2, 7, tzinfo=timezone.utc), 8.0)
    write_gpx(folder, datetime(2026, 3, 4, 7, tzinfo=timezone.utc), 6.0)
    (folder / "bad.gpx").write_text("<gpx", encoding="utf-8")

    r = run("import", folder, "--db", db)  # fresh file: migrated automatically
    assert r.exit_code == 0, r.output
    assert "2 run(s) imported" in r.output and "1 file(s) could not be read" in r.output
    assert "bad.gpx" in r.output
    assert _counts(db)[0] == 2

    r = run("import", folder, "--db", db)  # only duplicates (and the same bad file) -> still 0
    assert r.exit_code == 0 and "2 duplicate(s)" in r.output

    r = run("import", folder / "bad.gpx", "--db", db)  # every file failed
    assert r.exit_code == 1

    (tmp_path / "empty").mkdir()
    r = run("import", tmp_path / "empty", "--db", db)
    assert r.exit_code == 2 and "no GPX, TCX or FIT files" in r.output

    r = run("import", tmp_path / "missing", "--db", db)
    assert r.exit_code == 2 and "no such file" in r.output

    r = run("runs", "--db", db)
    assert r.exit_code == 0 and "8.00" in r.output and "6.00" in r.output


def test_log_validation(db: str) -> None:
    ok = run("log", "pain", "2", "--timing", "next_morning", "--date", "2026-03-03", "--note", "stiff", "--db", db)
    assert ok.exit_code == 0 and "2/10" in ok.output
    for args, msg in [
        (("log", "pain", "11"), "0 (none) to 10"),
        (("log", "pain", "3", "--timing", "sometimes"), "timing must be one of"),
        (("log", "pain", "3", "--date", "03/03/2026"), "YYYY-MM-DD"),
        (("log", "exercise", "clamshell", "--sets", "-2"), "sets cannot be negative"),
        (("log", "exercise", "clamshell", "--load-kg", "-1"), "load cannot be negative"),
    ]:
        r = run(*args, "--db", db)
        assert r.exit_code == 2, args  # the input is wrong
        assert msg in r.output, (args, r.output)
    known = repo.known_exercise_ids()
    if known:
        ex = sorted(known)[0]
        assert run("log", "exercise", ex, "--sets", "3", "--reps", "12", "--db", db).exit_code == 0
        bad = run("log", "exercise", ex[:-1] + "q", "--db", db)
        assert bad.exit_code == 2 and "unknown exercise" in bad.output and ex in bad.output
    assert _counts(db)[1:] == (1, 1 if known else 0)


def test_load_review_apply_and_plot(db: str, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    today = date.today()
    folder = tmp_path / "runs"
    for d in range(1, 36, 2):
        day = today - timedelta(days=d)
        write_gpx(folder, datetime(day.year, day.month, day.day, 7, tzinfo=timezone.utc), 5.0 + (d % 3))
    assert run("import", folder, "--db", db).exit_code == 0
    assert run("log", "pain", "6", "--timing", "during", "--date", str(today - timedelta(days=1)), "--db", db).exit_code == 0

    r = run("review", "--db", db)
    assert r.exit_code == 1 and "no plan stored" in r.output

    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        repo.save_plan(s, repo.get_or_create_local_runner(s).id, make_plan(), "initial")

    r = run("load", "--db", db)
    assert r.exit_code == 0 and "ACWR" in r.output and "week of" in r.output

    r = run("review", "--db", db)
    assert r.exit_code == 0, r.output
    assert "step back" in r.output and "6/10" in r.output
    r = run("review", "--apply", "--db", db)
    assert r.exit_code == 0 and "Saved plan version 2" in r.output
    with transaction(factory) as s:
        version, plan = repo.latest_plan(s, repo.get_or_create_local_runner(s).id)  # type: ignore[misc]
        assert version == 2 and any("step back" in n for n in plan.notes)

    png = tmp_path / "out" / "load.png"
    r = run("plot", png, "--db", db)
    assert r.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    r = run("plot", tmp_path / "load.gif", "--db", db)
    assert r.exit_code == 2 and ".png or .svg" in r.output


def test_end_to_end_with_engine_plan_seed_000(db: str, tmp_path: Path) -> None:
    """assess --save (the real engine) -> import GPX -> diary -> review --apply, as a runner would."""
    from .test_review import MONDAY, RUN_DAYS, SCENARIO_KM, _scenario_pain, _week_runs

    url = f"sqlite:///{db}"
    r = run("assess", "--example", "marathoner_000", "--save", "--db", url)
    assert r.exit_code == 0, r.output
    folder = tmp_path / "watch"
    for w, km in enumerate(SCENARIO_KM):
        for a in _week_runs(w, km):
            write_gpx(folder, a.start, a.distance_km)
    r = run("import", folder, "--db", db)
    assert r.exit_code == 0 and "48 run(s) imported" in r.output
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        for w, km in enumerate(SCENARIO_KM):
            for i, d in enumerate(RUN_DAYS):
                repo.add_pain(s, owner, MONDAY + timedelta(weeks=w, days=d), "during", _scenario_pain(km, i))
            if w < 8:
                for d in (0, 2, 4):
                    repo.add_exercise(s, owner, MONDAY + timedelta(weeks=w, days=d), "glute_bridge", sets=3, reps=15)
        before, plan = repo.latest_plan(s, owner)  # type: ignore[misc]

    today = MONDAY + timedelta(weeks=12)
    r = run("review", "--apply", "--date", str(today), "--db", db)
    assert r.exit_code == 0, r.output
    assert "Decision: step back" in r.output or "Decision: hold" in r.output
    assert "above 40 km" in r.output or "above 41 km" in r.output
    assert "Strength lapse" in r.output and "000_4e2dc1858106602e.txt" in r.output
    assert f"Saved plan version {before + 1}" in r.output
    with transaction(factory) as s:
        version, new = repo.latest_plan(s, owner)  # type: ignore[misc]
    assert version == before + 1 and new.mileage_ramp[0].km < 50
    assert new.ramp_rule == plan.ramp_rule and new.phases == plan.phases


def test_load_with_only_old_runs_says_what_is_stored(db: str, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    folder = tmp_path / "old"
    write_gpx(folder, datetime(2019, 5, 1, 7, tzinfo=timezone.utc), 8.0)
    write_gpx(folder, datetime(2019, 5, 3, 7, tzinfo=timezone.utc), 5.0)
    assert run("import", folder, "--db", db).exit_code == 0

    r = run("load", "--db", db)
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "No runs yet" not in text
    assert "2 stored run(s) from 2019-05-01 to 2019-05-03" in text
    assert "kneecoach load --until 2019-05-03" in text

    r = run("load", "--db", db, "--until", "2019-05-03")
    assert r.exit_code == 0, r.output
    assert "2019-04-29" in r.output and "13.0" in r.output  # the week of the two runs, 8 + 5 km


def test_impossible_speed_is_flagged_left_out_of_load_until_confirmed(db: str, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from tests.tracking.fixtures import FitDesign, make_fit

    folder = tmp_path / "mixed"
    day = date.today() - timedelta(days=2)
    write_gpx(folder, datetime(day.year, day.month, day.day, 7, tzinfo=timezone.utc), 8.0)
    car = FitDesign(start=datetime(day.year, day.month, day.day, 17, tzinfo=timezone.utc), seconds=1800,
                    speed_mps=15.0, climb_m=0.0, record_every_s=60)           # 27 km in 30 min: a car
    (folder / "car.fit").write_bytes(make_fit(car))

    r = run("import", folder, "--db", db)
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "2 run(s) imported" in text and "1 run(s) flagged" in text and "car.fit" in text

    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        counted = repo.list_runs(s, owner)
        everything = repo.list_runs(s, owner, include_unconfirmed=True)
        car_id = next(row.id for row in repo.run_rows(s, owner) if row.speed_unconfirmed)
    assert [round(a.distance_km) for a in counted] == [8]
    assert sorted(round(a.distance_km) for a in everything) == [8, 27]

    r = run("runs", "--db", db)
    assert f"{car_id}!" in r.output
    r = run("runs", "--db", db, "--confirm", str(car_id))
    assert r.exit_code == 0 and "confirmed" in r.output
    with transaction(factory) as s:
        assert len(repo.list_runs(s, owner)) == 2
    r = run("runs", "--db", db, "--confirm", "99999")
    assert r.exit_code != 0 and "no run with id 99999" in r.output


def test_runs_shows_the_latest_and_says_how_many_more(db: str) -> None:
    from datetime import datetime, timezone

    from kneecoach.tracking.activity import Activity
    from kneecoach.tracking.load import daily_history_km

    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    migrate.upgrade(f"sqlite:///{db}")
    today = date.today()
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.add_runs(s, owner, [
            Activity(start=datetime(today.year, today.month, today.day, 6, tzinfo=timezone.utc) - timedelta(days=3 * i),
                     duration_s=1800.0, distance_m=5000.0 + 10 * i, source_format="gpx", source_name=f"r{i}.gpx")
            for i in range(60)
        ])
    r = run("runs", "--db", db, "--last", "5")
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "Showing the latest 5 of 60 runs" in text and "r0.gpx" in text and "r5.gpx" not in text

    # The windowed read used by `plot` gives the same daily history as reading every run.
    since = today - timedelta(days=40)
    with transaction(factory) as s:
        every = repo.list_runs(s, owner)
        window = repo.list_runs(s, owner, since=since)
        earlier = repo.last_run_before(s, owner, since)
    assert earlier is not None and earlier.start.date() < since
    full = daily_history_km(every, today, lookback_days=40)
    assert daily_history_km([earlier, *window], today, lookback_days=40) == full
