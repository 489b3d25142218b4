"""A plan as a weekly schedule, and that schedule as an iCalendar file.

The plan says *what* (phases, exercises with days per week, a weekly distance
ramp); a runner also needs *when*. :func:`weekly_schedule` lays the plan out
over the ramp weeks with fixed, predictable day patterns (exercise days spread
through the week with rest between; the long run on Saturday) so the web page,
the PDF and the calendar all show the same days. :func:`plan_to_ics` turns
that schedule into all-day events whose UIDs depend only on the start date,
the week, the day and the kind of session, so importing an updated plan
replaces events instead of duplicating them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event

from kneecoach.intake.units import show_distance
from kneecoach.plan.models import Plan, PlannedExercise, PlanPhase
from kneecoach.plan.schedule import DAY_NAMES, LONG_RUN_DAY, RUN_DAYS, phase_exercises, spread_exercises
from kneecoach.render.triage import week_text

DEFAULT_PHASE_WEEKS = 2


@dataclass(frozen=True)
class RunSession:
    km: float
    long: bool = False


@dataclass
class DayPlan:
    weekday: int
    date: date | None
    run: RunSession | None = None
    exercises: list[PlannedExercise] = field(default_factory=list)

    @property
    def name(self) -> str:
        return DAY_NAMES[self.weekday]

    @property
    def rest(self) -> bool:
        return self.run is None and not self.exercises


@dataclass
class WeekPlan:
    week: int
    phase: PlanPhase | None
    km: float
    long_run_km: float
    cutback: bool
    note: str
    days: list[DayPlan]


def _phase_weeks(phase: PlanPhase) -> int:
    """Upper bound of a phase's typical length ('1-2' -> 2, '6+' -> 6); 2 when unstated."""
    numbers = [int(n) for n in re.findall(r"\d+", phase.weeks)]
    return max(numbers) if numbers else DEFAULT_PHASE_WEEKS


def phase_for_week(phases: list[PlanPhase], week: int) -> PlanPhase | None:
    """Which phase a week falls in, counting each phase's typical length; the last phase continues."""
    ordered = sorted(phases, key=lambda p: p.order)
    end = 0
    for phase in ordered:
        end += _phase_weeks(phase)
        if week <= end:
            return phase
    return ordered[-1] if ordered else None


def weekly_schedule(plan: Plan, runs_per_week: int = 3, start: date | None = None) -> list[WeekPlan]:
    """Lay ``plan`` out week by week (one entry per ramp week, or per phase week if no ramp).

    ``start`` (a Monday: plan week 1) fills in dates; without it days have weekday names only.
    Runs split the week's distance: the long run gets ``long_run_km``, the
    other runs share the rest equally; when ``long_run_km`` is no more than an
    even share, all runs are equal.
    """
    if start is not None and start.weekday() != 0:
        raise ValueError(f"the schedule starts on a Monday; {start.isoformat()} is a {DAY_NAMES[start.weekday()]}")
    runs = max(0, min(7, runs_per_week))
    ramp = list(plan.mileage_ramp)
    n_weeks = len(ramp) or sum(_phase_weeks(p) for p in plan.phases) or 1
    weeks: list[WeekPlan] = []
    for i in range(n_weeks):
        rw = ramp[i] if i < len(ramp) else None
        # Ramp entries are numbered by plan-calendar week (a saved review's ramp starts at the week it
        # decided), and week N falls N-1 weeks after ``start``, the Monday of plan week 1.
        number = rw.week if rw is not None else i + 1
        offset = number - 1
        km = rw.km if rw else 0.0
        long_km = min(rw.long_run_km, km) if rw else 0.0
        phase = phase_for_week(plan.phases, number)
        days = [
            DayPlan(weekday=d, date=(start + timedelta(days=7 * offset + d)) if start else None) for d in range(7)
        ]
        run_days = RUN_DAYS[runs] if km > 0 else ()
        if run_days:
            long_day = LONG_RUN_DAY if LONG_RUN_DAY in run_days else run_days[-1]
            if len(run_days) == 1:
                days[long_day].run = RunSession(km=round(km, 1), long=True)
            elif long_km > km / len(run_days):
                easy = max(0.0, (km - long_km) / (len(run_days) - 1))
                for d in run_days:
                    days[d].run = RunSession(km=round(long_km if d == long_day else easy, 1), long=d == long_day)
            else:
                # The ramp's long run is a cap (long_run_share of the week); when it is no longer
                # than an even split, every run is the same length and none is called "long".
                even = km / len(run_days)
                long_km = round(even, 1)
                for d in run_days:
                    days[d].run = RunSession(km=round(even, 1), long=False)
        if phase is not None:
            # The same spread as the Today page (plan.schedule): ongoing phases included, each
            # exercise on its days a week, turned so the minutes per day even out.
            spread = spread_exercises(phase_exercises(plan, phase))
            for d in range(7):
                days[d].exercises.extend(spread.days[d])
        weeks.append(
            WeekPlan(week=number, phase=phase, km=round(km, 1), long_run_km=round(long_km, 1),
                     cutback=bool(rw and rw.cutback), note=week_text(rw) if rw else "", days=days)
        )
    return weeks


def next_monday(today: date | None = None) -> date:
    """The coming Monday (today if it is a Monday): a sensible default calendar start."""
    today = today or date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7)


def plan_to_ics(plan: Plan, start: date, runs_per_week: int = 3, uid_prefix: str = "kneecoach",
                calendar_name: str = "kneecoach plan", alarm_at: str | None = None, unit: str = "km") -> bytes:
    """The schedule as iCalendar bytes: one all-day event per run and per exercise day.

    ``alarm_at`` ("HH:MM", the runner's reminder time) adds a VALARM to each exercise day at that
    time of the day (a trigger relative to the all-day event's start), saying only that it is time
    for the day's exercises. ``unit`` ("km" or "mi") is how distances are written; stored stays km.

    UIDs are ``{uid_prefix}-{start}-w{week}-{weekday}-{run|ex}@kneecoach``: the
    same plan start gives the same UIDs, so a re-import updates events. DTSTAMP is
    fixed to the start date, which makes the output byte-for-byte reproducible.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", uid_prefix):
        raise ValueError("uid_prefix may hold letters, digits, '.', '_' and '-' only")
    cal = Calendar()
    cal.add("prodid", "-//kneecoach//plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    stamp = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    disclaimer = plan.disclaimer.strip()
    for week in weekly_schedule(plan, runs_per_week, start):
        for day in week.days:
            assert day.date is not None
            if day.run is not None:
                ev = Event()
                kind = "Long run" if day.run.long else "Easy run"
                ev.add("summary", f"{kind} {show_distance(day.run.km, unit)} (week {week.week})")
                ev.add("uid", f"{uid_prefix}-{start.isoformat()}-w{week.week}-{day.weekday}-run@kneecoach")
                ev.add("dtstamp", stamp)
                ev.add("dtstart", day.date)
                ev.add("dtend", day.date + timedelta(days=1))
                ev.add("transp", "TRANSPARENT")
                lines = [f"Week {week.week}: {show_distance(week.km, unit)} in total" + (" (cut-back week)" if week.cutback else "")]
                lines.append(
                    f"Pain rule: stop progressing if pain during the run is above {plan.pain_rule.max_during_run}/10 "
                    f"or next-morning pain above {plan.pain_rule.max_next_morning}/10."
                )
                if week.note:
                    lines.append(week.note)
                lines.append(disclaimer)
                ev.add("description", "\n".join(lines))
                cal.add_component(ev)
            if day.exercises:
                ev = Event()
                names = ", ".join(e.name for e in day.exercises)
                ev.add("summary", f"Knee exercises: {names}")
                ev.add("uid", f"{uid_prefix}-{start.isoformat()}-w{week.week}-{day.weekday}-ex@kneecoach")
                ev.add("dtstamp", stamp)
                ev.add("dtstart", day.date)
                ev.add("dtend", day.date + timedelta(days=1))
                ev.add("transp", "TRANSPARENT")
                lines = [f"{week.phase.name}" if week.phase else ""]
                lines += [f"- {e.name}: {e.dose.text}" for e in day.exercises]
                lines.append(disclaimer)
                ev.add("description", "\n".join(x for x in lines if x))
                if alarm_at is not None:
                    ev.add_component(_alarm(alarm_at))
                cal.add_component(ev)
    return cal.to_ical()


def _alarm(at: str) -> Alarm:
    """A display alarm at ``at`` ("HH:MM") on the day of an all-day event."""
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", at)
    if m is None:
        raise ValueError(f"alarm time must be HH:MM, got {at!r}")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Time for today's exercises")
    alarm.add("trigger", timedelta(hours=int(m.group(1)), minutes=int(m.group(2))), parameters={"RELATED": "START"})
    return alarm
