"""Today: one day of the plan, as a pure view of the plan version, its schedule and the diary.

A day is not a second plan (shared/design.md, "Who acts, and when"): the exercises come from the
plan's schedule (:mod:`kneecoach.plan.schedule`), the run from the week the weekly review has in
force (:func:`week_in_force`: the same walk as ``kneecoach review``, so a hold, a step back or a
pause shows on Today whether or not the review was saved), the run's fate
from the morning check under the plan's pain rule (:mod:`kneecoach.plan.morning`), and what is
already done from ordinary diary entries. The web page, ``kneecoach today`` and the JSON API all
render this one value, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from kneecoach.plan.models import Plan, PlannedExercise, PlanPhase, RampWeek
from kneecoach.plan.morning import MorningAnswer, RunDecision, decide_run, needs_second_question
from kneecoach.plan.schedule import (
    DAY_NAMES,
    RUN_DAYS,
    active_exercises,
    current_phase,
    exercise_minutes,
    plan_week_number,
    ramp_week,
    split_runs,
    spread_exercises,
)
from kneecoach.tracking.adherence import WeekAdherence, plan_prescription, recent_adherence
from kneecoach.tracking.diary import ExerciseObs, PainObs
from kneecoach.tracking.weekly_walk import WalkResult

TapStatus = Literal["done", "hurt", "skipped"]
TAP_STATUSES: tuple[str, ...] = ("done", "hurt", "skipped")


@dataclass(frozen=True)
class ExerciseTap:
    """A diary row written from Today (or typed in the diary) for one exercise on one day."""

    exercise_id: str
    status: TapStatus
    pain: int | None = None
    entry_id: int | None = None
    #: The dose as logged (the Change form on Today shows and corrects it).
    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None


@dataclass(frozen=True)
class TodayItem:
    exercise: PlannedExercise
    minutes: float
    cue: str
    tap: ExerciseTap | None = None

    @property
    def status(self) -> str:
        return self.tap.status if self.tap else "todo"


@dataclass(frozen=True)
class Today:
    day: date
    plan_version: int
    plan_week: int
    phase: PlanPhase | None
    items: list[TodayItem]
    minutes: float
    run: RunDecision
    morning: MorningAnswer | None
    ask_second_question: bool
    yesterday_run_pain: int | None
    adherence: list[WeekAdherence]
    week_layout: list[tuple[str, list[str], float]] = field(default_factory=list)
    disclaimer: str = ""
    sources: list[str] = field(default_factory=list)
    #: Set when the latest assessment asks the runner to see a clinician first: every face then shows
    #: that instead of the day's exercises and run. ``{"message", "action", "reasons": [...]}``.
    referral: dict[str, object] | None = None
    #: Monday of plan week 1 when today comes before it: the days until then follow week 1 as a guide.
    plan_starts: date | None = None
    #: The diary id of today's morning check, so the faces can offer to correct it.
    morning_entry_id: int | None = None

    @property
    def weekday_name(self) -> str:
        return DAY_NAMES[self.day.weekday()]

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.status in ("done", "hurt"))


#: Review decisions that stop running for the rest of the week they are made in.
STOP_ACTIONS = frozenset({"pause_running", "see_clinician"})


@dataclass(frozen=True)
class WeekInForce:
    """The week under way as the weekly review's walk has it: its calendar number (plan week 1 is 1),
    distance and long run, and the decision behind it."""

    number: int
    km: float
    long_run_km: float
    action: str
    reason: str
    #: Monday of plan week 1 when the day comes before it (a plan made mid-week), else None.
    starts: date | None = None


def week_in_force(result: WalkResult, day: date) -> WeekInForce:
    """The week that holds ``day``, from the walk of the plan's completed weeks up to ``day``.

    Monday to Saturday that is the walk's decision for the week under way. On a Sunday the week is
    complete and already judged, so the day keeps that week's prescription, unless the judgement
    paused running or referred (then the Sunday has no run either). Before plan week 1 the first
    week stands.
    """
    if result.next_week_start <= day or not result.weeks:
        p = result.next_week
        starts = result.start if day < result.start else None
        return WeekInForce(result.next_week_number, p.km, p.long_run_km, result.action, result.reason, starts)
    judged = result.weeks[-1]
    p = judged.prescribed
    if judged.action in STOP_ACTIONS:
        return WeekInForce(judged.number, 0.0, 0.0, judged.action, judged.reason)
    return WeekInForce(judged.number, p.km, p.long_run_km, judged.action, judged.reason)


def short_cue(how: str, limit: int = 110) -> str:
    """The first sentence of an exercise's 'how', cut to ``limit`` characters: a cue, not the manual."""
    first = how.strip().split(". ")[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _max_score(pain: Sequence[PainObs], day: date, timings: tuple[str, ...]) -> int | None:
    scores = [p.score for p in pain if p.day == day and p.timing in timings]
    return max(scores) if scores else None


def build_today(
    plan: Plan,
    plan_version: int,
    plan_start: date,
    day: date,
    *,
    runs_per_week: int,
    pain: Sequence[PainObs],
    taps: Sequence[ExerciseTap],
    morning: MorningAnswer | None,
    exercise_history: Sequence[ExerciseObs] = (),
    ran_yesterday: bool | None = None,
    adherence_weeks: int = 4,
    this_week: WeekInForce | None = None,
) -> Today:
    """Today's exercises, run decision and adherence.

    ``pain`` should cover at least the last ``pause_after_unsettled_mornings`` days (the morning
    streak) and yesterday (the run's pain). ``taps`` are today's exercise rows. ``ran_yesterday``
    says whether a run was logged yesterday; ``None`` falls back to pain logged during or after a
    run yesterday. ``this_week`` is the week the weekly review has in force (see
    :func:`week_in_force`); without it the plan's own ramp is read by week number from ``plan_start``.
    """
    if this_week is not None:
        week = this_week.number
        rw: RampWeek | None = RampWeek(week=week, km=this_week.km, long_run_km=min(this_week.long_run_km, this_week.km))
    else:
        week = plan_week_number(plan_start, day, len(plan.mileage_ramp))
        rw = ramp_week(plan, week)
    exercises = active_exercises(plan)
    spread = spread_exercises(exercises)
    todays = spread.days[day.weekday()]
    by_id = {t.exercise_id: t for t in taps}  # the latest row for an exercise wins (callers pass oldest first)
    items = [TodayItem(exercise=ex, minutes=exercise_minutes(ex), cue=short_cue(ex.how), tap=by_id.get(ex.id))
             for ex in todays]

    slot = None
    no_run_reason = "no run is scheduled today"
    if plan.pathway is not None and plan.pathway.running_on_hold:
        no_run_reason = f"running waits for the pathway's criteria: {plan.pathway.ramp_note.rstrip('.')}"
    elif this_week is not None and this_week.km <= 0 and this_week.action in STOP_ACTIONS:
        no_run_reason = f"the weekly review stopped running this week ({this_week.reason.rstrip('.')})"
    elif rw is None or rw.km <= 0:
        no_run_reason = "this plan week holds no running"
    else:
        slots = {s.weekday: s for s in split_runs(rw.km, rw.long_run_km, runs_per_week)}
        slot = slots.get(day.weekday())
        if slot is None:
            names = ", ".join(DAY_NAMES[d] for d in RUN_DAYS[max(0, min(7, runs_per_week))])
            no_run_reason = f"{DAY_NAMES[day.weekday()]} is a rest day from running (your runs: {names})"

    yesterday = day - timedelta(days=1)
    y_pain = _max_score(pain, yesterday, ("during", "after"))
    if ran_yesterday is False:
        y_pain = None
    rule = plan.pain_rule
    lookback = max(1, rule.pause_after_unsettled_mornings)
    earlier = [_max_score(pain, day - timedelta(days=k), ("next_morning",)) for k in range(lookback, 0, -1)]
    run = decide_run(morning, slot.km if slot else None, rule, plan.ramp_rule, long=bool(slot and slot.long),
                     yesterday_run_pain=y_pain, earlier_mornings=earlier, no_run_reason=no_run_reason)

    prescription = plan_prescription(plan)
    adherence = recent_adherence(prescription, exercise_history, plan_start, day, adherence_weeks)
    layout = [(DAY_NAMES[d], [e.name for e in spread.days[d]], spread.minutes[d]) for d in range(7)]
    return Today(
        day=day, plan_version=plan_version, plan_week=week, phase=current_phase(plan), items=items,
        minutes=spread.minutes[day.weekday()], run=run, morning=morning,
        ask_second_question=needs_second_question(y_pain, rule), yesterday_run_pain=y_pain,
        adherence=adherence, week_layout=layout, disclaimer=plan.disclaimer,
        sources=sorted(set(rule.sources)), plan_starts=this_week.starts if this_week else None,
    )
