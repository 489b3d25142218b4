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
