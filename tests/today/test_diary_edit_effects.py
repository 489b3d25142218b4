"""After a correction, Today, adherence and the weekly review read the corrected diary (issue 16.5)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kneecoach.plan.models import Plan
from kneecoach.store import diary_edit, migrate, repo, taps
from kneecoach.store.db import make_engine, make_session_factory, transaction

TODAY = date.today()


def test_a_mistaken_done_removed_lowers_the_weeks_adherence_and_today_shows_it_to_do(tmp_path: Path,
                                                                                      plan: Plan) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    migrate.upgrade(url)
    f = make_session_factory(make_engine(url))
    with transaction(f) as s:
        owner = repo.create_user(s, "a@effects.test", "A", password_hash=None).id
        repo.save_plan(s, owner, plan, reason="test")
        todays = taps.day_exercises(s, owner, TODAY) or taps.plan_exercises(s, owner)
        ex = todays[0]
        logged = taps.log_exercise(s, owner, TODAY, ex.id, ex.dose.sets, ex.dose.reps, ex.dose.hold_s,
                                   key="effects-tap-1")
        before = taps.weekly_adherence_for(s, owner, TODAY)[-1]
    with transaction(f) as s:
        diary_edit.delete_exercise(s, owner, logged.id)
    with transaction(f) as s:
        after = taps.weekly_adherence_for(s, owner, TODAY)[-1]
        assert before.done == 1 and after.done == 0 and after.prescribed == before.prescribed
        view = taps.load_today(s, owner, TODAY)
        assert all(i.status == "todo" for i in view.items)
    with transaction(f) as s:  # a replay of the mistaken tap does not count it again
        assert taps.log_exercise(s, owner, TODAY, ex.id, key="effects-tap-1").deleted
        assert taps.weekly_adherence_for(s, owner, TODAY)[-1].done == 0


def test_a_skipped_tap_changed_to_done_counts(tmp_path: Path, plan: Plan) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    migrate.upgrade(url)
    f = make_session_factory(make_engine(url))
    with transaction(f) as s:
        owner = repo.create_user(s, "b@effects.test", "B", password_hash=None).id
        repo.save_plan(s, owner, plan, reason="test")
        ex = (taps.day_exercises(s, owner, TODAY) or taps.plan_exercises(s, owner))[0]
        logged = taps.log_exercise(s, owner, TODAY, ex.id, status="skipped")
        assert taps.weekly_adherence_for(s, owner, TODAY)[-1].done == 0
        diary_edit.edit_exercise(s, owner, logged.id, status="done", sets=ex.dose.sets, reps=ex.dose.reps)
        assert taps.weekly_adherence_for(s, owner, TODAY)[-1].done == 1


def test_a_pain_score_corrected_from_8_to_3_no_longer_pauses_running_in_review(tmp_path: Path) -> None:
    from kneecoach.cli import app

    from ..store.conftest import make_plan

    monday = date(2026, 3, 2)
    db = str(tmp_path / "r.db")
    migrate.upgrade(f"sqlite:///{db}")
    f = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.save_plan(s, owner, make_plan().model_copy(update={"start_date": monday}), "initial")
    cli = CliRunner()

    def run(*args: object):  # type: ignore[no-untyped-def]
        return cli.invoke(app, [str(a) for a in args] + ["--db", db])

    for d, km in ((1, 6), (3, 6), (5, 4), (6, 8)):
        assert run("log", "run", km, "--minutes", km * 6, "--pain", 1, "--date", monday + timedelta(days=d)).exit_code == 0
    assert run("log", "pain", 8, "--timing", "next_morning", "--date", monday + timedelta(days=6)).exit_code == 0

    def decision() -> str:
        r = run("review", "-f", "json", "--date", monday + timedelta(days=6))
        assert r.exit_code == 0, r.output
        return json.loads(r.output)["decision"]["action"]

    assert decision() == "pause_running"
    with transaction(f) as s:
        (entry,) = [p.id for p in repo.list_pain(s, owner) if p.timing == "next_morning"]
    r = run("log", "edit", "pain", entry, "--score", 3)
    assert r.exit_code == 0 and "3/10" in r.output
    assert decision() == "progress"


def test_cli_today_shows_the_entry_id_to_correct_a_tap(tmp_path: Path, plan: Plan) -> None:
    import re

    from kneecoach.cli import app

    db = str(tmp_path / "t.db")
    migrate.upgrade(f"sqlite:///{db}")
    f = make_session_factory(make_engine(f"sqlite:///{db}"))
    with transaction(f) as s:
        owner = repo.get_or_create_local_runner(s).id
        repo.save_plan(s, owner, plan, reason="test")
        todays = taps.day_exercises(s, owner, TODAY)
    if not todays:
        pytest.skip("a rest day from the exercises: nothing to tap today")
    cli = CliRunner()
    r = cli.invoke(app, ["today", "--db", db, "--done", todays[0].id])
    assert r.exit_code == 0, r.output
    entry = re.search(r"\(entry (\d+)\)", r.output)
    assert entry and "Logged by mistake?" in r.output
    r = cli.invoke(app, ["log", "delete", "exercise", entry.group(1), "--yes", "--db", db])
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["today", "--db", db])
    assert "(entry " not in r.output and f"[ ] {todays[0].name}" in r.output
