"""`kneecoach review --apply` keeps a clinician's change in force and says so (issue 17).

The hook lives where plan versions are written (``repo.save_plan``), so the review's decision logic
is untouched: the review proposes its plan, the store applies the clinician's changes on top.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.engine import load_kb
from kneecoach.plan.changes import ChangeRequest, make_change
from kneecoach.store import migrate, plan_versions, repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

from .conftest import make_plan, write_gpx


def test_review_apply_keeps_a_clinicians_cap_until_released(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    migrate.upgrade(f"sqlite:///{db}")
    factory = make_session_factory(make_engine(f"sqlite:///{db}"))
    today = date.today()
    folder = tmp_path / "runs"
    for d in range(1, 30, 2):
        day = today - timedelta(days=d)
        write_gpx(folder, datetime(day.year, day.month, day.day, 7, tzinfo=timezone.utc), 6.0)
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        doc = repo.create_user(s, "doc@x.org", "Dr K", "clinician")
        repo.save_plan(s, owner, make_plan(), "initial")
        current, _base = plan_versions.current_and_base(s, owner)
        change = make_change(ChangeRequest(kind="cap_weekly_km", km=4, reason="stress reaction on MRI"), current,
                             load_kb(), set(), author_id=doc.id, author_name=doc.display_name)
        plan_versions.add_change(s, owner, doc, change)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(folder), "--db", db]).exit_code == 0
    r = runner.invoke(app, ["review", "--apply", "--db", db])
    assert r.exit_code == 0, r.output
    assert "Saved plan version 3" in r.output and "kept 1 change by Dr K" in r.output
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        version, plan = repo.latest_plan(s, owner)  # type: ignore[misc]
        rec = plan_versions.history(s, owner)[0]
        assert version == 3 and rec.author_id is None
        assert max(w.km for w in plan.mileage_ramp) <= 4 and len(plan.clinician_changes) == 1
        plan_versions.release_change(s, owner, repo.get_user_by_email(s, "doc@x.org"), change.id, "healed")
        _v, released = repo.latest_plan(s, owner)  # type: ignore[misc]
        assert released.clinician_changes == [] and max(w.km for w in released.mileage_ramp) > 4


def test_a_retest_keeps_the_change_and_release_returns_to_kneecoachs_ramp(tmp_path: Path) -> None:
    import yaml

    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example, retest_example_names, retest_example_text
    from kneecoach.store.loop import record_retest

    name = retest_example_names()[0]
    url = f"sqlite:///{tmp_path / 'r.db'}"
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    kb = load_kb()
    with transaction(factory) as s:
        runner = repo.create_user(s, "r@x.org", "R")
        doc = repo.create_user(s, "d@x.org", "Dr K", "clinician")
        profile = load_example(name)
        repo.save_assessment_and_plan(s, runner.id, profile, assess(profile, kb),
                                      kind="intake")
        _v, kneecoach_plan = repo.latest_plan(s, runner.id)  # type: ignore[misc]
        current, _ = plan_versions.current_and_base(s, runner.id)
        change = make_change(ChangeRequest(kind="hold_running", reason="bone pain"), current, kb, set(),
                             author_id=doc.id, author_name="Dr K")
        plan_versions.add_change(s, runner.id, doc, change)
        record_retest(s, runner.id, yaml.safe_load(retest_example_text(name)), kb, date.today() + timedelta(days=1))
        _v, after = repo.latest_plan(s, runner.id)  # type: ignore[misc]
        assert all(w.km == 0 for w in after.mileage_ramp) and len(after.clinician_changes) == 1
        assert any("kept 1 change by Dr K" in n for n in after.notes)
        plan_versions.release_change(s, runner.id, doc, change.id, "scan clear")
        _v, released = repo.latest_plan(s, runner.id)  # type: ignore[misc]
        assert [w.km for w in released.mileage_ramp] == [w.km for w in kneecoach_plan.mileage_ramp]
