"""Today runs the week the weekly review has in force, saved or not (issue 16: one decision on every face).

Before this, Today read the stored ramp by week number counted from the newest plan version: a
step back or a pause the review decided never reached Today unless ``review --apply`` saved it,
and a review saved on a Sunday put Today one week ahead of the plan.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone


from .conftest import TEST_DOMAIN
from ..tracking.review_sim import START, Week, simulate, strength_ids
from kneecoach.plan.schedule import split_runs
from kneecoach.store import repo, taps
from kneecoach.store.db import transaction
from kneecoach.store.review_data import load_review
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.adherence import plan_prescription
from kneecoach.tracking.review import apply_review
from kneecoach.tracking.today import build_today, week_in_force
from kneecoach.tracking.weekly_walk import walk


def _story(n: int) -> Week:
    if n == 3:
        return Week(pain=[(2, "during", 5)])  # step back
    if n == 6:
        return Week(pain=[(1, "during", 7)])  # pause
    return Week()


def _today(sim, plan, day: date):  # type: ignore[no-untyped-def]
    res = walk(plan, START, sim.runs, sim.pain, sim.ex, sim.flags, day, strength_ids=strength_ids(),
               prescription=plan_prescription(plan))
    week = week_in_force(res, day)
    view = build_today(plan, 1, START, day, runs_per_week=4, pain=[p for p in sim.pain if p.day <= day], taps=[],
                       morning=None, exercise_history=sim.ex, this_week=week)
    return week, view


def test_every_day_of_ten_weeks_runs_what_the_review_says() -> None:
    sim = simulate(_story, 10)
    plan = sim.plan
    seen_actions = set()
    for offset in range(7, 7 * 10):
        day = START + timedelta(days=offset)
        known = [r for r in sim.runs if r.start.date() < day]
        rv = sim.review_on(day, known_until=day - timedelta(days=1))
        sub = type(sim)(plan, known, [p for p in sim.pain if p.day < day], [e for e in sim.ex if e.day < day],
                        [f for f in sim.flags if f.day < day])
        week, view = _today(sub, plan, day)
        assert view.plan_week == week.number
        if day.weekday() < 6:  # Monday-Saturday: the week under way is the review's "this week"
            assert rv.decision.next_week_start <= day
            assert week.km == rv.decision.next_week_km and week.number == rv.decision.next_week_number
        seen_actions.add(rv.decision.action)
        slots = {x.weekday: x.km for x in split_runs(week.km, week.long_run_km, 4)} if week.km > 0 else {}
        if week.km <= 0:
            assert view.run.action == "no_run"
        else:
            assert view.run.planned_km == slots.get(day.weekday())
    assert {"step_back", "pause_running"} <= seen_actions


def test_a_week_split_into_runs_adds_up_to_the_reviews_distance() -> None:
    sim = simulate(_story, 4)
    monday = START + timedelta(weeks=4)
    total = 0.0
    for d in range(7):
        week, view = _today(sim, sim.plan, monday + timedelta(days=d))
        total += view.run.planned_km or 0.0
    assert round(total, 1) == round(sim.reviews[-1].decision.next_week_km, 1)


# --------------------------------------------------------------------------- through the store

def _runs(monday: date, km: float) -> list[Activity]:
    return [Activity(start=datetime(d.year, d.month, d.day, 7, tzinfo=timezone.utc), duration_s=km / 3 * 330,
                     distance_m=km / 3 * 1000) for d in (monday + timedelta(days=i) for i in (1, 3, 5))]


def test_store_today_follows_the_unsaved_review_and_a_sunday_apply(factory, plan) -> None:  # type: ignore[no-untyped-def]
    this_monday = date.today() - timedelta(days=date.today().weekday())
    start = this_monday - timedelta(weeks=2)
    with transaction(factory) as s:
        uid = repo.create_user(s, f"t-{os.getpid()}@{TEST_DOMAIN}", "t", password_hash=None).id
        repo.save_plan(s, uid, plan.model_copy(update={"start_date": start}), "test")
        ramp = plan.mileage_ramp
        repo.add_runs(s, uid, _runs(start, ramp[0].km) + _runs(start + timedelta(weeks=1), ramp[1].km))
    ids = strength_ids()
    with transaction(factory) as s:
        view = taps.load_today(s, uid, this_monday)
        rv = load_review(s, uid, this_monday, ids)[2]  # type: ignore[index]
        assert view is not None and view.plan_week == 3 == rv.decision.next_week_number
        # Saved on the Sunday before: Today on Monday still runs the week the review decided
        sunday = this_monday - timedelta(days=1)
        version, current, on_sunday = load_review(s, uid, sunday, ids)  # type: ignore[misc]
        repo.save_plan(s, uid, apply_review(current, on_sunday), "review on Sunday")
    with transaction(factory) as s:
        after = taps.load_today(s, uid, this_monday)
        assert after is not None and after.plan_week == view.plan_week
        assert after.run == view.run
        # Pain at the pause level today stops the week's running on Today too, unsaved
        taps.log_pain(s, uid, this_monday, "during", 7)
    with transaction(factory) as s:
        paused = taps.load_today(s, uid, this_monday + timedelta(days=1))
        assert paused is not None and paused.run.action == "no_run"
        assert "weekly review stopped running" in paused.run.reason


def test_a_clinicians_hold_stops_the_walk_even_over_a_saved_review() -> None:
    from kneecoach.plan.models import PlanChange

    sim = simulate(lambda n: Week(), 3, apply=True)
    saved = sim.plans[-1]
    assert saved.base_ramp  # a saved review: the walk reads base_ramp, not the held mileage_ramp
    hold = PlanChange(id="c1", kind="hold_running", summary="hold running", reason="flare after the race",
                      author_id=9, author_name="Dr Ray", at="2026-01-20T10:00:00Z")
    held = saved.model_copy(update={"clinician_changes": [hold]})
    day = START + timedelta(weeks=3, days=2)
    week, view = _today(sim, held, day)
    assert week.km == 0 and week.action == "pause_running" and "Dr Ray" in week.reason
    assert view.run.action == "no_run" and "flare after the race" in view.run.reason
    rv = sim.review_on(day, held)
    assert rv.decision.action == "pause_running" and rv.decision.next_week_km == 0


def test_plan_in_force_places_every_week_on_its_calendar_week() -> None:
    from kneecoach.render.ics import weekly_schedule
    from kneecoach.tracking.weekly_walk import plan_in_force

    sim = simulate(_story, 5)
    rv = sim.reviews[-1]
    res = walk(sim.plan, START, sim.runs, sim.pain, sim.ex, sim.flags, rv.today, strength_ids=strength_ids(),
               prescription=plan_prescription(sim.plan))
    shown = plan_in_force(sim.plan, res)
    assert [w.week for w in shown.mileage_ramp[:6]] == [1, 2, 3, 4, 5, 6]
    assert [w.km for w in shown.mileage_ramp[:5]] == [w.prescribed.km for w in rv.walked]
    assert shown.mileage_ramp[5].km == rv.decision.next_week_km
    weeks = weekly_schedule(shown, 4, START)
    six = next(w for w in weeks if w.week == 6)
    assert six.days[0].date == rv.decision.next_week_start and six.km == round(rv.decision.next_week_km, 1)
    # a saved review's ramp starts at the week it decided, and still lands on its calendar week
    saved = apply_review(sim.plan, rv)
    first = weekly_schedule(saved, 4, START)[0]
    assert first.week == 6 and first.days[0].date == rv.decision.next_week_start


def test_days_before_plan_week_1_say_when_it_starts() -> None:
    sim = simulate(lambda n: Week(), 1)
    thursday = START - timedelta(days=4)
    week, view = _today(sim, sim.plan, thursday)
    assert view.plan_starts == START and week.number == 1
    assert week.km == sim.reviews[0].decision.reviewed_week.prescribed.km  # type: ignore[union-attr]
    _, monday = _today(sim, sim.plan, START)
    assert monday.plan_starts is None and monday.plan_week == 1
