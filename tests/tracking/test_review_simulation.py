"""Runners living 26 weeks by what each Sunday review says (issue #21), with and without --apply.

Every story checks the plan's stated rules on every week: no prescription above what the ramp
rule allows from the highest completed week (since the last restart), no long run more than 10 %
over the longest run of the previous 30 days, no prescribed rise above 30 %.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .review_sim import START, Sim, Week, marathoner_plan, simulate
from kneecoach.plan.ramp import floor_tenth
from kneecoach.tracking.weekly_walk import (
    LONG_RUN_MAX_INCREASE_PCT,
    LONG_RUN_WINDOW_DAYS,
    MAX_WEEK_RISE_PCT,
    REFER_FLAGS,
)

APPLY = pytest.mark.parametrize("apply", [False, True], ids=["review", "review--apply"])


def _kms(sim: Sim) -> list[float]:
    return [r.decision.next_week_km for r in sim.reviews]


def _check_rules(sim: Sim) -> None:
    """The plan's rules on every decision of the simulation."""
    rule = sim.plan.ramp_rule
    base = sim.plan.base_ramp or sim.plan.mileage_ramp
    for rv in sim.reviews:
        d = rv.decision
        nxt = d.next_week
        assert nxt.km <= floor_tenth(rule.allowed_next(d.highest_km)) + 1e-9 or d.highest_km == 0
        # Independently of the walk's state: never above the plan's week it serves, and never above
        # what the rule allows from the highest completed week, each counted at its prescription (a
        # spike week counts as the plan week it was, never at the distance that broke the rule).
        assert nxt.km <= base[nxt.plan_week - 1].km + 1e-9
        obeyed = [w.prescribed.km for w in rv.walked if w.done] + [base[0].km]
        assert nxt.km <= floor_tenth(rule.allowed_next(max(obeyed))) + 1e-9
        assert nxt.km <= sim.plan.target_km
        assert nxt.long_run_km <= nxt.km
        before = d.next_week_start
        window = [r.distance_km for r in sim.runs
                  if not r.race and before - timedelta(days=LONG_RUN_WINDOW_DAYS) <= r.start.date() < before]
        if window:
            assert nxt.long_run_km <= max(window) * (1 + LONG_RUN_MAX_INCREASE_PCT / 100) + 0.05
        last = d.reviewed_week
        if last is not None and nxt.km > last.prescribed.km and last.prescribed.km > 0:
            credit = last.prescribed.km if last.done else last.run_km
            if credit > 0:  # from a week without running, a (re)start is not a percentage rise
                assert nxt.km <= credit * (1 + MAX_WEEK_RISE_PCT / 100) + 0.05


def _same_either_way(story, weeks: int = 26) -> tuple[Sim, Sim]:  # type: ignore[no-untyped-def]
    plain, applied = simulate(story, weeks), simulate(story, weeks, apply=True)
    assert [(r.decision.action, r.decision.next_week) for r in plain.reviews] == \
        [(r.decision.action, r.decision.next_week) for r in applied.reviews]
    return plain, applied


@APPLY
def test_pain_free_runner_follows_the_plans_ramp(apply: bool) -> None:
    sim = simulate(lambda n: Week(), apply=apply)
    _check_rules(sim)
    kms = _kms(sim)
    actions = [r.decision.action for r in sim.reviews]
    # lighter weeks every 4th plan week, named as such
    lighter = [i + 2 for i, a in enumerate(actions) if a == "lighter_week"]
    assert lighter and all(w % 4 == 0 for w in lighter)
    ramp = [w.km for w in (sim.plan.base_ramp or sim.plan.mileage_ramp)]
    # never ahead of the plan: week n never above plan week n
    for n, km in enumerate(kms, start=2):
        assert km <= ramp[min(n, len(ramp)) - 1] + 1e-9
    first_target = next(i for i, km in enumerate(kms) if km >= sim.plan.target_km) + 2
    assert first_target >= next(i for i, km in enumerate(ramp) if km >= sim.plan.target_km) + 1
    assert all(r.decision.reviewed_week.done for r in sim.reviews)  # type: ignore[union-attr]
    if apply:
        assert sim.plans[-1].base_ramp == marathoner_plan().mileage_ramp
        assert sim.plans[-1].mileage_ramp[0].km == kms[-1]


@APPLY
def test_eight_percent_short_every_week_still_reaches_the_target(apply: bool) -> None:
    sim = simulate(lambda n: Week(share=0.92), apply=apply)
    _check_rules(sim)
    assert max(_kms(sim)) == sim.plan.target_km
    assert all(r.decision.reviewed_week.done for r in sim.reviews)  # type: ignore[union-attr]


@APPLY
def test_strength_phase_exercises_count_as_strength_work(apply: bool) -> None:
    # a clamshell once, then only the strengthen phase (step-ups, split squats, wall squats)
    sim = simulate(lambda n: Week(strength=("clamshell",)) if n == 1 else Week(), apply=apply)
    assert not any(r.strength.lapsed for r in sim.reviews)
    assert "no strength sessions" not in sim.reviews[-1].strength.message
    assert all(r.decision.action in ("progress", "lighter_week") for r in sim.reviews)


def test_lapse_holds_only_when_pain_also_rises() -> None:
    def story(n: int) -> Week:
        if n <= 3:
            return Week()
        return Week(strength=(), pain=[(1, "during", 3 if n >= 6 else 0)])

    sim = simulate(story, 8)
    by_week = {r.decision.reviewed_week.number: r for r in sim.reviews}  # type: ignore[union-attr]
    assert by_week[5].strength.lapsed and by_week[5].decision.action != "hold"
    assert by_week[6].decision.action == "hold" and "strength" in by_week[6].decision.reason
    assert by_week[6].decision.next_week_km == by_week[6].decision.reviewed_week.prescribed.km  # type: ignore[union-attr]


def _pause_story(n: int) -> Week:
    if n == 7:
        return Week(pain=[(2, "during", 7)])
    if n == 8:
        return Week(km=0, pain=[(2, "daily", 4)])
    if n == 9:
        return Week(km=0, pain=[(2, "daily", 1)])
    return Week(pain=[(2, "during", 1)])


def test_pause_two_weeks_off_then_restart_without_cuts() -> None:
    plain, _ = _same_either_way(_pause_story)
    for sim in (plain,):
        _check_rules(sim)
        actions = [r.decision.action for r in sim.reviews]
        assert actions[6] == "pause_running" and actions[7] == "pause_running"
        assert actions[8] == "restart"
        rule = sim.plan.ramp_rule
        assert sim.reviews[8].decision.next_week_km == min(rule.restart_km, floor_tenth(23.6 / 2))
        after = _kms(sim)[8:]
        for prev, nxt, rv in zip(after, after[1:], sim.reviews[9:]):
            # pain-free: only a planned lighter week may be lower than the week before
            assert nxt >= prev or rv.decision.action == "lighter_week"
        assert "hold" not in actions[8:]


@pytest.mark.parametrize("off", [1, 3, 6])
def test_break_without_pain_resumes_by_its_length(off: int) -> None:
    plain, _ = _same_either_way(lambda n: Week(km=0) if 8 <= n < 8 + off else Week())
    _check_rules(plain)
    before = plain.reviews[6].decision.next_week_km  # what week 8 prescribed
    back = plain.reviews[6 + off].decision
    rule = plain.plan.ramp_rule
    if off == 1:
        assert back.next_week_km == before
    elif off == 3:
        assert 0.5 * before - 0.1 <= back.next_week_km <= 0.75 * before + 0.1
    else:
        assert back.next_week_km == rule.restart_km and back.action == "restart"


def test_illness_week_returns_gradually_and_leaves_the_trend() -> None:
    plain, _ = _same_either_way(lambda n: Week(km=0, flags=[(d, "ill") for d in range(4)]) if n == 6 else Week())
    _check_rules(plain)
    rv = plain.reviews[5]
    assert rv.decision.action == "ill_return"
    assert rv.decision.next_week_km < rv.decision.reviewed_week.prescribed.km  # type: ignore[union-attr]
    assert [w.ill for w in plain.reviews[8].weeks].count(True) == 1


def test_chest_symptoms_with_illness_refer() -> None:
    sim = simulate(lambda n: Week(flags=[(1, "ill"), (2, "chest_symptoms")]) if n == 4 else Week(), 5)
    assert sim.reviews[3].decision.action == "see_clinician" and "chest" in sim.reviews[3].decision.reason


def test_race_week_is_not_the_base_and_the_week_after_is_easy() -> None:
    plain, _ = _same_either_way(lambda n: Week(race_km=21.1) if n == 10 else Week())
    _check_rules(plain)
    rv = plain.reviews[9]
    assert rv.decision.action == "easy_after_race"
    assert rv.decision.next_week_km < rv.decision.reviewed_week.prescribed.km  # type: ignore[union-attr]
    assert rv.decision.highest_km < rv.decision.reviewed_week.run_km  # type: ignore[union-attr]


def test_spike_week_is_not_the_base() -> None:
    def story(n: int) -> Week:
        return Week(km=20) if n <= 4 else Week(km=30) if n == 5 else Week()

    plain, _ = _same_either_way(story, 8)
    rv = plain.reviews[4]
    assert rv.decision.action == "spike" and rv.decision.reviewed_week.spike  # type: ignore[union-attr]
    assert rv.decision.next_week_km <= floor_tenth(plain.plan.ramp_rule.allowed_next(rv.decision.highest_km))
    assert rv.decision.next_week_km < 30
    assert rv.decision.highest_km < 30


@pytest.mark.parametrize("timing", ["daily", "next_morning", "during", "after"])
def test_severe_pain_at_any_timing_pauses(timing: str) -> None:
    plain, _ = _same_either_way(lambda n: Week(pain=[(3, timing, 8)]) if n == 5 else Week(), 8)
    rv = plain.reviews[4]
    assert rv.decision.action == "pause_running" and rv.decision.next_week_km == 0
    assert "8/10" in rv.decision.reason


def test_daily_eight_every_day_pauses_then_refers() -> None:
    sim = simulate(lambda n: Week(pain=[(d, "daily", 8) for d in range(7)]) if n >= 5 else Week(), 8)
    actions = [r.decision.action for r in sim.reviews]
    assert actions[4] == "pause_running" and "see_clinician" in actions[5:]


def test_step_back_rebuilds_under_the_week_that_hurt() -> None:
    plain, _ = _same_either_way(lambda n: Week(pain=[(3, "after", 5)]) if n == 9 else Week())
    _check_rules(plain)
    rv = plain.reviews[8]
    hurt = rv.decision.reviewed_week.run_km  # type: ignore[union-attr]
    assert rv.decision.action == "step_back"
    assert rv.decision.next_week_km == floor_tenth(hurt * plain.plan.ramp_rule.calm_load_factor)
    assert rv.decision.allowed_km < hurt + 2
    assert all(r.decision.next_week_km <= hurt for r in plain.reviews[8:14])


@APPLY
def test_same_history_same_decision_on_any_day_of_the_next_week(apply: bool) -> None:
    sim = simulate(_pause_story, 12, apply=apply)
    for i, sunday_rv in enumerate(sim.reviews[4:], start=4):
        sunday = sunday_rv.today
        plan = sim.plans[i] if apply else None
        for k in range(0, 7):
            again = sim.review_on(sunday + timedelta(days=k), plan, known_until=sunday)
            assert again.decision.action == sunday_rv.decision.action
            assert again.decision.next_week == sunday_rv.decision.next_week
            assert again.decision.reviewed_week == sunday_rv.decision.reviewed_week
            assert again.decision.next_week_start == sunday + timedelta(days=1)


def test_before_week_one_is_complete_the_review_says_so() -> None:
    sim = Sim(marathoner_plan())
    rv = sim.review_on(START + timedelta(days=3))
    assert rv.decision.action == "start" and rv.decision.reviewed_week is None
    assert rv.decision.next_week_km == marathoner_plan().mileage_ramp[0].km


# --------------------------------------------------------------------------- property


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shares=st.lists(st.sampled_from([0.0, 0.5, 0.85, 0.92, 1.0, 1.2, 1.6, 2.6]), min_size=3, max_size=10),
    pains=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["during", "after", "next_morning", "daily"]),
                             st.integers(0, 10)), max_size=12),
)
def test_random_histories_never_break_the_rules(shares: list[float], pains: list[tuple[int, str, int]]) -> None:
    pain_by_week: dict[int, list[tuple[int, str, int]]] = {}
    for i, p in enumerate(pains):
        pain_by_week.setdefault(i % len(shares) + 1, []).append(p)

    sim = simulate(lambda n: Week(share=shares[n - 1], pain=pain_by_week.get(n, [])), len(shares))
    _check_rules(sim)
    level = sim.plan.pain_rule.pause_running_at
    for rv in sim.reviews:
        w = rv.decision.reviewed_week
        assert w is not None
        if w.max_pain is not None and w.max_pain >= level:
            assert rv.decision.action in ("pause_running", "see_clinician") and rv.decision.next_week_km == 0
        if rv.decision.action == "hold":  # hold repeats the week: never lower
            assert rv.decision.next_week_km >= w.prescribed.km - 1e-9
        if w.done and rv.decision.action in ("progress", "spike") and rv.decision.next_week.kind != "lighter":
            assert rv.decision.next_week_km >= w.prescribed.km - 1e-9  # a pain-free week done: only a lighter week is lower


def test_a_plan_held_for_pain_restarts_on_the_first_calm_week() -> None:
    """A plan that starts with running held at 0 km for severe pain (issue 15) restarts by the pain rule."""
    from kneecoach.plan.models import RampWeek

    held = marathoner_plan().model_copy(update={"mileage_ramp": [RampWeek(week=1, km=0, long_run_km=0,
                                                                          note="no running: pain 8/10")]})
    sim = simulate(lambda n: Week(km=0, pain=[(2, "daily", 5)]) if n == 1 else Week(pain=[(2, "during", 1)]),
                   14, plan=held)
    first = sim.review_on(START - timedelta(days=1), held)
    assert first.decision.action == "pause_running" and first.decision.next_week_km == 0
    actions = [r.decision.action for r in sim.reviews]
    assert actions[0] == "pause_running"  # pain not yet within the rule
    assert actions[1] == "restart" and sim.reviews[1].decision.next_week_km == held.ramp_rule.restart_km
    kms = _kms(sim)
    assert kms[-1] > kms[1] and "lighter_week" in actions
    for rv in sim.reviews:
        d = rv.decision
        assert d.next_week_km <= floor_tenth(held.ramp_rule.allowed_next(d.highest_km)) + 1e-9 or d.highest_km == 0


def test_a_plan_held_by_criteria_never_runs() -> None:
    """Return-to-run criteria still open (post_acl_003): no review plans a run, pain-free or not."""
    from pathlib import Path

    import kneecoach.examples as ex_pkg
    from kneecoach.assessment.kb import load_kb
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_profile

    plan = assess(load_profile(Path(ex_pkg.__file__).parent / "post_acl_003.yaml"), load_kb()).plan
    assert plan is not None and plan.pathway is not None and plan.pathway.running_on_hold
    held = plan.model_copy(update={"start_date": START})
    sim = simulate(lambda n: Week(km=0, pain=[(2, "daily", 0)]), 5, plan=held)
    assert all(r.decision.action == "pause_running" and r.decision.next_week_km == 0 for r in sim.reviews)
    assert "criteria" in sim.reviews[-1].decision.reason


def test_step_back_from_far_above_the_plan_never_prescribes_above_the_plan_week() -> None:
    # week 3: 45 km instead of 21.5, with pain 5/10: half of it is still above the plan's week
    sim = simulate(lambda n: Week(km=45, pain=[(3, "during", 5)]) if n == 3 else Week(), 6)
    rv = sim.reviews[2]
    assert rv.decision.action == "step_back"
    base = sim.plan.base_ramp or sim.plan.mileage_ramp
    assert rv.decision.next_week_km <= base[rv.decision.next_week.plan_week - 1].km
    _check_rules(sim)


@pytest.mark.parametrize("kind", ["night_pain", "rest_pain", "swelling", "giving_way", "bone_spot_pain"])
def test_referral_signs_turn_the_decision_into_see_a_clinician(kind: str) -> None:
    plain, _ = _same_either_way(lambda n: Week(flags=[(2, kind)]) if n == 4 else Week(), 6)
    rv = plain.reviews[3]
    assert rv.decision.action == "see_clinician" and rv.decision.next_week_km == 0
    assert REFER_FLAGS[kind] in rv.decision.reason
    # the sign is not logged again and pain stays calm: running restarts by the pause rule
    assert plain.reviews[4].decision.action == "restart"
