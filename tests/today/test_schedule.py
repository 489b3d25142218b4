"""The week's spread of exercises: every dose honoured, days balanced and within 30 minutes."""

from __future__ import annotations

import itertools

import pytest

from kneecoach.plan.models import Dose, Plan, PlannedExercise
from kneecoach.plan.schedule import (
    DAY_MAX_MIN,
    active_exercises,
    current_phase,
    exercise_minutes,
    plan_monday,
    plan_week_number,
    split_runs,
    spread_exercises,
)


def _ex(i: int, days: int, sets: int = 3, reps: int = 12, per_side: bool = False) -> PlannedExercise:
    dose = Dose(sets=sets, reps=reps, per_side=per_side, days_per_week=days, text="x")
    return PlannedExercise(id=f"ex{i}", name=f"Ex {i}", how="Do it. Slowly.", dose=dose, progression="",
                           targets=[], addresses=[], sources=["s"])


def test_each_exercise_gets_its_days_per_week_on_distinct_days(plan: Plan) -> None:
    exercises = active_exercises(plan)
    spread = spread_exercises(exercises)
    for ex in exercises:
        assert len(spread.days_of(ex.id)) == ex.dose.days_per_week, ex.id


def test_a_day_stays_within_budget_and_the_week_is_balanced(plan: Plan) -> None:
    spread = spread_exercises(active_exercises(plan))
    assert max(spread.minutes) <= DAY_MAX_MIN
    assert not spread.over_budget
    # Balanced: the busiest day is not much busier than the quietest (all on Monday would fail this).
    assert max(spread.minutes) - min(spread.minutes) <= max(exercise_minutes(e) for e in active_exercises(plan))


def test_whole_library_of_a_plan_still_fits_in_thirty_minutes_a_day(plan: Plan) -> None:
    everything = [e for ph in plan.phases for e in ph.exercises]
    spread = spread_exercises(everything)
    assert sum(spread.minutes) == pytest.approx(sum(exercise_minutes(e) * e.dose.days_per_week for e in everything),
                                                abs=0.5)
    assert max(spread.minutes) <= DAY_MAX_MIN


def test_spread_does_not_depend_on_input_order() -> None:
    exercises = [_ex(i, d) for i, d in enumerate([4, 3, 3, 2, 5, 1])]
    first = spread_exercises(exercises)
    for perm in itertools.islice(itertools.permutations(exercises), 0, 50, 7):
        again = spread_exercises(list(perm))
        assert [[e.id for e in d] for d in again.days] == [[e.id for e in d] for d in first.days]


def test_too_much_work_is_reported_not_hidden() -> None:
    heavy = [_ex(i, 7, sets=5, reps=40, per_side=True) for i in range(4)]  # ~4 x 13 min every day
    spread = spread_exercises(heavy)
    assert spread.over_budget == list(range(7))


def test_minutes_grow_with_the_dose() -> None:
    assert exercise_minutes(_ex(1, 3, sets=3, reps=15, per_side=True)) > exercise_minutes(_ex(1, 3, sets=3, reps=15))
    assert exercise_minutes(_ex(1, 3, sets=4)) > exercise_minutes(_ex(1, 3, sets=2))


def test_current_phase_follows_the_plan_once_a_review_sets_it(plan: Plan) -> None:
    assert current_phase(plan).exercises  # default: the first staged phase with exercises
    later = plan.model_copy(update={"current_phase": "strengthen"})
    assert current_phase(later).id == "strengthen"
    ids = {e.id for e in active_exercises(later)}
    assert {e.id for e in next(p for p in plan.phases if p.id == "strengthen").exercises} <= ids
    assert not ids & {e.id for e in next(p for p in plan.phases if p.id == "activate").exercises}


def test_runs_share_the_week_and_the_long_run_is_saturday() -> None:
    slots = split_runs(30.0, 12.0, 3)
    assert [s.weekday for s in slots] == [1, 3, 5]
    assert sum(s.km for s in slots) == pytest.approx(30.0, abs=0.1)
    assert [s.long for s in slots] == [False, False, True] and slots[-1].km == 12.0
    assert split_runs(0.0, 0.0, 3) == []
    assert all(not s.long for s in split_runs(30.0, 5.0, 3))


def test_plan_weeks_count_from_the_monday_of_the_plan() -> None:
    from datetime import date, datetime, timezone

    start = plan_monday(datetime(2026, 12, 3, 9, tzinfo=timezone.utc))  # a Thursday
    assert start == date(2026, 11, 30)
    assert plan_week_number(start, date(2026, 12, 6), 10) == 1
    assert plan_week_number(start, date(2026, 12, 7), 10) == 2
    assert plan_week_number(start, date(2027, 6, 1), 10) == 10  # the target week carries on
    assert plan_week_number(start, date(2026, 1, 1), 10) == 1
