"""Every plan kneecoach writes obeys the rules kneecoach states (issue 15).

* Followed to the letter, no plan raises kneecoach's own load warnings
  (:func:`kneecoach.tracking.load.load_warnings`: the single-run spike, the weekly jump and
  the ACWR description), checked on runs simulated from the plan (property-based).
* The pain rule at intake is the pain rule of the weekly review
  (:func:`kneecoach.tracking.review.review`) for every pain level 0-10.
* No planned week breaks the ramp rule (:func:`kneecoach.plan.ramp.check_ramp`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.plan.models import Plan
from kneecoach.plan.ramp import DEFAULT_RUNS_PER_WEEK, build_ramp, check_ramp
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import PainObs
from kneecoach.tracking.load import load_warnings
from kneecoach.tracking.review import review

MONDAY = date(2026, 1, 5)


def _run(day: date, km: float, hour: int) -> Activity:
    return Activity(
        start=datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc),
        duration_s=km * 360, distance_m=km * 1000,
    )


def follow_to_the_letter(
    plan: Plan, runs_per_week: int, longest_recent_km: float, start: date, current_km: float = 0.0
) -> list[Activity]:
    """The runs a runner makes who does exactly what ``plan`` says.

    Each week opens with its long run; the other runs share the rest of the week's distance
    equally, later in the week. The week before the plan is the runner's current week, with the
    longest recent run in it.
    """
    runs = runs_per_week if runs_per_week > 0 else DEFAULT_RUNS_PER_WEEK
    out: list[Activity] = []
    before = start - timedelta(days=7)
    if current_km > 0:
        # The week before the plan: the runner's current distance, opening with the longest recent run.
        long_km = longest_recent_km or current_km / runs
        out.append(_run(before, long_km, 8))
        rest = max(0.0, current_km - long_km)
        for k in range(runs - 1):
            out.append(_run(before + timedelta(days=1 + k % 6), rest / (runs - 1), 9 + 2 * (k // 6)))
    elif longest_recent_km > 0:
        out.append(_run(before, longest_recent_km, 8))
    for i, w in enumerate(plan.mileage_ramp):
        if w.km <= 0:
            continue
        week = start + timedelta(weeks=i)
        out.append(_run(week, w.long_run_km, 7))
        if runs > 1 and w.km - w.long_run_km > 1e-9:
            each = (w.km - w.long_run_km) / (runs - 1)
            for k in range(runs - 1):
                out.append(_run(week + timedelta(days=1 + k % 6), each, 7 + 2 * (k // 6) + 1))
    return out


def _profile(current: float, target: float, runs: int, longest: float, during: int, after: int,
             route: str = "plain") -> Profile:
    """A runner with kneecap pain; ``route`` adds a bone stress pattern ('bone_stress', held) or the
    same pattern after a clinician's clearance ('bone_stress_cleared', restarting from a walk-run)."""
    data: dict = {
        "name": "property runner",
        "symptoms": {"sides": ["left"], "locations": ["around_kneecap"], "pain_during_run": during,
                     "pain_after_run": after, "swelling": False, "pain_at_rest": 0},
        "running": {"current_weekly_km": current, "target_weekly_km": target, "runs_per_week": runs,
                    "longest_recent_run_km": longest},
    }
    if route.startswith("bone_stress"):
        data["red_flags"] = {"bsi_fast_load_rise": True, "bsi_pain_on_hopping": True}
    if route == "bone_stress_cleared":
        data["history"] = {"cleared_to_run": {"examined_on": "2026-01-02", "by": "Dr Lee"}}
    return Profile.model_validate(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    current=st.one_of(st.just(0.0), st.floats(0.5, 120)),
    target=st.floats(3, 150),
    runs=st.integers(0, 10),
    longest=st.one_of(st.just(0.0), st.floats(1, 45)),
    during=st.integers(0, 10),
    after=st.integers(0, 10),
    route=st.sampled_from(["plain", "bone_stress", "bone_stress_cleared"]),
)
def test_no_plan_trips_its_own_load_or_pain_warnings(kb, current, target, runs, longest, during, after, route) -> None:  # type: ignore[no-untyped-def]
    # A consistent runner: the longest recent run is at least an average run of the current week.
    assume(longest == 0 or longest * (runs or DEFAULT_RUNS_PER_WEEK) >= current)
    profile = _profile(current, target, runs, longest, during, after, route)
    a = assess(profile, kb)
    assert a.plan is not None
    plan = a.plan
    # The ramp rule (weekly %), the long run never longer than the week, runs that add up.
    assert check_ramp(plan.mileage_ramp, plan.ramp_rule, target, longest_recent_km=longest, runs_per_week=runs) == []
    # The pain rule: pain at or above the pause level means no running now, as in the review.
    if max(during, after) >= plan.pain_rule.pause_running_at or route == "bone_stress":
        assert plan.running_hold is not None and all(w.km == 0 for w in plan.mileage_ramp)
    if route == "bone_stress_cleared" and plan.running_hold is None:
        assert plan.mileage_ramp[0].km <= plan.ramp_rule.restart_km  # cleared: a walk-run restart
    # Followed to the letter, kneecoach's load warnings stay silent over the plan's weeks.
    runs_done = follow_to_the_letter(plan, runs, longest, MONDAY, current)
    warnings = [w for w in load_warnings(runs_done) if w.day >= MONDAY]
    assert warnings == [], [(w.kind, w.message) for w in warnings]


def test_spike_warning_would_fire_on_the_old_ramp(kb) -> None:
    """The check above can fail: a long run of 35 % of a 30 km week after a 5 km longest run is a spike."""
    rule = kb.rules.ramp
    plan = assess(_profile(30, 40, 3, 5, 0, 0), kb).plan
    unchecked = build_ramp(30, 40, rule)  # no longest recent run given: week 1's long run is not capped
    tripped = follow_to_the_letter(plan.model_copy(update={"mileage_ramp": unchecked}), 3, 5, MONDAY)
    assert any(w.kind == "long_run_jump" for w in load_warnings(tripped))
    assert check_ramp(unchecked, rule, 40, longest_recent_km=5, runs_per_week=3) != []


def test_week_one_long_run_starts_from_the_longest_recent_run(kb) -> None:
    plan = assess(_profile(30, 40, 3, 12, 0, 0), kb).plan
    assert plan.mileage_ramp[0].long_run_km <= 12 * 1.1
    assert plan.mileage_ramp[0].km == 30  # three runs, none longer than 13.2 km, can make 30 km


def test_small_base_moves_by_walk_run_not_km_steps(kb) -> None:
    rule = kb.rules.ramp
    weeks = build_ramp(4, 12, rule)
    assert check_ramp(weeks, rule, 12) == []
    assert weeks[1].km == 4.4  # +10 %, not the old 2 km step to 6 km (+50 %)
    low = [w for w in weeks if w.km < rule.walk_run_below_km]
    assert low and all(w.walk_run for w in low), "every low-volume week states its walk-run sessions"
    steps = [w.walk_run for w in low if not w.cutback]
    assert steps == rule.walk_run_steps[: len(steps)] + [rule.walk_run_steps[-1]] * (len(steps) - len(rule.walk_run_steps))
    assert all(not w.walk_run for w in weeks if w.km >= rule.walk_run_below_km)


def _review_action(plan: Plan, pain: int, current: float) -> str:
    """The weekly review's decision for a runner who ran ``current`` km a week and scored ``pain`` during a run."""
    runs: list[Activity] = []
    obs: list[PainObs] = []
    for w in range(4):
        week = MONDAY + timedelta(weeks=w)
        for d, share in ((1, 0.3), (3, 0.3), (6, 0.4)):
            runs.append(_run(week + timedelta(days=d), current * share, 7))
            obs.append(PainObs(week + timedelta(days=d), "during", pain))
    today = MONDAY + timedelta(weeks=4) - timedelta(days=1)
    return review(runs, obs, [], plan, today, strength_exercise_ids=set()).decision.action


@pytest.mark.parametrize("pain", range(11))
def test_intake_and_review_agree_on_the_pain_rule(kb, pain: int) -> None:
    """The same pain score pauses running at intake exactly when the weekly review would pause it."""
    current = 30.0
    plan = assess(_profile(current, 40, 3, 12, pain, min(pain, 2)), kb).plan
    rule = plan.pain_rule
    action = _review_action(plan, pain, current)
    paused_at_intake = plan.running_hold is not None
    assert paused_at_intake == (action == "pause_running"), (pain, action)
    assert paused_at_intake == (pain >= rule.pause_running_at)
    if rule.max_during_run < pain < rule.pause_running_at:
        # Above the rule but below the pause: both ease off (intake starts lower, the review holds or steps back).
        assert plan.mileage_ramp[0].km < current and action in ("hold", "step_back")
    if pain <= rule.max_during_run:
        assert plan.mileage_ramp[0].km == current and action != "pause_running"


def test_held_plan_stays_held_in_the_review(kb) -> None:
    """A plan that waits for a clinician's clearance is paused by the review whatever the pain diary says."""
    from kneecoach.intake.load import load_example

    plan = assess(load_example("bone_stress_marathoner"), kb).plan
    assert plan.running_hold is not None and plan.running_hold.until == "clearance"
    assert _review_action(plan, 0, 20) == "pause_running"


def test_review_lifts_a_pain_hold_only_when_it_restarts_running(kb) -> None:
    """Severe pain at intake holds running; a calm week later the review restarts it and the hold goes."""
    from kneecoach.intake.load import load_example
    from kneecoach.tracking.review import apply_review

    plan = assess(load_example("severe_pain_runner"), kb).plan
    today = MONDAY + timedelta(weeks=1) - timedelta(days=1)
    calm = [PainObs(MONDAY + timedelta(days=d), "daily", 1) for d in range(7)]
    rv = review([], calm, [], plan, today, strength_exercise_ids=set())
    new = apply_review(plan, rv)
    assert new.mileage_ramp[0].km > 0 and new.running_hold is None
    still = apply_review(plan, review([], [PainObs(today, "during", 8)], [], plan, today, strength_exercise_ids=set()))
    assert still.mileage_ramp[0].km == 0 and still.running_hold is not None
    held = assess(load_example("bone_stress_marathoner"), kb).plan
    again = apply_review(held, review([], calm, [], held, today, strength_exercise_ids=set()))
    assert [w.km for w in again.mileage_ramp] == [0] and again.running_hold == held.running_hold
