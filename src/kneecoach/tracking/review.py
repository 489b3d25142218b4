"""Weekly review: does pain follow load, has strength work lapsed, and what next week holds.

A pure function over plain values (runs, diary entries, the current plan,
today's date): no database, no clock, no randomness, so the same history
always gives the same review and tests can build any history they like.

What it looks for, and why:

* **Pain vs load** — many runners are fine up to some weekly distance and
  sore above it (seed ``000_4e2dc1858106602e.txt``: the knee ached again
  whenever mileage climbed). The review searches for the weekly distance that
  best separates painful weeks from comfortable ones and reports it with the
  counts behind it, but only once there are enough weeks to make that claim.
* **Hills vs flat** — climbing loads the thigh muscles and kneecap more
  (seed ``002_f27728aa77bad5ec.txt`` advises avoiding hills while healing),
  so pain on hilly runs is compared with pain on flat ones.
* **Strength lapse** — in seed ``000_4e2dc1858106602e.txt`` the pain stayed
  away while the gym work continued and came back a few weeks after it
  stopped. Days since the last strength session are counted and flagged.
* **Adherence** — the share of prescribed exercise sessions done each week,
  counted exactly as Today counts it (:mod:`kneecoach.tracking.adherence`).
  A week under half done is a lapse too: with rising pain it holds
  progression; two such weeks in a row are named, without changing the
  decision for a runner whose pain is calm.
* **Decision** — a walk through the plan's completed weeks
  (:mod:`kneecoach.tracking.weekly_walk`): the plan's own pain and ramp rules
  decide, in the order red flag > pause > step back > hold > spike > ramp >
  lighter week. The acute:chronic workload ratio is shown, never used.

See ``docs/tracking-review.md`` for the thresholds and their rationale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any

from kneecoach.intake.units import KM, DistanceFormat, distance_format
from kneecoach.plan.models import Plan, RampWeek
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.adherence import plan_prescription
from kneecoach.tracking.diary import DayFlag, ExerciseObs, PainObs
from kneecoach.tracking.load import (
    AcwrPoint,
    LoadWarning,
    WeekLoad,
    activity_day,
    acwr_rolling,
    daily_history_km,
    is_running,
    load_warnings,
    week_start,
    weekly_load,
)
from kneecoach.tracking.weekly_walk import (
    LISTEN_SOURCE,
    LOW_ADHERENCE_SHARE,
    REVIEW_SOURCES,
    RUN_TIMINGS,
    STRENGTH_LAPSE_DAYS,
    Action,
    Prescription,
    WeekJudged,
    walk,
)

__all__ = [
    "Decision",
    "HillsFinding",
    "PainThreshold",
    "Review",
    "StrengthLapse",
    "WeekRow",
    "acwr_note",
    "adherence_note",
    "apply_review",
    "find_pain_threshold",
    "hills_vs_flat",
    "review",
    "strength_exercise_ids",
    "strength_lapse",
]

STRENGTH_SOURCE = "000_4e2dc1858106602e.txt"
HILLS_SOURCE = "002_f27728aa77bad5ec.txt"

#: Load warnings older than this many days are left out of a review.
WARNING_DAYS = 28


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class WeekRow:
    """One week's load with that week's pain: mean of every entry, max while running."""

    load: WeekLoad
    mean_pain: float | None
    max_run_pain: int | None
    pain_entries: int
    #: A week with days marked ill: shown, but left out of the pain-vs-load trend.
    ill: bool = False


@dataclass(frozen=True)
class PainThreshold:
    """Weekly distance above which this runner's pain during runs exceeds the plan's limit."""

    km: float
    weeks_above: int
    painful_above: int
    weeks_below: int
    painful_below: int
    limit: int
    message: str


@dataclass(frozen=True)
class HillsFinding:
    cut_gain_per_km: float
    hilly_runs: int
    flat_runs: int
    hilly_mean_pain: float
    flat_mean_pain: float
    message: str
    sources: tuple[str, ...] = (HILLS_SOURCE,)


@dataclass(frozen=True)
class StrengthLapse:
    last_session: date | None
    days_since: int | None
    lapsed: bool
    lapse_days: int
    pain_before: float | None
    pain_since: float | None
    message: str
    sources: tuple[str, ...] = (STRENGTH_SOURCE,)


@dataclass(frozen=True)
class Decision:
    """Next week, decided by walking the plan's completed weeks (see :mod:`kneecoach.tracking.weekly_walk`)."""

    action: Action
    reason: str
    next_week: Prescription
    next_week_start: date
    next_week_number: int
    reviewed_week: WeekJudged | None
    highest_km: float
    allowed_km: float
    ceiling_km: float | None
    long_run_cap_km: float | None
    limits: list[str] = field(default_factory=list)
    #: The unit the runner reads distances in (the reasons above are already worded in it).
    distance: DistanceFormat = KM

    @property
    def next_week_km(self) -> float:
        return self.next_week.km

    @property
    def long_run_km(self) -> float:
        return self.next_week.long_run_km

    @property
    def baseline_km(self) -> float:
        """The highest week the ramp rule counts from (since the last restart)."""
        return self.highest_km

    @property
    def restart(self) -> bool:
        return self.action == "restart"

    def reviewed_line(self) -> str:
        """Which week was reviewed and whether it was done, in one sentence."""
        w = self.reviewed_week
        if w is None:
            return f"No plan week completed yet; plan week 1 begins {self.next_week_start:%a %d %b %Y}."
        p, fmt = w.prescribed, self.distance
        label = {"lighter": "a lighter week", "rebuild": "a rebuilding week", "easy": "an easy week",
                 "pause": "running paused"}.get(p.kind, f"plan week {p.plan_week}")
        if p.km > 0:
            state = "done" if w.done else "not done"
            ran = f"you ran {fmt.km(w.run_km)} of {fmt.km(p.km)} ({w.done_pct:.0f} %): {state}"
        else:
            ran = f"no running was prescribed; you ran {fmt.km(w.run_km)}"
        return f"Reviewed week {w.number} ({w.start:%d %b}-{w.end:%d %b}, {label}): {ran}."


@dataclass(frozen=True)
class Review:
    today: date
    as_of: date
    plan_start: date
    weeks: list[WeekRow]
    walked: list[WeekJudged]
    threshold: PainThreshold | None
    threshold_note: str
    hills: HillsFinding | None
    hills_note: str
    strength: StrengthLapse
    warnings: list[LoadWarning]
    acwr: AcwrPoint | None
    acwr_note: str
    acwr_points: list[AcwrPoint]
    decision: Decision
    upcoming: list[RampWeek] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    #: The unit every sentence of this review says distances in (stored numbers stay km).
    distance: DistanceFormat = KM
    #: Exercise sessions in the week reviewed, in words (empty when the plan prescribes none).
    adherence_note: str = ""

    @property
    def week_word(self) -> str:
        """"this week" when the decided week is already under way (a mid-week review), else "next week"."""
        return "this week" if self.decision.next_week_start <= self.today else "next week"

    def pain_by_week(self) -> dict[date, float | None]:
        """Week start -> mean pain (what :func:`kneecoach.tracking.plots.plot_load` draws)."""
        return {w.load.week_start: w.mean_pain for w in self.weeks}

    def summary_lines(self) -> list[str]:
        """The review in plain sentences, most important first (CLI, web, reports)."""
        d, fmt = self.decision, self.distance
        lines = [
            f"Decision: {d.action.replace('_', ' ')} — {self.week_word} (week {d.next_week_number}, from "
            f"{d.next_week_start:%d %b}) {fmt.km(d.next_week_km)}, long run {fmt.km(d.long_run_km)}. {d.reason}",
            d.reviewed_line(),
        ]
        lines.extend(w.message for w in self.warnings)
        lines.append(self.strength.message)
        if self.adherence_note:
            lines.append(self.adherence_note)
        lines.append(self.threshold.message if self.threshold else self.threshold_note)
        lines.append(self.hills.message if self.hills else self.hills_note)
        lines.append(self.acwr_note)
        return lines

    def as_json(self) -> dict[str, Any]:
        """The reviewed plan week, the decision, strength work and warnings (``review -f json`` and the API).

        Every ``*_km`` number is kilometres whatever the runner's unit (``"unit"`` names the one the
        sentences use); for a runner in miles the distances a runner reads are repeated under
        ``*_mi`` keys (next week, the reviewed week, the weeks to come), rounded to a tenth.
        """
        d, w, fmt = self.decision, self.decision.reviewed_week, self.distance
        out = {
            "unit": fmt.unit,
            "stored_unit": "km",
            "today": self.today.isoformat(),
            "plan_start": self.plan_start.isoformat(),
            "reviewed_week": None if w is None else {
                "number": w.number, "start": w.start.isoformat(), "end": w.end.isoformat(),
                "plan_week": w.prescribed.plan_week, "kind": w.prescribed.kind,
                "prescribed_km": w.prescribed.km, "prescribed_long_run_km": w.prescribed.long_run_km,
                "run_km": w.run_km, "longest_run_km": w.longest_run_km, "runs": w.runs, "done": w.done,
                "done_pct": w.done_pct, "max_pain": w.max_pain, "ill_days": w.ill_days, "race": w.race,
                "spike": w.spike, "action": w.action, "exercise_sessions": _adherence_json(w),
            },
            "decision": {
                "action": d.action, "reason": d.reason, "summary": d.reviewed_line(),
                "next_week": {
                    "number": d.next_week_number, "start": d.next_week_start.isoformat(),
                    "plan_week": d.next_week.plan_week, "kind": d.next_week.kind, "km": d.next_week.km,
                    "long_run_km": d.next_week.long_run_km, "note": d.next_week.note,
                },
                "highest_km": d.highest_km, "ramp_rule_allows_km": d.allowed_km, "ceiling_km": d.ceiling_km,
                "long_run_cap_km": d.long_run_cap_km, "limits": d.limits,
            },
            "strength": {
                "last_session": self.strength.last_session.isoformat() if self.strength.last_session else None,
                "days_since": self.strength.days_since, "lapsed": self.strength.lapsed,
                "lapse_days": self.strength.lapse_days, "message": self.strength.message,
            },
            "adherence_note": self.adherence_note, "low_adherence_share": LOW_ADHERENCE_SHARE,
            "warnings": [{"day": x.day.isoformat(), "kind": x.kind, "value": round(x.value, 2), "message": x.message}
                         for x in self.warnings],
            "acwr": None if self.acwr is None else {"ratio": self.acwr.ratio, "acute_km": round(self.acwr.acute_km, 2),
                                                     "chronic_km": round(self.acwr.chronic_km, 2),
                                                     "decision_input": False},
            "acwr_note": self.acwr_note,
            "pain_vs_load": self.threshold.message if self.threshold else self.threshold_note,
            "hills": self.hills.message if self.hills else self.hills_note,
            "weeks": [{"number": x.number, "start": x.start.isoformat(), "prescribed_km": x.prescribed.km,
                       "kind": x.prescribed.kind, "run_km": x.run_km, "done": x.done, "action": x.action,
                       "exercise_sessions": _adherence_json(x)}
                      for x in self.walked],
            "upcoming": [{"number": w.week, "km": w.km, "long_run_km": w.long_run_km, "lighter": w.cutback,
                          "note": w.note} for w in self.upcoming[:4]],
            "sources": self.sources,
        }
        if fmt.unit != "km":
            u = fmt.unit
            nw = out["decision"]["next_week"]
            nw[f"distance_{u}"], nw[f"long_run_{u}"] = fmt.value(nw["km"]), fmt.value(nw["long_run_km"])
            if out["reviewed_week"] is not None:
                rw = out["reviewed_week"]
                for k in ("prescribed_km", "prescribed_long_run_km", "run_km", "longest_run_km"):
                    rw[k[:-2] + u] = fmt.value(rw[k])
            for wk in out["weeks"]:
                wk[f"prescribed_{u}"], wk[f"run_{u}"] = fmt.value(wk["prescribed_km"]), fmt.value(wk["run_km"])
            for wk in out["upcoming"]:
                wk[f"distance_{u}"], wk[f"long_run_{u}"] = fmt.value(wk["km"]), fmt.value(wk["long_run_km"])
        return out


# --------------------------------------------------------------------------- pieces


def _adherence_json(w: WeekJudged) -> dict[str, Any] | None:
    a = w.adherence
    return None if a is None else {"prescribed": a.prescribed, "done": a.done, "percent": a.percent}


def adherence_note(walked: Sequence[WeekJudged]) -> str:
    """The exercise sessions of the week reviewed, as a count, not a grade; two weeks in a row under
    :data:`LOW_ADHERENCE_SHARE` are named with what to do about it (without changing the decision:
    a runner with calm pain is not held back for missing exercises)."""
    w = walked[-1] if walked else None
    if w is None or w.adherence is None or w.adherence.prescribed == 0:
        return ""
    a = w.adherence
    line = f"Exercises in the week reviewed: {a.done} of {a.prescribed} sessions done ({a.percent} %)."
    if len(walked) >= 2 and w.low_adherence and walked[-2].low_adherence:
        line += (" That is under half for two weeks running. The exercises are what keeps the knee calm as the "
                 "running builds (000_4e2dc1858106602e.txt: the pain came back when the gym work stopped); a "
                 "shorter routine done beats a full one skipped, so if the plan does not fit your week, ask your "
                 "clinician to trim it (argent2018).")
    return line


def _week_rows(weeks: Sequence[WeekLoad], pain: Sequence[PainObs], ill_weeks: Collection[date] = ()) -> list[WeekRow]:
    by_week: dict[date, list[PainObs]] = defaultdict(list)
    for p in pain:
        by_week[week_start(p.day)].append(p)
    rows = []
    for w in weeks:
        entries = by_week.get(w.week_start, [])
        run_scores = [p.score for p in entries if p.timing in RUN_TIMINGS]
        rows.append(
            WeekRow(
                load=w,
                mean_pain=round(mean(p.score for p in entries), 2) if entries else None,
                max_run_pain=max(run_scores) if run_scores else None,
                pain_entries=len(entries),
                ill=w.week_start in ill_weeks,
            )
        )
    return rows


def find_pain_threshold(
    weeks: Sequence[WeekRow], limit: int, *, min_weeks: int = 6, min_each_side: int = 2, min_contrast: float = 0.5,
    fmt: DistanceFormat = KM,
) -> tuple[PainThreshold | None, str]:
    """The smallest weekly distance that best separates painful weeks from comfortable ones.

    A week counts if it had running and at least one pain score during/after a
    run; it is *painful* when its highest such score is above ``limit`` (the
    plan's ``max_during_run``). Every split point between two observed weekly
    distances is tried; the one classifying most weeks correctly (painful
    above, comfortable below) wins, ties going to the smaller distance. A
    threshold is only claimed with ``min_weeks`` usable weeks, ``min_each_side``
    weeks on each side, and a painful-rate difference of at least
    ``min_contrast`` (0.5: e.g. 5 of 6 above vs 1 of 6 below); otherwise the
    returned note says why not.
    """
    usable = [(w.load.distance_km, w.max_run_pain) for w in weeks if w.load.runs > 0 and w.max_run_pain is not None]
    if len(usable) < min_weeks:
        return None, (
            f"Pain vs load: {len(usable)} week(s) with both running and pain scores; "
            f"at least {min_weeks} are needed before naming a distance where pain rises."
        )
    kms = sorted({km for km, _ in usable})
    best: tuple[int, float, int, int, int, int] | None = None
    for lo, hi in zip(kms, kms[1:]):
        cut = (lo + hi) / 2
        above = [p for km, p in usable if km > cut]
        below = [p for km, p in usable if km <= cut]
        if len(above) < min_each_side or len(below) < min_each_side:
            continue
        pa = sum(p > limit for p in above)
        pb = sum(p > limit for p in below)
        if pa / len(above) - pb / len(below) < min_contrast:
            continue
        correct = pa + (len(below) - pb)
        if best is None or correct > best[0]:
            best = (correct, cut, len(above), pa, len(below), pb)
    if best is None:
        return None, (
            f"Pain vs load: across {len(usable)} weeks, pain during runs above {limit}/10 did not "
            "follow weekly distance clearly enough to name a threshold."
        )
    _, cut, na, pa, nb, pb = best
    km = round(cut, 1)
    msg = (
        f"Pain vs load: in {pa} of {na} weeks above {fmt.km(km, 0)} your pain during runs exceeded {limit}/10; "
        f"in {pb} of {nb} weeks at or below it. Your knee seems to tolerate about {fmt.km(km, 0)} a week for now "
        f"(pattern described in {STRENGTH_SOURCE})."
    )
    return PainThreshold(km, na, pa, nb, pb, limit, msg), ""


def hills_vs_flat(
    runs: Sequence[Activity], pain: Sequence[PainObs], *, cut_gain_per_km: float = 10.0, min_runs: int = 3,
    fmt: DistanceFormat = KM,
) -> tuple[HillsFinding | None, str]:
    """Mean pain on hilly runs (gain per km above ``cut_gain_per_km``) against flat ones.

    Pain is matched to runs by day (entries timed during/after); days with
    several runs use the hilliest. 10 m/km (1 % average grade counting only
    the climbs) separates rolling from flat routes for most watch data.
    """
    by_day: dict[date, float] = {}
    for r in runs:
        if r.distance_km <= 0 or not is_running(r):
            continue
        d = activity_day(r)
        by_day[d] = max(by_day.get(d, 0.0), r.elevation_gain_m / r.distance_km)
    pain_day: dict[date, int] = {}
    for p in pain:
        if p.timing in RUN_TIMINGS and p.day in by_day:
            pain_day[p.day] = max(pain_day.get(p.day, 0), p.score)
    hilly = [s for d, s in pain_day.items() if by_day[d] > cut_gain_per_km]
    flat = [s for d, s in pain_day.items() if by_day[d] <= cut_gain_per_km]
    if len(hilly) < min_runs or len(flat) < min_runs:
        return None, (
            f"Hills vs flat: {len(hilly)} hilly and {len(flat)} flat run(s) with pain scores; "
            f"{min_runs} of each are needed to compare."
        )
    hm, fm = mean(hilly), mean(flat)
    if hm - fm >= 1.0:
        verdict = "hills look like a trigger; keep to flatter routes while the knee settles"
    elif fm - hm >= 1.0:
        verdict = "hills do not look like the trigger"
    else:
        verdict = "no clear difference"
    msg = (
        f"Hills vs flat: mean pain {hm:.1f}/10 on {len(hilly)} hilly runs (> {cut_gain_per_km * fmt.factor:.0f} m climb per {fmt.unit}) "
        f"vs {fm:.1f}/10 on {len(flat)} flatter runs: {verdict} ({HILLS_SOURCE})."
    )
    return HillsFinding(cut_gain_per_km, len(hilly), len(flat), round(hm, 2), round(fm, 2), msg), ""


def strength_exercise_ids(kb: Any, phases: Collection[str] | None = None) -> set[str]:
    """Ids of knowledge-base exercises that count as strength work.

    An exercise counts when its phase is a *loading* phase in ``phases.yaml``
    (``loading: true``: activate, strengthen, integrate, the tendon-loading
    stages) or when it has a progression ladder (every rung is the same
    exercise id); stretching and release work does not. ``phases`` overrides
    the knowledge base's choice (tests).
    """
    if phases is None:
        phases = {pid for pid, ph in getattr(kb, "phases", {}).items() if getattr(ph, "loading", False)}
    out: set[str] = set(getattr(kb, "ladders", {}) or {})
    for ex_id, ex in getattr(kb, "exercises", {}).items():
        got = getattr(ex, "phases", None) or [getattr(ex, "phase", None)]
        if any(str(getattr(p, "value", p)) in phases for p in got if p is not None):
            out.add(ex_id)
    return out & set(getattr(kb, "exercises", {}) or out)


def _mean_run_pain(pain: Iterable[PainObs], start: date, end: date) -> float | None:
    scores = [p.score for p in pain if p.timing in RUN_TIMINGS and start <= p.day <= end]
    return round(mean(scores), 1) if scores else None


def strength_lapse(
    exercise: Sequence[ExerciseObs],
    pain: Sequence[PainObs],
    today: date,
    strength_ids: Collection[str],
    lapse_days: int = STRENGTH_LAPSE_DAYS,
) -> StrengthLapse:
    """Days since the last strength session, flagged after ``lapse_days`` (default 10).

    Ten days is a little over a week: one missed week of 2-3 sessions is
    ordinary life, a second one is the pattern seed 000 warns about. The mean
    pain during runs in the two weeks before the last session and since it is
    shown next to the flag, so the runner can see whether it applies to them.
    """
    if lapse_days < 1:
        raise ValueError("lapse_days must be at least 1")
    days = [e.day for e in exercise if e.exercise_id in strength_ids and e.day <= today]
    if not days:
        return StrengthLapse(
            None, None, False, lapse_days, None, None,
            "Strength work: no strength sessions logged yet. Log them in the exercise diary so the "
            f"review can tell whether pain follows a lapse ({STRENGTH_SOURCE}).",
        )
    last = max(days)
    since = (today - last).days
    before = _mean_run_pain(pain, last - timedelta(days=13), last)
    after = _mean_run_pain(pain, last + timedelta(days=1), today)
    lapsed = since > lapse_days
    if lapsed:
        trend = ""
        if before is not None and after is not None:
            trend = f" Mean pain during runs was {before}/10 in the two weeks before it and {after}/10 since."
        msg = (
            f"Strength lapse: your last strength session was {since} days ago ({last:%d %b}).{trend} "
            f"Pain returning after gym work stops is a known pattern ({STRENGTH_SOURCE}); restart 2-3 "
            "sessions a week before adding distance."
        )
    else:
        msg = f"Strength work: last session {since} day(s) ago ({last:%d %b}); keep it going."
    return StrengthLapse(last, since, lapsed, lapse_days, before, after, msg)


# --------------------------------------------------------------------------- entry points


def review(
    runs: list[Activity],
    pain: list[PainObs],
    exercise: list[ExerciseObs],
    plan: Plan,
    today: date,
    *,
    strength_exercise_ids: Collection[str],
    flags: Sequence[DayFlag] = (),
    plan_start: date | None = None,
    lapse_days: int = STRENGTH_LAPSE_DAYS,
    history_weeks: int = 16,
    unit: str | DistanceFormat = "km",
) -> Review:
    """Review ``plan`` as a walk through its completed weeks up to ``today`` (see :mod:`.weekly_walk`).

    ``plan_start`` is the Monday of plan week 1 when the plan does not carry
    ``start_date`` (the store passes the Monday after the plan was saved);
    without either, the Monday of the first run is used. Entries after
    ``today`` are ignored (a review dated in the past sees only what was known
    then). Findings (pain vs load, hills, strength, warnings, ACWR) are taken
    as of the end of the last completed week, so the review reads the same on
    any day of the week that follows. ``unit`` (km or mi) words every sentence; it never changes
    what is decided, and every number in the result stays in kilometres.
    """
    fmt = distance_format(unit)
    runs = sorted((r for r in runs if activity_day(r) <= today), key=lambda r: (r.start, r.distance_m))
    pain = sorted((p for p in pain if p.day <= today), key=lambda p: (p.day, p.timing, p.score))
    exercise = sorted((e for e in exercise if e.day <= today), key=lambda e: (e.day, e.exercise_id))
    flags = sorted((f for f in flags if f.day <= today), key=lambda f: (f.day, f.kind))
    start = plan.start_date or plan_start
    if start is None:
        start = week_start(min((activity_day(r) for r in runs), default=today))
    start = week_start(start) if week_start(start) != start else start
    result = walk(plan, start, runs, pain, exercise, flags, today, strength_ids=strength_exercise_ids,
                  prescription=plan_prescription(plan), fmt=fmt)
    as_of = result.next_week_start - timedelta(days=1) if result.weeks else today

    first = week_start(as_of) - timedelta(weeks=history_weeks - 1)
    seen_runs = [r for r in runs if first <= activity_day(r) <= as_of]
    seen_pain = [p for p in pain if first <= p.day <= as_of]
    weeks = weekly_load(seen_runs, start=first, end=as_of)
    # Drop leading empty weeks: "0 km, no pain" before the runner started is not evidence.
    while weeks and weeks[0].runs == 0:
        weeks.pop(0)
    ill_weeks = {week_start(f.day) for f in flags if f.kind == "ill"}
    rows = _week_rows(weeks, seen_pain, ill_weeks)

    # ACWR is shown, never used to decide (impellizzeri2020/2021, lolli2019, frandsen2025).
    daily = daily_history_km([r for r in runs if activity_day(r) <= as_of], as_of, lookback_days=27 + 27)
    points = acwr_rolling(daily)
    acwr = points[-1] if points else None
    plot_points = [p for p in points if p.day >= (weeks[0].week_start if weeks else as_of)]

    threshold, threshold_note = find_pain_threshold([w for w in rows if not w.ill], plan.pain_rule.max_during_run,
                                                   fmt=fmt)
    hills, hills_note = hills_vs_flat(seen_runs, seen_pain, fmt=fmt)
    strength = strength_lapse(exercise, pain, as_of, strength_exercise_ids, lapse_days)
    # Only recent warnings: a spike three months ago is history, not advice for next week.
    warnings = [w for w in load_warnings([r for r in runs if activity_day(r) <= as_of], until=as_of, fmt=fmt)
                if w.day >= as_of - timedelta(days=WARNING_DAYS)]
    d = result
    decision = Decision(
        action=d.action,
        reason=d.reason,
        next_week=d.next_week,
        next_week_start=d.next_week_start,
        next_week_number=d.next_week_number,
        reviewed_week=d.reviewed,
        highest_km=d.highest_km,
        allowed_km=d.allowed_km,
        ceiling_km=d.ceiling_km,
        long_run_cap_km=d.long_run_cap_km,
        limits=d.limits,
        distance=fmt,
    )
    sources = sorted({STRENGTH_SOURCE, LISTEN_SOURCE, *REVIEW_SOURCES, *plan.pain_rule.sources,
                      *plan.ramp_rule.sources} | ({HILLS_SOURCE} if hills else set()))
    return Review(
        today=today,
        as_of=as_of,
        plan_start=start,
        weeks=rows,
        walked=d.weeks,
        threshold=threshold,
        threshold_note=threshold_note,
        hills=hills,
        hills_note=hills_note,
        strength=strength,
        warnings=warnings,
        acwr=acwr,
        acwr_note=acwr_note(acwr, fmt),
        acwr_points=plot_points,
        decision=decision,
        upcoming=d.upcoming,
        sources=sources,
        distance=fmt,
        adherence_note=adherence_note(d.weeks),
    )


def acwr_note(point: AcwrPoint | None, fmt: DistanceFormat = KM) -> str:
    """The acute:chronic ratio in words, with why it does not decide anything."""
    if point is None or point.ratio is None:
        return "ACWR: needs four weeks of history. It is shown for information only and never decides next week."
    return (
        f"ACWR {point.ratio:.2f} (last 7 days {fmt.km(point.acute_km, 1)} vs {fmt.num(point.chronic_km, 1)} "
        f"{fmt.per_week} over 4 weeks). "
        "Shown as a description of recent change only: the ratio is coupled to the week it divides "
        "(lolli2019), its link to injury is disputed (impellizzeri2020, impellizzeri2021) and a large "
        "watch-data cohort found no higher injury rate with a higher ratio (frandsen2025), so it never cuts "
        "your distance."
    )


def apply_review(plan: Plan, review: Review) -> Plan:
    """The next plan version: what the review decided, stored for the plan page, calendar and PDF.

    ``mileage_ramp`` becomes next week and the way on from it (numbered as plan
    weeks); ``base_ramp`` and ``start_date`` are kept, so the next review walks
    the same plan and reaches the same decision whether or not this one was saved.
    """
    d = review.decision
    note = f"{review.today:%Y-%m-%d} review: {d.action.replace('_', ' ')}. {d.reason}"
    extra = [m for m in (review.threshold.message if review.threshold else None,
                         review.strength.message if review.strength.lapsed else None) if m]
    ramp = list(review.upcoming) or [RampWeek(week=d.next_week_number, km=d.next_week.km,
                                              long_run_km=d.next_week.long_run_km)]
    return plan.model_copy(
        update={
            "version": plan.version + 1,
            "base_ramp": plan.base_ramp or plan.mileage_ramp,
            "start_date": review.plan_start,
            "mileage_ramp": ramp,
            "start_km": ramp[0].km,
            "notes": [*plan.notes, note, *extra],
            # Issue 15: a plan's running hold lasts while next week plans no running; once the review
            # restarts running (the pain rule is met again), the hold is lifted with it.
            "running_hold": plan.running_hold if ramp[0].km == 0 else None,
        }
    )
