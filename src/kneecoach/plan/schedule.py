"""Which day of the week holds which exercise and which run: the plan laid over seven days.

A plan says *what* ("clamshell, 3 x 15 each side, 4 days a week"); a runner needs *today*.
Putting every exercise on the same days would make Monday an hour and Tuesday nothing, which
is how home programmes get dropped (about half of people stop; shared/reference/clinical.md
section 8). :func:`spread_exercises` places each exercise on as many days as its dose says,
spaced through the week, and turns the days so the minutes even out: a day stays within
:data:`DAY_MAX_MIN` minutes whenever the week's work allows it.

Everything here is a pure function of the plan: the same plan gives the same week, so the
Today page, the CLI and tests agree. Which phases are in force is read from the plan (its
``current_phase`` once a review set it, else the first phase with exercises), never from
``if`` statements about particular exercises.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kneecoach.plan.models import Plan, PlannedExercise, PlanPhase, RampWeek

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Weekday indexes (0 = Monday) for n days a week: spread out, rest days between where possible.
#: Each pattern may be turned (every day moved by the same offset) to balance the week.
EXERCISE_DAYS: dict[int, tuple[int, ...]] = {
    1: (2,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6), 6: (0, 1, 2, 3, 4, 5), 7: tuple(range(7)),
}
#: Weekday indexes for n runs a week; the long run is Saturday (5) whenever it is a run day.
RUN_DAYS: dict[int, tuple[int, ...]] = {
    0: (), 1: (5,), 2: (2, 5), 3: (1, 3, 5), 4: (1, 3, 5, 6), 5: (0, 1, 3, 5, 6), 6: (0, 1, 2, 3, 5, 6),
    7: tuple(range(7)),
}
LONG_RUN_DAY = 5

#: A day of exercises should take 15-30 minutes (shared/reference/clinical.md section 8: logging and
#: doing must fit a day). The upper bound is what the spread aims to keep; the lower bound is
#: reached only when the phase holds that much work.
DAY_MIN_MIN = 15
DAY_MAX_MIN = 30

#: Time conventions for estimating an exercise's minutes (not clinical facts): a controlled
#: repetition takes about 3 s, a rest between sets about 30 s, getting set up about 30 s.
SECONDS_PER_REP = 3.0
REST_BETWEEN_SETS_S = 30.0
SETUP_S = 30.0

#: A phase whose typical length is this word runs beside the staged phases (release, stretch).
ONGOING = "ongoing"


def exercise_minutes(ex: PlannedExercise) -> float:
    """Estimated minutes for one session of ``ex`` at its prescribed dose (both sides if per side)."""
    d = ex.dose
    sets = d.sets or 1
    reps = d.reps_max if d.near_fatigue and d.reps_max else (d.reps or 1)
    work_per_set = (d.hold_s * reps) if d.hold_s else reps * SECONDS_PER_REP
    sides = 2 if d.per_side else 1
    blocks = sets * sides
    seconds = SETUP_S + blocks * work_per_set + max(0, blocks - 1) * REST_BETWEEN_SETS_S
    return round(seconds / 60.0, 1)


def _ordered(plan: Plan) -> list[PlanPhase]:
    return sorted(plan.phases, key=lambda p: p.order)


def current_phase(plan: Plan) -> PlanPhase | None:
    """The staged phase the runner is in: the plan's ``current_phase`` (set by a review from the exit
    criteria), else the first staged phase that has exercises. Phases move on criteria, not on the
    calendar alone (shared/reference/clinical.md section 7)."""
    staged = [p for p in _ordered(plan) if p.weeks.strip().lower() != ONGOING]
    if plan.current_phase:
        for p in staged:
            if p.id == plan.current_phase:
                return p
    return next((p for p in staged if p.exercises), staged[0] if staged else None)


def phase_exercises(plan: Plan, phase: PlanPhase | None) -> list[PlannedExercise]:
    """Exercises in force during ``phase``: the ongoing phases' plus the phase's own, each once. A
    staged phase without exercises (calming the load is advice about running) brings in the next
    staged phase that has some, so no week is without its strength work."""
    staged = [p for p in _ordered(plan) if p.weeks.strip().lower() != ONGOING]
    own = None
    if phase is not None and phase in staged:
        own = next((p for p in staged[staged.index(phase):] if p.exercises), None)
    seen: dict[str, PlannedExercise] = {}
    for p in _ordered(plan):
        if p.weeks.strip().lower() == ONGOING or (own is not None and p.id == own.id):
            for ex in p.exercises:
                seen.setdefault(ex.id, ex)
    return list(seen.values())


def active_exercises(plan: Plan) -> list[PlannedExercise]:
    """Exercises in force now: those of the ongoing phases plus the current phase, each once."""
    return phase_exercises(plan, current_phase(plan))


@dataclass(frozen=True)
class WeekSpread:
    """Which exercises fall on each weekday (0 = Monday) and the estimated minutes of each day."""

    days: tuple[tuple[PlannedExercise, ...], ...]
    minutes: tuple[float, ...]

    @property
    def over_budget(self) -> list[int]:
        """Weekdays above :data:`DAY_MAX_MIN` (only when the week's work cannot fit otherwise)."""
        return [d for d, m in enumerate(self.minutes) if m > DAY_MAX_MIN + 1e-9]

    def days_of(self, exercise_id: str) -> list[int]:
        return [d for d, exs in enumerate(self.days) if any(e.id == exercise_id for e in exs)]


def spread_exercises(exercises: Sequence[PlannedExercise]) -> WeekSpread:
    """Place each exercise on ``dose.days_per_week`` distinct days, balancing the minutes per day.

    Longest sessions are placed first (then by id, so the result never depends on input order);
    each takes the turn of its spaced pattern that leaves the busiest day least busy, then the
    most even week, then the earliest turn.
    """
    minutes = [0.0] * 7
    days: list[list[PlannedExercise]] = [[] for _ in range(7)]
    order = sorted(exercises, key=lambda e: (-e.dose.days_per_week, -exercise_minutes(e), e.id))
    for ex in order:
        m = exercise_minutes(ex)
        base = EXERCISE_DAYS[max(1, min(7, ex.dose.days_per_week))]
        best: tuple[float, float, int] | None = None
        best_days: tuple[int, ...] = base
        for turn in range(7):
            chosen = tuple(sorted((d + turn) % 7 for d in base))
            trial = list(minutes)
            for d in chosen:
                trial[d] += m
            score = (round(max(trial), 6), round(sum(x * x for x in trial), 6), turn)
            if best is None or score < best:
                best, best_days = score, chosen
        for d in best_days:
            minutes[d] += m
            days[d].append(ex)
    return WeekSpread(days=tuple(tuple(d) for d in days), minutes=tuple(round(m, 1) for m in minutes))


@dataclass(frozen=True)
class RunSlot:
    """A run on a weekday: its distance (km, stored metric) and whether it is the week's long run."""

    weekday: int
    km: float
    long: bool = False


def split_runs(km: float, long_run_km: float, runs_per_week: int) -> list[RunSlot]:
    """Share a week's distance over its run days: the long run (Saturday when it is a run day) gets
    ``long_run_km``, the others share the rest; when the long run is no more than an even split,
    every run is the same and none is called long."""
    runs = max(0, min(7, runs_per_week))
    run_days = RUN_DAYS[runs] if km > 0 else ()
    if not run_days:
        return []
    long_day = LONG_RUN_DAY if LONG_RUN_DAY in run_days else run_days[-1]
    if len(run_days) == 1:
        return [RunSlot(long_day, round(km, 1), True)]
    long_km = min(long_run_km, km)
    if long_km > km / len(run_days):
        easy = max(0.0, (km - long_km) / (len(run_days) - 1))
        return [RunSlot(d, round(long_km if d == long_day else easy, 1), d == long_day) for d in run_days]
    even = km / len(run_days)
    return [RunSlot(d, round(even, 1), False) for d in run_days]


def plan_monday(created: date | datetime) -> date:
    """The Monday that starts week 1 of a plan version: the Monday of the week it was made."""
    day = created.date() if isinstance(created, datetime) else created
    return day - timedelta(days=day.weekday())


def plan_week_number(start_monday: date, day: date, weeks_in_ramp: int) -> int:
    """Which ramp week ``day`` falls in (1-based), counting from ``start_monday``; the last ramp week
    (the target) carries on after the ramp ends, and a day before the start is week 1."""
    n = (day - start_monday).days // 7 + 1
    return max(1, min(n, max(1, weeks_in_ramp)))


def ramp_week(plan: Plan, week: int) -> RampWeek | None:
    """The plan's ramp entry for ``week`` (the last one after the ramp ends), or ``None`` without a ramp."""
    if not plan.mileage_ramp:
        return None
    return plan.mileage_ramp[min(week, len(plan.mileage_ramp)) - 1]


def week_minutes_total(spread: WeekSpread) -> float:
    return round(math.fsum(spread.minutes), 1)
