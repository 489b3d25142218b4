"""The weekly review reads adherence the way Today counts it (issue 16, item 3).

A week with under half its prescribed exercise sessions done is a lapse: with rising pain it holds
progression and the reason gives the count; with calm pain it changes nothing (no runner is held
back for a diary they keep loosely). Two low weeks in a row are named in the review.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from .review_sim import START, Week, marathoner_plan, routine_sessions, simulate
from kneecoach.plan.schedule import spread_exercises, active_exercises
from kneecoach.tracking.adherence import plan_prescription, weekly_adherence
from kneecoach.tracking.today import build_today
from kneecoach.tracking.weekly_walk import LOW_ADHERENCE_SHARE, PAIN_RISE_POINTS


def _sessions_a_week() -> int:
    return sum(plan_prescription(marathoner_plan()).values())


def _story(week4_routine: float, week4_pain: int):  # type: ignore[no-untyped-def]
    def story(n: int) -> Week:
        if n < 4:
            return Week(routine=1.0)
        return Week(routine=week4_routine, pain=[(1, "during", week4_pain)])
    return story


def test_full_routine_with_a_small_pain_rise_still_progresses() -> None:
    pain = PAIN_RISE_POINTS + 1  # 3/10: within the pain rule, but a rise that matters
    assert pain <= marathoner_plan().pain_rule.max_during_run
    sim = simulate(_story(1.0, pain), 4)
    last = sim.reviews[-1]
    assert last.decision.reviewed_week.adherence.share == 1.0  # type: ignore[union-attr]
    assert last.decision.action in ("progress", "lighter_week")


def test_under_half_the_sessions_with_rising_pain_holds_and_says_so() -> None:
    share = 0.3
    assert share < LOW_ADHERENCE_SHARE
    sim = simulate(_story(share, PAIN_RISE_POINTS + 1), 4)
    last = sim.reviews[-1]
    week = last.decision.reviewed_week
    assert week is not None
    # strength work itself has not lapsed (sessions early in the week): adherence is what holds
    assert not last.strength.lapsed
    done = round(share * _sessions_a_week())
    assert (week.adherence.done, week.adherence.prescribed) == (done, _sessions_a_week())  # type: ignore[union-attr]
    assert last.decision.action == "hold"
    assert f"{done} of {_sessions_a_week()} exercise sessions" in last.decision.reason
    assert last.decision.next_week_km == week.prescribed.km  # hold never lowers the distance


def test_low_adherence_with_calm_pain_changes_nothing_but_two_low_weeks_are_named() -> None:
    full = simulate(lambda n: Week(routine=1.0), 6)
    low = simulate(lambda n: Week(routine=1.0) if n < 4 else Week(routine=0.2), 6)
    assert [r.decision.next_week for r in low.reviews] == [r.decision.next_week for r in full.reviews]
    assert [r.decision.action for r in low.reviews] == [r.decision.action for r in full.reviews]
    notes = [r.adherence_note for r in low.reviews]
    assert "two weeks running" not in notes[3]  # week 4: the first low week is only counted
    assert "two weeks running" in notes[4] and "two weeks running" in notes[5]
    assert all("two weeks running" not in n for n in (r.adherence_note for r in full.reviews))
    assert any(notes[4] in line for line in low.reviews[4].summary_lines())


def test_a_runner_who_never_logs_exercises_is_not_judged_on_adherence() -> None:
    def story(n: int) -> Week:
        return Week(strength=(), pain=[(1, "during", PAIN_RISE_POINTS + 1)] if n == 4 else [])

    sim = simulate(story, 4)
    last = sim.reviews[-1]
    assert last.decision.reviewed_week.adherence is None  # type: ignore[union-attr]
    assert last.decision.action != "hold"
    assert last.adherence_note == ""
    assert "no strength sessions" in last.strength.message


def test_review_counts_a_week_exactly_as_today_does() -> None:
    plan = marathoner_plan()
    sim = simulate(lambda n: Week(routine=0.6 if n % 2 else 0.9), 3)
    rv = sim.reviews[-1]
    monday_after = START + timedelta(weeks=3)
    today = build_today(plan, 1, START, monday_after, runs_per_week=4, pain=[], taps=[], morning=None,
                        exercise_history=sim.ex, adherence_weeks=4)
    by_week = {a.week_start: (a.done, a.prescribed) for a in today.adherence}
    for w in rv.walked:
        assert (w.adherence.done, w.adherence.prescribed) == by_week[w.start]  # type: ignore[union-attr]
    counted = weekly_adherence(plan_prescription(plan), sim.ex, START, START + timedelta(days=20))
    assert [(a.done, a.prescribed) for a in counted] == [by_week[w.start] for w in rv.walked]


def test_review_json_carries_each_weeks_sessions() -> None:
    sim = simulate(lambda n: Week(routine=0.5), 2)
    body = sim.reviews[-1].as_json()
    total = _sessions_a_week()
    assert body["reviewed_week"]["exercise_sessions"] == {"prescribed": total, "done": round(0.5 * total),
                                                          "percent": round(round(0.5 * total) / total * 100)}
    assert [w["exercise_sessions"]["done"] for w in body["weeks"]] == [round(0.5 * total)] * 2
    assert body["low_adherence_share"] == LOW_ADHERENCE_SHARE
    assert body["adherence_note"].startswith(f"Exercises in the week reviewed: {round(0.5 * total)} of {total}")


@pytest.mark.parametrize("share", [0.0, 0.49, 0.5, 1.0])
def test_routine_sessions_follow_todays_layout(share: float) -> None:
    plan = marathoner_plan()
    monday = date(2026, 3, 2)
    got = routine_sessions(plan, monday, share)
    spread = spread_exercises(active_exercises(plan))
    for e in got:
        assert any(x.id == e.exercise_id for x in spread.days[e.day.weekday()])
    assert len(got) == round(share * _sessions_a_week())
