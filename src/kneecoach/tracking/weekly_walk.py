"""The weekly review as a walk through the completed weeks of the plan.

The plan's ramp (``Plan.base_ramp``, or ``mileage_ramp`` in older plans) says
what each plan week holds. Starting at plan week 1 on ``Plan.start_date``,
every *completed* Monday-to-Sunday week is judged from its runs, pain scores,
marked days and strength work, with the plan's own pain and ramp rules, and
the judgement moves the walk on (the week was done), keeps it (hold), or
rebuilds the way back (step back, pause, restart, a break). The decision for
next week is where the walk stands after the last completed week.

Because it is a pure function of (plan, history, date), the same history gives
the same decision on any day of the following week and whether or not earlier
reviews were saved: saving a review (``--apply``) keeps ``base_ramp`` and
``start_date``, so it cannot change what the walk decides.

The order of decisions (``docs/tracking-review.md``; clinical reference §9):
red flag (see a clinician) > pause running > step back > hold > spike handling >
the ramp > a planned lighter week. Most numbers are conventions and the module
constants below say which; ``tests/tracking/test_review_docs.py`` checks that
the documentation states the same numbers.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from kneecoach.intake.units import KM, DistanceFormat
from kneecoach.plan.models import Plan, RampRule, RampWeek
from kneecoach.plan.ramp import build_ramp, floor_tenth
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.adherence import WeekAdherence, weekly_adherence
from kneecoach.tracking.diary import DayFlag, ExerciseObs, PainObs
from kneecoach.tracking.load import activity_day, is_running, week_start

__all__ = [
    "BREAK_FACTOR_LONG",
    "BREAK_FACTOR_SHORT",
    "BREAK_RESTART_AFTER_WEEKS",
    "DONE_FRACTION",
    "ILLNESS_RETURN_FACTOR",
    "LOW_ADHERENCE_SHARE",
    "LONG_RUN_MAX_INCREASE_PCT",
    "LONG_RUN_WINDOW_DAYS",
    "MAX_WEEK_RISE_PCT",
    "PAIN_RISE_POINTS",
    "PAUSE_REFER_AFTER_WEEKS",
    "REFER_FLAGS",
    "STRENGTH_LAPSE_DAYS",
    "Action",
    "Prescription",
    "WalkResult",
    "WeekJudged",
    "plan_in_force",
    "plan_start",
    "walk",
]

# --------------------------------------------------------------------------- thresholds

#: A week run at this share of its prescription or more counts as done: sport watches read
#: distance up to about 9 % short (Gilgen-Ammann 2020). Convention.
DONE_FRACTION = 0.90
#: Next week's long run is at most this much longer than the longest run of the previous
#: :data:`LONG_RUN_WINDOW_DAYS` days (frandsen2025: longer single runs went with more overuse injury).
LONG_RUN_MAX_INCREASE_PCT = 10.0
LONG_RUN_WINDOW_DAYS = 30
#: No prescribed week rises more than this over the week before (nielsen2014: a weak signal; convention).
MAX_WEEK_RISE_PCT = 30.0
#: A break (no running, not for pain) of up to this many weeks resumes where the runner was.
RESUME_AS_WAS_WEEKS = 1
#: After 2 weeks off the runner resumes at this share of where they were ...
BREAK_FACTOR_SHORT = 0.75
#: ... falling to this share after 4 weeks (Mujika & Padilla 2001 on detraining; convention).
BREAK_FACTOR_LONG = 0.5
#: More weeks off than this and the runner restarts at the plan's restart distance.
BREAK_RESTART_AFTER_WEEKS = 4
#: The week after an illness is at most this share of the week it interrupted (a gradual return).
ILLNESS_RETURN_FACTOR = 0.75
#: A pause for pain that has not settled after this many weeks becomes "see a clinician".
PAUSE_REFER_AFTER_WEEKS = 2
#: A rise of this many points in a week's highest pain is meaningful (Farrar 2001); with a
#: strength lapse it holds progression.
PAIN_RISE_POINTS = 2
#: Days without a strength session after which strength work counts as lapsed.
STRENGTH_LAPSE_DAYS = 10
#: A week with fewer than this share of its prescribed exercise sessions done counts as a lapse in
#: the exercises too (issue 16): with a pain rise of :data:`PAIN_RISE_POINTS` it holds progression,
#: and two such weeks in a row are named in the review. About half of people do not keep up home
#: exercise (argent2018); convention.
LOW_ADHERENCE_SHARE = 0.5

#: Marked days that turn the decision into "see a clinician", with the reason given (clinical.md §9).
REFER_FLAGS: dict[str, str] = {
    "night_pain": "new pain at night",
    "rest_pain": "new pain at rest",
    "swelling": "swelling of the knee",
    "giving_way": "the knee giving way",
    "chest_symptoms": "chest pain or palpitations with an illness (see a doctor before running again)",
    "bone_spot_pain": "pain at one spot on a bone or on hopping (a possible bone stress injury)",
}
ILL_FLAG = "ill"

#: Pain timings felt while running (compared with the pain rule's ``max_during_run``).
RUN_TIMINGS = frozenset({"during", "after"})
#: Timings that say how the knee settled (compared with ``max_next_morning``).
SETTLE_TIMINGS = frozenset({"next_morning", "daily"})

PAIN_MODEL = "thomee1997, silbernagel2007"
#: Every source the walk's rules rest on (knowledge/data/sources.yaml), listed with each review.
REVIEW_SOURCES = ("thomee1997", "silbernagel2007", "gilgenammann2020", "frandsen2025", "nielsen2014", "buist2008",
                  "impellizzeri2020", "impellizzeri2021", "lolli2019", "mujika2001", "farrar2001", "spiering2021",
                  "schwellnus2022", "argent2018")
LISTEN_SOURCE = "001_9eaeebca36d4881b.txt"

Action = Literal[
    "start",
    "see_clinician",
    "pause_running",
    "ill_return",
    "step_back",
    "hold",
    "spike",
    "easy_after_race",
    "resume",
    "restart",
    "progress",
    "lighter_week",
]
Kind = Literal["plan", "lighter", "rebuild", "easy", "pause"]


@dataclass(frozen=True)
class Prescription:
    """What one week holds: distance, long run, and which plan week it serves."""

    km: float
    long_run_km: float
    plan_week: int
    kind: Kind
    note: str = ""


@dataclass(frozen=True)
class WeekJudged:
    """One completed week of the walk: what was prescribed, what was run, and what it decided."""

    number: int
    start: date
    prescribed: Prescription
    run_km: float
    longest_run_km: float
    runs: int
    done: bool
    max_pain: int | None
    ill_days: int
    race: bool
    spike: bool
    action: Action
    reason: str
    #: The week was done and the walk moved on along the plan (the caller may name a lighter week next).
    moved_on: bool = False
    #: Exercise sessions done against those prescribed that week (``None``: the plan prescribes none).
    adherence: WeekAdherence | None = None

    @property
    def low_adherence(self) -> bool:
        """Fewer than :data:`LOW_ADHERENCE_SHARE` of the week's prescribed exercise sessions done."""
        share = None if self.adherence is None else self.adherence.share
        return share is not None and share < LOW_ADHERENCE_SHARE

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def done_pct(self) -> float | None:
        """Share of the prescription run, in percent (None for a 0 km week)."""
        return round(self.run_km / self.prescribed.km * 100, 1) if self.prescribed.km > 0 else None


@dataclass(frozen=True)
class WalkResult:
    """Where the walk stands after the last completed week."""

    start: date
    weeks: list[WeekJudged]
    action: Action
    reason: str
    next_week: Prescription
    next_week_start: date
    highest_km: float
    allowed_km: float
    ceiling_km: float | None
    long_run_cap_km: float | None
    strength_lapsed: bool
    limits: list[str] = field(default_factory=list)
    upcoming: list[RampWeek] = field(default_factory=list)

    @property
    def reviewed(self) -> WeekJudged | None:
        return self.weeks[-1] if self.weeks else None

    @property
    def next_week_number(self) -> int:
        return len(self.weeks) + 1


@dataclass
class _State:
    pos: int
    highest: float
    queue: list[RampWeek] = field(default_factory=list)
    override: Prescription | None = None
    ceiling: float | None = None
    paused: bool = False
    pause_weeks: int = 0
    paused_from: float = 0.0
    break_weeks: int = 0
    break_from: float = 0.0
    last_within_rule_km: float = 0.0
    last_presc_km: float = 0.0
    last_credit: float = 0.0
    prev_max_pain: int | None = None


def plan_start(plan: Plan, stored_on: date) -> date:
    """Monday of plan week 1: ``plan.start_date``, else the Monday on or after the day the plan was stored."""
    if plan.start_date is not None:
        return plan.start_date
    monday = week_start(stored_on)
    return monday if monday == stored_on else monday + timedelta(days=7)


def _base(plan: Plan) -> list[RampWeek]:
    return list(plan.base_ramp or plan.mileage_ramp) or [RampWeek(week=1, km=0.0, long_run_km=0.0)]


class _LongestRuns:
    """The longest non-race run in the 30 days before a day, from runs sorted by start (bisect, no rescans)."""

    def __init__(self, runs: Sequence[Activity]) -> None:
        kept = [r for r in runs if not r.race]
        self.days = [activity_day(r) for r in kept]
        self.kms = [r.distance_km for r in kept]

    def cap(self, before: date) -> float | None:
        """The longest a run may be in the week starting ``before`` (None: no run in the window to judge from)."""
        lo = bisect_left(self.days, before - timedelta(days=LONG_RUN_WINDOW_DAYS))
        hi = bisect_left(self.days, before)
        if lo >= hi:
            return None
        return floor_tenth(max(self.kms[lo:hi]) * (1 + LONG_RUN_MAX_INCREASE_PCT / 100))


def _prescribe(st: _State, base: list[RampWeek], rule: RampRule, target: float, long_cap: float | None,
               notes: list[str], fmt: DistanceFormat = KM) -> Prescription:
    """Next week's prescription from the walk's state, within every limit (``notes`` gets the limits used,
    distances said in ``fmt``'s unit)."""
    if st.paused:
        return Prescription(0.0, 0.0, st.pos + 1, "pause", "running paused: cross-train and keep the exercises going")
    if st.override is not None:
        p = st.override
        km, kind, note = p.km, p.kind, p.note
    elif st.queue:
        w = st.queue[0]
        km, kind, note = w.km, ("lighter" if w.cutback else "rebuild"), ("lighter week" if w.cutback else "rebuilding")
    else:
        w = base[st.pos]
        km, kind, note = w.km, ("lighter" if w.cutback else "plan"), w.note
    if st.pos > 0 or st.queue or st.override is not None or st.last_credit > 0:
        allowed = floor_tenth(rule.allowed_next(st.highest))
        if km > allowed:
            km = allowed
            notes.append(f"the ramp rule allows {fmt.km(allowed)} from your highest week so far ({fmt.km(st.highest)})")
    if st.ceiling is not None and km > st.ceiling:
        km = st.ceiling
        notes.append(f"{fmt.km(st.ceiling)}, the week that hurt, stays the ceiling until pain keeps within the rule there")
    rise_cap = floor_tenth(st.last_credit * (1 + MAX_WEEK_RISE_PCT / 100))
    if st.last_credit > 0 and km > st.last_presc_km and km > rise_cap:
        # Never more than 30 % over the week before; repeating last week's prescription is never cut.
        km = max(rise_cap, st.last_presc_km)
        notes.append(f"no week rises more than {MAX_WEEK_RISE_PCT:g} % over the week before")
    km = floor_tenth(min(km, max(target, 0.0))) if km > 0 else 0.0
    long_run = floor_tenth(km * rule.long_run_share)
    if long_cap is not None and long_run > long_cap:
        long_run = long_cap
        notes.append(
            f"long run at most {fmt.km(long_cap)}: {LONG_RUN_MAX_INCREASE_PCT:g} % over your longest run of the last "
            f"{LONG_RUN_WINDOW_DAYS} days (frandsen2025)"
        )
    return Prescription(km, min(long_run, km), st.pos + 1, kind, note)


def _rebuild(st: _State, base: list[RampWeek], rule: RampRule, resume: float, target: float,
             fmt: DistanceFormat = KM) -> None:
    """Rebuild the way back to the current plan week from ``resume`` km; the ramp rule counts from there.

    A planned lighter week is skipped as the point to rejoin: the rebuild has lighter weeks of its own.
    """
    if resume > 0 and all(w.km == 0 for w in base[st.pos:]):
        # The plan holds running with no running week after it (severe pain at intake): the way
        # back is a fresh ramp from the restart to the target, in place of the held weeks.
        base[st.pos:] = build_ramp(resume, target, rule, fmt=fmt)
        st.queue, st.override, st.highest = [], None, resume
        return
    while base[st.pos].cutback and st.pos < len(base) - 1:
        st.pos += 1
    rejoin = base[st.pos].km
    st.override = None
    st.highest = resume
    if resume >= rejoin:
        st.queue = []  # already at the plan week: go on with it (never above it)
        return
    if resume <= 0:
        st.queue = [RampWeek(week=1, km=0.0, long_run_km=0.0)]
        return
    st.queue = build_ramp(resume, rejoin, rule, fmt=fmt)[:-1]


def _upcoming(st: _State, base: list[RampWeek], presc: Prescription, number: int) -> list[RampWeek]:
    """Next week and the way on from it (the rest of a rebuild, then the plan), numbered as plan-calendar weeks."""
    first = RampWeek(week=number, km=presc.km, long_run_km=presc.long_run_km, cutback=presc.kind == "lighter",
                     note=presc.note or presc.kind)
    if st.paused:
        return [first]
    rest: list[RampWeek] = []
    if st.override is not None:
        rest = [*st.queue, *base[st.pos:]]
    elif st.queue:
        rest = [*st.queue[1:], *base[st.pos:]]
    else:
        rest = list(base[st.pos + 1:])
    return [first, *(w.model_copy(update={"week": number + 1 + i}) for i, w in enumerate(rest))]


def _unsettled_streak(pain: Sequence[PainObs], limit: int) -> int:
    days = sorted({p.day for p in pain if p.timing in SETTLE_TIMINGS and p.score > limit})
    best = streak = 0
    for i, d in enumerate(days):
        streak = streak + 1 if i and (d - days[i - 1]).days == 1 else 1
        best = max(best, streak)
    return best


def severe_pain_reason(plan: Plan, pain: Sequence[PainObs]) -> str:
    """Why pain pauses running (empty when it does not): pause level at any timing, or unsettled mornings."""
    rule = plan.pain_rule
    severe = [p for p in pain if p.score >= rule.pause_running_at]
    if severe:
        worst = max(severe, key=lambda p: p.score)
        return (f"pain reached {worst.score}/10 ({worst.timing.replace('_', ' ')}), the plan's pause level "
                f"({rule.pause_running_at}/10)")
    streak = _unsettled_streak(pain, rule.max_next_morning)
    if streak >= rule.pause_after_unsettled_mornings:
        return f"next-morning pain stayed above {rule.max_next_morning}/10 for {streak} days in a row"
    return ""


def _refer_reason(flags: Sequence[DayFlag]) -> str:
    found = sorted({REFER_FLAGS[f.kind] for f in flags if f.kind in REFER_FLAGS})
    return "; ".join(found)


def _lapsed(strength_days: Sequence[date], day: date) -> bool:
    """Strength work lapsed on ``day``: the last session (``strength_days`` sorted) is over the lapse limit ago."""
    i = bisect_left(strength_days, day + timedelta(days=1))
    return i > 0 and (day - strength_days[i - 1]).days > STRENGTH_LAPSE_DAYS


@dataclass(frozen=True)
class _Week:
    """What one completed week holds, before it is judged."""

    start: date
    runs: list[Activity]
    pain: list[PainObs]
    flags: list[DayFlag]
    adherence: WeekAdherence | None = None

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def _judge(
    st: _State, wk: _Week, presc: Prescription, plan: Plan, base: list[RampWeek], strength_days: Sequence[date],
    fmt: DistanceFormat = KM,
) -> WeekJudged:
    """Judge one completed week in the decision order, moving the walk's state on; returns the week judged.

    The order: red flag > pause > illness > step back > hold (pain above the rule, a strength
    lapse while pain rises, a week not done, a break) > spike or race > the ramp (the caller
    names a planned lighter week once it knows next week).
    """
    rule, prule, target = plan.ramp_rule, plan.pain_rule, plan.target_km
    in_week, week_pain, week_flags, wk_end = wk.runs, wk.pain, wk.flags, wk.end
    run_km = round(sum(r.distance_km for r in in_week), 2)
    week_longest = max((r.distance_km for r in in_week), default=0.0)
    race = any(r.race for r in in_week)
    ill_days = len({f.day for f in week_flags if f.kind == ILL_FLAG})
    max_pain = max((p.score for p in week_pain), default=None)
    run_over = [p.score for p in week_pain if p.timing in RUN_TIMINGS and p.score > prule.max_during_run]
    settle_over = [p.score for p in week_pain if p.timing in SETTLE_TIMINGS and p.score > prule.max_next_morning]
    within_rule = not run_over and not settle_over and (max_pain or 0) < prule.step_back_at
    done = run_km >= DONE_FRACTION * presc.km - 1e-9
    non_race_km = sum(r.distance_km for r in in_week if not r.race)
    week_spike = presc.km > 0 and non_race_km > floor_tenth(rule.allowed_next(st.highest)) + 0.05
    spike = week_spike and not race
    refer = _refer_reason(week_flags)
    severe = severe_pain_reason(plan, week_pain)
    credit = presc.km if done and presc.km > 0 else run_km
    lighter_next = False
    pain_rose = max_pain is not None and max_pain >= (st.prev_max_pain or 0) + PAIN_RISE_POINTS
    strength_lapsed = _lapsed(strength_days, wk_end)
    share = None if wk.adherence is None else wk.adherence.share
    low_adherence = share is not None and share < LOW_ADHERENCE_SHARE

    if refer:
        st.paused, st.pause_weeks, st.override = True, 0, None
        st.paused_from = st.paused_from or max(run_km, presc.km)
        action, reason = "see_clinician", (
            f"See a clinician before running again: {refer}. Keep to pain-free daily activity meanwhile; once "
            "you have been seen and pain has settled for a week, running restarts by the pause rule.")
    elif severe:
        if st.paused:
            st.pause_weeks += 1
        else:
            st.paused, st.pause_weeks, st.override, st.paused_from = True, 0, None, max(run_km, presc.km)
        if st.pause_weeks >= PAUSE_REFER_AFTER_WEEKS:
            action, reason = "see_clinician", (
                f"See a clinician: running has been paused for {st.pause_weeks} weeks and {severe}. "
                "A pause longer than two weeks needs a professional look.")
        else:
            action, reason = "pause_running", (
                f"Pause running: {severe}. Cycle, swim or walk instead and keep the exercises within the pain "
                f"rule; running restarts once daily activities are calm (pain-monitoring model: {PAIN_MODEL}).")
    elif st.paused:
        st.pause_weeks += 1
        if within_rule:
            half = floor_tenth(st.last_within_rule_km * 0.5) if st.last_within_rule_km > 0 else rule.restart_km
            resume = floor_tenth(min(rule.restart_km, half, target))
            st.paused = False
            _rebuild(st, base, rule, resume, target, fmt)
            st.ceiling = st.paused_from if st.paused_from > resume else None
            st.paused_from = 0.0
            action, reason = "restart", (
                f"Restart after the pause: pain has settled, so run {fmt.km(resume)} next week (the lower of the "
                f"restart distance, {fmt.km(rule.restart_km)}, and half the last week that stayed within the pain "
                "rule); the ramp counts from here.")
        elif st.pause_weeks >= PAUSE_REFER_AFTER_WEEKS:
            action, reason = "see_clinician", (
                f"See a clinician: running has been paused for {st.pause_weeks} weeks and pain has not settled "
                f"(highest {max_pain}/10).")
        else:
            action, reason = "pause_running", (
                f"Keep running paused: pain has not settled yet (highest {max_pain}/10 this week).")
    elif ill_days:
        back = floor_tenth(presc.km * ILLNESS_RETURN_FACTOR)
        st.override = Prescription(back, floor_tenth(back * rule.long_run_share), st.pos + 1, "easy",
                                   "gradual return after illness")
        action, reason = "ill_return", (
            f"Ill on {ill_days} day(s): run only once fever and whole-body symptoms have gone, then return "
            f"gradually at {fmt.km(back)} ({ILLNESS_RETURN_FACTOR:.0%} of the week). This week is left out of the "
            "trends (schwellnus2022).")
    elif max_pain is not None and max_pain >= prule.step_back_at:
        hurt = run_km if run_km > 0 else presc.km
        resume = floor_tenth(hurt * rule.calm_load_factor)
        _rebuild(st, base, rule, resume, target, fmt)
        st.ceiling = floor_tenth(hurt) if hurt > resume else None
        action, reason = "step_back", (
            f"Step back: pain reached {max_pain}/10 (the plan's step-back level is {prule.step_back_at}/10), so "
            f"next week is {fmt.km(resume)}, {rule.calm_load_factor:.0%} of the {fmt.km(hurt)} that hurt; the ramp "
            f"rebuilds from there and {fmt.km(hurt)} stays the ceiling until pain keeps within the rule "
            f"({LISTEN_SOURCE}).")
    elif not within_rule:
        parts = []
        if run_over:
            parts.append(f"pain during/after runs reached {max(run_over)}/10 (limit {prule.max_during_run})")
        if settle_over:
            parts.append(f"next-morning pain reached {max(settle_over)}/10 (limit {prule.max_next_morning})")
        action, reason = "hold", f"Hold: {' and '.join(parts)}, so repeat the same week ({fmt.km(presc.km)})."
    elif pain_rose and (strength_lapsed or low_adherence):
        why = [f"strength work has lapsed (over {STRENGTH_LAPSE_DAYS} days)"] if strength_lapsed else []
        if low_adherence and wk.adherence is not None:
            why.append(f"{wk.adherence.done} of {wk.adherence.prescribed} exercise sessions were done this week")
        action, reason = "hold", (
            f"Hold at {fmt.km(presc.km)}: {' and '.join(why)} while pain rose to "
            f"{max_pain}/10; get back to the exercises, 2-3 strength sessions a week at least, before adding "
            "distance (000_4e2dc1858106602e.txt, spiering2021; a change of 2 points matters: farrar2001).")
    elif run_km == 0 and presc.km > 0:
        if st.break_weeks == 0:
            st.break_from = presc.km
        st.break_weeks += 1
        k = st.break_weeks
        if k <= RESUME_AS_WAS_WEEKS:
            action, reason = "resume", f"No running this week: pick up where you were ({fmt.km(presc.km)})."
        elif k <= BREAK_RESTART_AFTER_WEEKS:
            share = BREAK_FACTOR_SHORT - (BREAK_FACTOR_SHORT - BREAK_FACTOR_LONG) * (k - 2) / (BREAK_RESTART_AFTER_WEEKS - 2)
            resume = floor_tenth(st.break_from * share)
            _rebuild(st, base, rule, resume, target, fmt)
            action, reason = "resume", (
                f"{k} weeks without running: resume at {fmt.km(resume)} ({share:.0%} of the {fmt.km(st.break_from)} "
                "you were at) and rebuild from there (mujika2001; a convention).")
        else:
            resume = floor_tenth(min(rule.restart_km, st.break_from, target))
            _rebuild(st, base, rule, resume, target, fmt)
            action, reason = "restart", (
                f"{k} weeks without running: fitness built before has mostly faded (mujika2001), so restart at "
                f"{fmt.km(resume)}.")
    elif not done:
        action, reason = "hold", (
            f"Hold: {fmt.num(run_km)} of {fmt.km(presc.km)} run ({run_km / presc.km:.0%}); a week counts as done from "
            f"{DONE_FRACTION:.0%} (watches read up to about 9 % short: gilgenammann2020), so repeat it.")
    else:
        st.highest = max(st.highest, credit)
        if st.ceiling is not None and credit >= st.ceiling - 1e-9:
            st.ceiling = None
        if st.override is not None:
            st.override = None
        elif st.queue:
            st.queue.pop(0)
        else:
            st.pos = min(st.pos + 1, len(base) - 1)
        if race:
            easy = floor_tenth(st.highest * (1 - rule.cutback_pct / 100))
            st.override = Prescription(easy, floor_tenth(easy * rule.long_run_share), st.pos + 1, "easy",
                                       "easy week after a race")
            action, reason = "easy_after_race", (
                f"Race week done. A race is a planned single-run spike: it is not the base, and next week is easy "
                f"({fmt.km(easy)}) before the plan goes on.")
        elif spike:
            action, reason = "spike", (
                f"Spike: {fmt.km(run_km)} is more than the ramp rule allowed "
                f"({fmt.km(floor_tenth(rule.allowed_next(st.highest)))} from your highest week, {fmt.km(st.highest)}). "
                "It is not the base: next week goes back to the plan.")
            lighter_next = True
        else:
            lighter_next = True
            action, reason = "progress", f"Week done ({fmt.num(run_km)} of {fmt.km(presc.km)}) with pain within the plan's limits."
    if run_km > 0:
        st.break_weeks = 0
        if within_rule and not ill_days:
            st.last_within_rule_km = run_km
    if not ill_days:
        st.prev_max_pain = max_pain
    st.last_presc_km, st.last_credit = presc.km, credit
    return WeekJudged(0, wk.start, presc, run_km, round(week_longest, 2), len(in_week), done, max_pain, ill_days,
                      race, spike, action, reason, moved_on=lighter_next, adherence=wk.adherence)


def walk(
    plan: Plan,
    start: date,
    runs: Sequence[Activity],
    pain: Sequence[PainObs],
    exercise: Sequence[ExerciseObs],
    flags: Sequence[DayFlag],
    today: date,
    *,
    strength_ids: Collection[str],
    prescription: Mapping[str, int] | None = None,
    fmt: DistanceFormat = KM,
) -> WalkResult:
    """Walk every plan week completed by ``today`` (a week is complete on its Sunday) and decide the next.

    ``fmt`` only words the reasons (km by default): the walk decides in kilometres whatever the unit.
    Entries after ``today`` are ignored. Severe pain or a referral sign logged in the week
    still under way acts at once (it pauses or refers); nothing else in that week counts
    until it is complete. ``prescription`` (exercise id -> days a week, see
    :func:`kneecoach.tracking.adherence.plan_prescription`) gives each week its adherence; without
    it only the days since the last strength session can show a lapse.
    """
    if week_start(start) != start:
        raise ValueError(f"a plan week starts on a Monday; {start} is a {start:%A}")
    runs = sorted((r for r in runs if is_running(r) and activity_day(r) <= today), key=lambda r: (r.start, r.distance_m))
    pain = [p for p in pain if p.day <= today]
    flags = [f for f in flags if f.day <= today]
    base, rule, target = _base(plan), plan.ramp_rule, plan.target_km
    st = _State(pos=0, highest=base[0].km)
    hold = getattr(plan, "running_hold", None)  # issue 15's plans say why running is held, and until what
    held_by_criteria = (plan.pathway is not None and plan.pathway.running_on_hold) or (
        hold is not None and getattr(hold, "until", "pain_rule") != "pain_rule")
    if not held_by_criteria and all(w.km == 0 for w in base):
        # Held for pain from the start: a pause like any other, which the first calm week ends.
        st.paused, st.paused_from = True, 0.0
    notes: list[str] = []
    longest_runs = _LongestRuns(runs)
    strength_days = sorted(e.day for e in exercise if e.exercise_id in strength_ids)
    runs_by_week: dict[date, list[Activity]] = defaultdict(list)
    for r in runs:
        runs_by_week[week_start(activity_day(r))].append(r)
    pain_by_week: dict[date, list[PainObs]] = defaultdict(list)
    for p in pain:
        pain_by_week[week_start(p.day)].append(p)
    flags_by_week: dict[date, list[DayFlag]] = defaultdict(list)
    for f in flags:
        flags_by_week[week_start(f.day)].append(f)
    # Adherence for each completed week; weeks before the first exercise ever logged are unknown,
    # not "none done" (a runner who only imports runs is not judged on a diary they do not keep).
    last_sunday = start + timedelta(days=7 * (((today - start).days + 1) // 7) - 1)
    first_logged = min((e.day for e in exercise), default=None)
    adherence = {w.week_start: w for w in weekly_adherence(prescription or {}, exercise, start, last_sunday)
                 if first_logged is not None and first_logged <= w.week_start + timedelta(days=6)}
    presc = _prescribe(st, base, rule, target, longest_runs.cap(start), notes, fmt)
    action: Action = "start"
    reason = f"Plan week 1 starts {start:%a %d %b}: {fmt.km(presc.km)}, long run {fmt.km(presc.long_run_km)}."
    weeks: list[WeekJudged] = []
    wk_start = start
    while wk_start + timedelta(days=6) <= today:
        judged = _judge(st, _Week(wk_start, runs_by_week.get(wk_start, []), pain_by_week.get(wk_start, []),
                                  flags_by_week.get(wk_start, []), adherence.get(wk_start)),
                        presc, plan, base, strength_days, fmt)
        judged = replace(judged, number=len(weeks) + 1)
        weeks.append(judged)
        action, reason, lighter_next = judged.action, judged.reason, judged.moved_on
        wk_start += timedelta(days=7)
        notes = []
        presc = _prescribe(st, base, rule, target, longest_runs.cap(wk_start), notes, fmt)
        if lighter_next:
            if presc.kind == "lighter":
                action = "lighter_week" if action == "progress" else action  # a spike keeps its name
                reason += f" Next is a planned lighter week ({fmt.km(presc.km)}): every {rule.cutback_every_weeks}th week is " \
                          f"{rule.cutback_pct:g} % lighter."
            elif presc.km == 0:
                action = "pause_running"
                reason += f" The plan holds running at {fmt.km(0.0)} next week: {presc.note}."
            elif presc.kind == "rebuild":
                reason += f" Next: {fmt.km(presc.km)}, rebuilding towards plan week {presc.plan_week}."
            else:
                reason += f" Next: {fmt.km(presc.km)} (plan week {presc.plan_week})."
        if notes:
            reason += " Limits: " + "; ".join(dict.fromkeys(notes)) + "."
        weeks[-1] = replace(weeks[-1], action=action, reason=reason)

    # The week under way: severe pain or a referral sign acts now, not next Sunday.
    current = [p for p in pain if p.day >= wk_start]
    refer_now = _refer_reason([f for f in flags if f.day >= wk_start])
    severe_now = severe_pain_reason(plan, current)
    if refer_now:
        action, reason = "see_clinician", f"See a clinician before running again: {refer_now}."
        presc = Prescription(0.0, 0.0, presc.plan_week, "pause", "see a clinician first")
    elif severe_now and action not in ("see_clinician", "pause_running"):
        action, reason = "pause_running", (
            f"Pause running now: {severe_now}. Cycle, swim or walk instead; the review after this week decides the "
            "restart.")
        presc = Prescription(0.0, 0.0, presc.plan_week, "pause", "running paused")
    elif action == "start" and presc.km == 0:
        action, reason = "pause_running", f"The plan starts without running: {presc.note or 'cross-train'}."
    clinician_hold = next((c for c in plan.clinician_changes if c.kind == "hold_running"), None)
    if clinician_hold is not None and action != "see_clinician":
        # A clinician's hold (issue 17) stands over the walk, whatever ramp the walk reads, until released.
        action, reason = "pause_running", (f"Running is on hold by {clinician_hold.author_name}: "
                                           f"{clinician_hold.reason.rstrip('.')}. Keep the exercises going.")
        presc = Prescription(0.0, 0.0, presc.plan_week, "pause", f"running on hold by {clinician_hold.author_name}")
    elif held_by_criteria and action != "see_clinician":
        if hold is not None:
            why = f"Running stays paused: {hold.reason} {hold.restart}"
        else:
            waiting = "; ".join(c.label for c in plan.pathway.criteria if c.status != "met")  # type: ignore[union-attr]
            why = (f"Running stays paused until the return-to-run criteria are met (still open: {waiting}). "
                   "Re-test them (kneecoach recheck); keep the exercises going.")
        action, reason = "pause_running", why
        presc = Prescription(0.0, 0.0, presc.plan_week, "pause", "running held by the plan")
    lapsed = _lapsed(strength_days, wk_start - timedelta(days=1))
    return WalkResult(
        start=start,
        weeks=weeks,
        action=action,
        reason=reason,
        next_week=presc,
        next_week_start=wk_start,
        highest_km=st.highest,
        allowed_km=floor_tenth(rule.allowed_next(st.highest)),
        ceiling_km=st.ceiling,
        long_run_cap_km=longest_runs.cap(wk_start),
        strength_lapsed=lapsed,
        limits=list(dict.fromkeys(notes)),
        upcoming=_upcoming(st, base, presc, len(weeks) + 1),
    )


def plan_in_force(plan: Plan, result: WalkResult) -> Plan:
    """``plan`` as the walk has it in force, for the plan page, calendar and PDF: the weeks walked as
    they were prescribed, then the week decided and the way on (every entry numbered by plan-calendar
    week, so week N falls N-1 weeks after ``start_date``). Nothing is stored, so the plan a runner
    reads agrees with Today and the review whether or not a review was saved.
    """
    base = plan.base_ramp or plan.mileage_ramp

    def walk_run(p: Prescription) -> str:  # the walk-run sessions of the plan week, when its distance is kept
        w = base[p.plan_week - 1] if 0 < p.plan_week <= len(base) else None
        return w.walk_run if w is not None and abs(w.km - p.km) < 1e-9 else ""

    walked = [RampWeek(week=w.number, km=w.prescribed.km, long_run_km=w.prescribed.long_run_km,
                       cutback=w.prescribed.kind == "lighter", note=w.prescribed.note or w.prescribed.kind,
                       walk_run=walk_run(w.prescribed))
              for w in result.weeks]
    p = result.next_week
    first = RampWeek(week=result.next_week_number, km=p.km, long_run_km=p.long_run_km, cutback=p.kind == "lighter",
                     note=p.note or p.kind, walk_run=walk_run(p))
    ahead = [first, *result.upcoming[1:]]
    return plan.model_copy(update={"mileage_ramp": [*walked, *ahead], "start_date": result.start, "base_ramp": base})
