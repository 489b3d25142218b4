"""A runner who does what each Sunday review says, for the simulation tests.

Each simulated week the runner runs the prescribed distance (times ``run_share``, or what the
story says), logs the story's pain and strength sessions, and on Sunday the review decides the
next week. With ``apply=True`` every review is saved as the next plan version (as
``kneecoach review --apply`` does) and the next review reads that version.
"""

from __future__ import annotations

import math

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from kneecoach.plan.models import Plan
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import DayFlag, ExerciseObs, PainObs
from kneecoach.tracking.review import Review, apply_review, review

START = date(2026, 1, 5)  # a Monday: plan week 1
RUN_DAYS = (1, 3, 5, 6)  # Tue, Thu, Sat, Sun (the long run)


@lru_cache(maxsize=1)
def marathoner_plan() -> Plan:
    """The plan the intake writes for examples/marathoner_000.yaml, starting on :data:`START`."""
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_profile
    from kneecoach.assessment.kb import load_kb

    import kneecoach.examples as ex_pkg
    from pathlib import Path

    profile = load_profile(Path(ex_pkg.__file__).parent / "marathoner_000.yaml")
    plan = assess(profile, load_kb()).plan
    assert plan is not None
    return plan.model_copy(update={"start_date": START})


@lru_cache(maxsize=1)
def strength_ids() -> frozenset[str]:
    from kneecoach.assessment.kb import load_kb
    from kneecoach.tracking.review import strength_exercise_ids

    return frozenset(strength_exercise_ids(load_kb()))


def week_runs(monday: date, km: float, long_km: float, *, race_km: float = 0.0) -> list[Activity]:
    """``km`` over the week, the Sunday run ``long_km`` long and no other run longer; a race (if any) on Saturday."""
    out: list[Activity] = []
    rest = max(km - long_km, 0.0)
    n = max(3, math.ceil(rest / long_km - 1e-9)) if long_km > 0 else 3
    for d in range(n):
        if rest > 0:
            out.append(_act(monday + timedelta(days=d % 6), rest / n, hour=6 + d // 6 * 6))
    if long_km > 0:
        out.append(_act(monday + timedelta(days=6), long_km))
    if race_km:
        out.append(_act(monday + timedelta(days=5), race_km, race=True, hour=9))
    return out


def _act(day: date, km: float, *, race: bool = False, hour: int = 7) -> Activity:
    return Activity(start=datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc),
                    duration_s=km * 330, distance_m=km * 1000, race=race)


@dataclass
class Week:
    """What the story makes the runner do in one week (None = what the review said)."""

    km: float | None = None
    share: float = 1.0
    pain: list[tuple[int, str, int]] = field(default_factory=list)  # (weekday, timing, score)
    flags: list[tuple[int, str]] = field(default_factory=list)
    strength: tuple[str, ...] = ("step_up", "split_squat", "wall_squat")
    race_km: float = 0.0
    #: Share of the plan's whole routine done on its scheduled days (0-1), in place of ``strength``.
    routine: float | None = None


def routine_sessions(plan: Plan, monday: date, share: float) -> list[ExerciseObs]:
    """The first ``share`` of the week's scheduled exercise sessions (Today's layout), in day order."""
    from kneecoach.plan.schedule import active_exercises, spread_exercises

    spread = spread_exercises(active_exercises(plan))
    sessions = [(d, ex.id) for d in range(7) for ex in spread.days[d]]
    keep = round(share * len(sessions))
    return [ExerciseObs(monday + timedelta(days=d), ex_id, sets=3, reps=10) for d, ex_id in sessions[:keep]]


@dataclass
class Sim:
    plan: Plan
    runs: list[Activity] = field(default_factory=list)
    pain: list[PainObs] = field(default_factory=list)
    ex: list[ExerciseObs] = field(default_factory=list)
    flags: list[DayFlag] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)

    def review_on(self, day: date, plan: Plan | None = None, *, known_until: date | None = None) -> Review:
        """The review on ``day`` of what was logged up to ``known_until`` (default: everything)."""
        cut = known_until or day
        return review([r for r in self.runs if r.start.date() <= cut], [p for p in self.pain if p.day <= cut],
                      [e for e in self.ex if e.day <= cut], plan or self.plan, day,
                      strength_exercise_ids=set(strength_ids()), flags=[f for f in self.flags if f.day <= cut])


def simulate(story: Callable[[int], Week], weeks: int = 26, *, apply: bool = False, plan: Plan | None = None) -> Sim:
    """Run ``weeks`` weeks of ``story`` (week number from 1 -> what the runner does); review every Sunday."""
    base = plan or marathoner_plan()
    sim = Sim(base)
    current = base
    rv = sim.review_on(START - timedelta(days=1), current)
    for n in range(1, weeks + 1):
        monday = START + timedelta(weeks=n - 1)
        w = story(n)
        nxt = rv.decision.next_week
        km = (w.km if w.km is not None else nxt.km) * w.share
        long_km = min(km, nxt.long_run_km * w.share) if w.km is None else min(km, km * 0.35)
        sim.runs += week_runs(monday, km, long_km, race_km=w.race_km)
        if w.routine is not None:
            sim.ex += routine_sessions(current, monday, w.routine)
        else:
            for day in (0, 2, 4):
                for ex_id in w.strength:
                    sim.ex.append(ExerciseObs(monday + timedelta(days=day), ex_id, sets=3, reps=10))
        for d, timing, score in w.pain:
            sim.pain.append(PainObs(monday + timedelta(days=d), timing, score))
        for d, kind in w.flags:
            sim.flags.append(DayFlag(monday + timedelta(days=d), kind))
        sunday = monday + timedelta(days=6)
        rv = sim.review_on(sunday, current)
        sim.reviews.append(rv)
        if apply:
            current = apply_review(current, rv)
            sim.plans.append(current)
    return sim
