"""Adherence: the share of prescribed exercise sessions done, week by week.

About half of people do not do their home exercises (shared/reference/clinical.md section 8), so
the runner and the clinicians they invite see this number plainly. It is forgiving on purpose:
an exercise done on another day of the same week counts, and a week counts each exercise at most
as many times as prescribed (doing clamshells daily does not make up for skipping bridges).

A pure function of the prescription and the diary, shared by the Today page, the weekly review
and the clinician's caseload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kneecoach.plan.models import Plan
from kneecoach.plan.schedule import active_exercises
from kneecoach.tracking.diary import ExerciseObs


@dataclass(frozen=True)
class WeekAdherence:
    week_start: date
    prescribed: int
    done: int

    @property
    def share(self) -> float | None:
        """Done / prescribed (0-1), ``None`` for a week with nothing prescribed."""
        return None if self.prescribed == 0 else self.done / self.prescribed

    @property
    def percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)

    def sentence(self) -> str:
        """Plain words, no guilt: a count, not a grade."""
        if self.prescribed == 0:
            return f"Week of {self.week_start:%d %b}: no exercises were prescribed."
        return f"Week of {self.week_start:%d %b}: {self.done} of {self.prescribed} exercise sessions done."


def plan_prescription(plan: Plan) -> dict[str, int]:
    """Exercise id -> days a week for the exercises in force (the current phase and the ongoing ones).

    Today and the weekly review count adherence against this same prescription. A week reviewed
    after the phase moved on is counted against the phase in force now: the review looks back one
    or two weeks, and phases move on re-tests, not every week.
    """
    return {ex.id: ex.dose.days_per_week for ex in active_exercises(plan)}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_adherence(
    prescription: Mapping[str, int],
    exercise: Sequence[ExerciseObs],
    first_day: date,
    last_day: date,
) -> list[WeekAdherence]:
    """Adherence for each week (Monday to Sunday) from ``first_day``'s week to ``last_day``'s.

    ``prescription`` maps exercise id -> days a week. In the first and last weeks only the days
    inside ``first_day``..``last_day`` are prescribed (a plan made on Thursday asks for the share of
    Thursday-Sunday; this week counts the days up to today), pro rata and rounded up so an
    exercise prescribed at all is asked for at least once.
    """
    if last_day < first_day:
        return []
    done_days: dict[tuple[date, str], set[date]] = defaultdict(set)
    for e in exercise:
        if first_day <= e.day <= last_day and e.exercise_id in prescription:
            done_days[(monday(e.day), e.exercise_id)].add(e.day)
    out: list[WeekAdherence] = []
    wk = monday(first_day)
    while wk <= last_day:
        days_in = (min(last_day, wk + timedelta(days=6)) - max(first_day, wk)).days + 1
        prescribed = done = 0
        for ex_id, per_week in prescription.items():
            asked = per_week if days_in >= 7 else min(per_week, -(-per_week * days_in // 7))
            prescribed += asked
            done += min(asked, len(done_days.get((wk, ex_id), ())))
        out.append(WeekAdherence(week_start=wk, prescribed=prescribed, done=done))
        wk += timedelta(days=7)
    return out


def recent_adherence(
    prescription: Mapping[str, int], exercise: Sequence[ExerciseObs], plan_start: date, day: date, weeks: int = 4,
) -> list[WeekAdherence]:
    """The last ``weeks`` weeks up to ``day`` (this week so far included), none before ``plan_start``:
    what Today shows and what the review's JSON lists."""
    first = max(plan_start, day - timedelta(days=7 * weeks - 1 + day.weekday()))
    return weekly_adherence(prescription, exercise, first, day)


# --- the caseload's quick share (issue 17) --------------------------------------------------------
# A clinician's caseload ranks hundreds of runners from grouped counts (days with any exercise
# logged per runner), not each runner's diary; these give the share from such a count. A day with
# the whole routine done is one session, prescribed as the most days a week any exercise of the
# current phase asks for. It agrees with :func:`weekly_adherence` for a runner who does the whole
# routine on the days they exercise, and is more forgiving of a partial routine.


def adherence_over(days_done: Iterable[date], days_per_week: int, end: date, days: int = 14) -> float | None:
    """Sessions done in the ``days`` days up to ``end`` (inclusive) over those prescribed, capped at 1."""
    first = end - timedelta(days=days - 1)
    return adherence_share(len({d for d in days_done if first <= d <= end}), days_per_week, days)


def adherence_share(sessions_done: int, days_per_week: int, days: int = 14) -> float | None:
    """``sessions_done`` (days with exercise) in a window of ``days`` over those prescribed, capped at 1."""
    if days_per_week <= 0 or days <= 0:
        return None
    return min(1.0, sessions_done / (days_per_week * days / 7))
