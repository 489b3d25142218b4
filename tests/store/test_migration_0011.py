"""Migration 0011 (clinician's workspace) on a database of the previous schema (0006) with data in it.

The migration only adds columns and tables; these tests show stored rows come through unchanged
(a plan without an author is kneecoach's, a link without consent is read-only), that the caseload
reads a plan stored before plan summaries existed (and stores the summary on the row), and that
downgrading to 0006 gives the old tables back with their rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from kneecoach.store import migrate
from kneecoach.store.db import make_engine, make_session_factory


def test_upgrade_from_0006_keeps_plans_and_links_and_caseload_reads_old_plans(tmp_path: Path) -> None:
    from kneecoach.engine import assess, load_kb
    from kneecoach.intake.load import load_example

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0006")
    plan = assess(load_example("runners_knee_004")).plan
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO users (id, email, display_name, role, created_at) VALUES "
                          "(1, 'r@x.org', 'Old Runner', 'runner', '2026-10-01'), "
                          "(2, 'c@x.org', 'Old Clinician', 'clinician', '2026-10-01')"))
        c.execute(sa.text("INSERT INTO care_links (runner_id, clinician_id, invite_code, created_at, accepted_at) "
                          "VALUES (1, 2, 'code', '2026-10-01', '2026-10-02')"))
        c.execute(sa.text("INSERT INTO plans (owner_id, version, created_at, reason, data) VALUES "
                          "(1, 1, '2026-10-02', 'intake', :d)"), {"d": json.dumps(plan.model_dump(mode='json'))})
    engine.dispose()

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            row = c.execute(sa.text("SELECT version, reason, author_id, summary FROM plans")).one()
            assert (row.version, row.reason, row.author_id, row.summary) == (1, "intake", None, None)
            assert c.execute(sa.text("SELECT change_consent_at FROM care_links")).scalar() is None
        from kneecoach.store import care
        from kneecoach.store.caseload import caseload_facts

        factory = make_session_factory(engine)
        with factory.begin() as s:
            assert not care.can_change(s, 2, 1)
            facts = caseload_facts(s, 2, date(2026, 12, 1), load_kb())
            assert [f.name for f in facts] == ["Old Runner"] and facts[0].has_plan
            week = min((date(2026, 12, 1) - date(2026, 10, 2)).days // 7, len(plan.mileage_ramp) - 1)
            assert facts[0].planned_km_this_week == round(plan.mileage_ramp[week].km, 1)
        with engine.connect() as c:
            stored = c.execute(sa.text("SELECT summary FROM plans")).scalar_one()
            stored = stored if isinstance(stored, dict) else json.loads(stored)
            assert stored["ramp_km"] == [round(w.km, 1) for w in plan.mileage_ramp]
        migrate.downgrade(url, "0006")
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM plans")).scalar() == 1
            assert "access_log" not in sa.inspect(c).get_table_names()
    finally:
        engine.dispose()
