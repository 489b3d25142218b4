"""The caseload's facts computed from stored rows (kneecoach.store.caseload), number by number."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from kneecoach.engine import assess, load_kb
from kneecoach.intake.load import load_example
from kneecoach.store import care, repo
from kneecoach.store.caseload import caseload_facts
from kneecoach.store import migrate
from kneecoach.store.db import make_engine, make_session_factory, transaction

from ..web.test_multiworker import PG_URL, pg_database  # noqa: F401  (fixture: a fresh database, dropped after)

TODAY = date(2026, 12, 1)


def _answers(kb, best: bool) -> dict[str, str]:
    """Kujala answers: each item's best (or worst) option."""
    pick = max if best else min
    return {i.id: pick(i.options, key=lambda o: o.points).id for i in kb.kujala.items}


def _setup(factory):
    kb = load_kb()
    with transaction(factory) as s:
        doc = repo.create_user(s, "doc@x.org", "Doc", "clinician")
        runner = repo.create_user(s, "r@x.org", "Rita")
        other = repo.create_user(s, "o@x.org", "Otto")
        for who in (runner, other):
            link = repo.create_invite(s, who.id)
            if who is runner:
                repo.accept_invite(s, doc.id, link.invite_code)
        base = load_example("runners_knee_004")
        first = base.model_copy(update={"kujala": _answers(kb, True)})
        then = base.model_copy(update={"kujala": _answers(kb, False)})
        p1 = repo.save_profile(s, runner.id, first, taken_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
        repo.save_profile(s, runner.id, then, kind="retest", taken_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
        a = assess(base)
        arec = repo.save_assessment(s, runner.id, p1.id, a.model_dump(mode="json"), a.kb_version)
        # stored on Thu 1 Oct: plan week 1 starts the Monday after, as save_plan would set it then
        rec = repo.save_plan(s, runner.id, a.plan.model_copy(update={"start_date": date(2026, 10, 5)}), "intake",
                             assessment_id=arec.id)
        rec.created_at = datetime(2026, 10, 1, tzinfo=timezone.utc)
        for d, sc in ((13, 1), (12, 1), (3, 4), (2, 6)):
            repo.add_pain(s, runner.id, TODAY - timedelta(days=d), "during", sc)
        ex = next(e.id for p in a.plan.phases for e in p.exercises)
        for d in (1, 3, 5):
            repo.add_exercise(s, runner.id, TODAY - timedelta(days=d), ex, 3, 10, known_ids={ex})
        repo.add_pain(s, other.id, TODAY, "during", 9)  # not linked: never in the caseload
        return doc.id, runner.id, a.plan, kb


def test_facts_from_stored_rows(factory):
    _check_facts(factory)


@pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL to a throwaway PostgreSQL server")
def test_facts_from_stored_rows_on_postgres(pg_database):  # noqa: F811
    engine = make_engine(pg_database)
    try:
        migrate.upgrade(pg_database)
        _check_facts(make_session_factory(engine))
    finally:
        engine.dispose()


def _check_facts(factory):
    doc_id, runner_id, plan, kb = _setup(factory)
    with factory() as s:
        (f,) = caseload_facts(s, doc_id, TODAY, kb)
    assert f.runner_id == runner_id and f.name == "Rita"
    assert f.current_pain == 6 and f.max_run_pain_14d == 6
    assert f.pain_rise == 4.0  # mean 5 in the last 7 days against 1 the week before
    assert f.kujala == sum(min(o.points for o in i.options) for i in kb.kujala.items)
    best = sum(max(o.points for o in i.options) for i in kb.kujala.items)
    assert f.kujala_change == f.kujala - best and f.kujala_fall == best - f.kujala
    assert f.days_since_measure == 30 and f.days_inactive == 1
    first_phase = next(p for p in plan.phases if p.exercises)  # no review yet: the first phase with exercises
    per_week = max(e.dose.days_per_week for e in first_phase.exercises)
    assert f.adherence_pct == round(min(1.0, 3 / (per_week * 2)) * 100)  # 3 exercise days in 14
    week = (TODAY - date(2026, 10, 5)).days // 7 + 1  # plan week 9 on Tue 1 Dec
    assert f.planned_km_this_week == round(plan.mileage_ramp[min(week, len(plan.mileage_ramp)) - 1].km, 1)
    assert f.referral is False and f.unread_notes == 0
    assert f.kujala_no_gain_weeks is None  # the first score was the best there is: no room to gain


def test_planned_km_follows_the_plan_calendar_after_a_saved_review():
    from kneecoach.store.caseload import _planned_km

    # a saved review's ramp starts at the week it decided (week 5 here), counted from start_date
    summary = {"ramp_km": [20.0, 16.0, 22.0], "ramp_weeks": [5, 6, 7], "start_date": "2026-10-05"}
    assert _planned_km(summary, None, date(2026, 11, 2)) == 20.0   # week 5
    assert _planned_km(summary, None, date(2026, 11, 12)) == 16.0  # week 6
    assert _planned_km(summary, None, date(2026, 12, 31)) == 22.0  # after the ramp: the last week
    assert _planned_km(summary, None, date(2026, 10, 1)) == 20.0   # before: the first
    old = {"ramp_km": [10.0, 11.0]}  # a summary from before start_date was stored
    assert _planned_km(old, datetime(2026, 10, 1, tzinfo=timezone.utc), date(2026, 10, 9)) == 11.0


def test_a_kujala_without_gain_for_seven_weeks_is_a_fact(factory):
    kb = load_kb()
    with transaction(factory) as s:
        doc = repo.create_user(s, "doc@x.org", "Doc", "clinician")
        runner = repo.create_user(s, "s@x.org", "Sam")
        repo.accept_invite(s, doc.id, repo.create_invite(s, runner.id).invite_code)
        worst = load_example("runners_knee_004").model_copy(update={"kujala": _answers(kb, False)})
        repo.save_profile(s, runner.id, worst, taken_at=datetime(2026, 10, 13, tzinfo=timezone.utc))
        repo.save_profile(s, runner.id, worst, kind="retest", taken_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
    with factory() as s:
        (f,) = caseload_facts(s, doc.id, TODAY, kb)
    assert f.kujala_no_gain_weeks == 7


def test_unread_notes_and_referral_since_last_visit(factory):
    doc_id, runner_id, _plan, kb = _setup(factory)
    with transaction(factory) as s:
        care.add_note(s, runner_id, doc_id, runner_id, "hello")
        care.add_note(s, runner_id, doc_id, runner_id, "again")
        red = assess(load_example("red_flag_locking"))
        prof = repo.save_profile(s, runner_id, load_example("red_flag_locking"))
        repo.save_assessment(s, runner_id, prof.id, red.model_dump(mode="json"), red.kb_version)
    with factory() as s:
        (f,) = caseload_facts(s, doc_id, TODAY, kb)
    assert f.unread_notes == 2 and f.referral and f.referral_since_visit
    with transaction(factory) as s:  # the clinician opens the runner's results: a visit
        doc = repo.get_user(s, doc_id)
        care.log_access(s, runner_id, doc, "read", "results", f"/u/{runner_id}/results")
        care.log_access_many(s, [runner_id], doc, "caseload", "/home")  # the caseload is not a visit
        care.mark_read(s, runner_id, doc_id, doc_id)
    with factory() as s:
        (f,) = caseload_facts(s, doc_id, TODAY, kb)
    assert f.unread_notes == 0 and f.referral and not f.referral_since_visit


def test_unsettled_mornings_in_a_row_pause_running_by_the_plans_rule(factory):
    from kneecoach.store.caseload import longest_streak

    doc_id, runner_id, plan, kb = _setup(factory)
    limit, needed = plan.pain_rule.max_next_morning, plan.pain_rule.pause_after_unsettled_mornings
    with transaction(factory) as s:
        for d in range(needed):  # unsettled mornings, one after another, ending yesterday
            repo.add_pain(s, runner_id, TODAY - timedelta(days=1 + d), "next_morning", limit + 1)
        repo.add_pain(s, runner_id, TODAY - timedelta(days=10), "next_morning", limit)  # at the limit: settled
    with factory() as s:
        (f,) = caseload_facts(s, doc_id, TODAY, kb)
    assert f.unsettled_mornings == needed and f.mornings_pause
    assert longest_streak({TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=5)}) == 2
    assert longest_streak(set()) == 0
