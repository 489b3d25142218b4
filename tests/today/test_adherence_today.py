"""Adherence per week, and Today as a pure view of plan + schedule + diary."""

from __future__ import annotations

from datetime import date, timedelta

from kneecoach.plan.models import Plan
from kneecoach.plan.morning import MorningAnswer
from kneecoach.plan.schedule import active_exercises, spread_exercises
from kneecoach.tracking.adherence import weekly_adherence
from kneecoach.tracking.diary import ExerciseObs, PainObs
from kneecoach.tracking.today import ExerciseTap, build_today

MON = date(2026, 11, 30)


def test_adherence_counts_each_exercise_up_to_its_dose() -> None:
    rx = {"a": 3, "b": 2}
    obs = [ExerciseObs(MON + timedelta(days=d), "a") for d in range(7)]  # a every day: counts 3, not 7
    obs += [ExerciseObs(MON, "b"), ExerciseObs(MON, "b")]  # the same day twice counts once
    obs += [ExerciseObs(MON, "unknown")]
    (wk,) = weekly_adherence(rx, obs, MON, MON + timedelta(days=6))
    assert (wk.prescribed, wk.done, wk.percent) == (5, 4, 80)
    assert "4 of 5" in wk.sentence()


def test_adherence_first_and_current_week_are_pro_rata() -> None:
    weeks = weekly_adherence({"a": 7}, [], MON + timedelta(days=3), MON + timedelta(days=8))
    assert [w.prescribed for w in weeks] == [4, 2]
    assert weekly_adherence({"a": 2}, [], MON, MON - timedelta(days=1)) == []
    assert weekly_adherence({}, [], MON, MON)[0].share is None


def test_today_lists_the_days_exercises_and_their_taps(plan: Plan) -> None:
    day = MON + timedelta(days=2)
    spread = spread_exercises(active_exercises(plan))
    expected = [e.id for e in spread.days[day.weekday()]]
    tap = ExerciseTap(expected[0], "hurt", pain=4, entry_id=9)
    t = build_today(plan, 3, MON, day, runs_per_week=3, pain=[], taps=[tap], morning=None)
    assert [i.exercise.id for i in t.items] == expected
    assert t.items[0].status == "hurt" and t.items[1].status == "todo"
    assert t.minutes == spread.minutes[day.weekday()]
    assert t.plan_version == 3 and t.plan_week == 1 and t.disclaimer


def test_today_run_follows_ramp_schedule_and_morning(plan: Plan) -> None:
    tue = MON + timedelta(days=8)  # week 2, a run day for 3 runs a week
    t = build_today(plan, 1, MON, tue, runs_per_week=3, pain=[], taps=[], morning=MorningAnswer(0))
    assert t.plan_week == 2 and t.run.action == "as_planned"
    assert t.run.planned_km is not None and t.run.planned_km < plan.mileage_ramp[1].km
    sore = build_today(plan, 1, MON, tue, runs_per_week=3, pain=[], taps=[],
                       morning=MorningAnswer(plan.pain_rule.max_next_morning + 1))
    assert sore.run.action == "shorter" and sore.run.km < t.run.km
    wed = build_today(plan, 1, MON, tue + timedelta(days=1), runs_per_week=3, pain=[], taps=[], morning=None)
    assert wed.run.action == "no_run" and "Wednesday" in wed.run.reason


def test_yesterdays_painful_run_asks_the_second_question(plan: Plan) -> None:
    day = MON + timedelta(days=3)
    pain = [PainObs(day - timedelta(days=1), "during", plan.pain_rule.max_during_run + 1)]
    t = build_today(plan, 1, MON, day, runs_per_week=3, pain=pain, taps=[], morning=None)
    assert t.ask_second_question and t.yesterday_run_pain == plan.pain_rule.max_during_run + 1
    calm = build_today(plan, 1, MON, day, runs_per_week=3, pain=[], taps=[], morning=None)
    assert not calm.ask_second_question


def test_today_adherence_comes_from_the_diary(plan: Plan) -> None:
    day = MON + timedelta(days=6)
    exercises = active_exercises(plan)
    history = [ExerciseObs(MON + timedelta(days=d), exercises[0].id) for d in range(7)]
    t = build_today(plan, 1, MON, day, runs_per_week=3, pain=[], taps=[], morning=None, exercise_history=history)
    (wk,) = t.adherence
    assert wk.done == exercises[0].dose.days_per_week
    assert wk.prescribed == sum(e.dose.days_per_week for e in exercises)
