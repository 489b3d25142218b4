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
* **Decision** — the plan's own pain rule (copied into every plan) decides
  progress / hold / step back; progression is then capped by the plan's ramp
  rule and by the acute:chronic workload ratio.

See ``docs/tracking-review.md`` for the thresholds and their rationale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any, Literal

from kneecoach.plan.models import Plan, RampWeek
from kneecoach.plan.ramp import build_ramp, floor_tenth
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import ExerciseObs, PainObs
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

__all__ = [
    "ACWR_PROGRESS_MAX",
    "Decision",
    "HillsFinding",
    "PainThreshold",
    "Review",
    "StrengthLapse",
    "WeekRow",
    "apply_review",
    "find_pain_threshold",
    "hills_vs_flat",
    "review",
    "strength_exercise_ids",
    "strength_lapse",
]

STRENGTH_SOURCE = "000_4e2dc1858106602e.txt"
HILLS_SOURCE = "002_f27728aa77bad5ec.txt"
LISTEN_SOURCE = "001_9eaeebca36d4881b.txt"

#: Timings that describe pain while running (compared with ``max_during_run``).
RUN_TIMINGS = frozenset({"during", "after"})
#: Timings that describe how the knee settled (compared with ``max_next_morning``).
SETTLE_TIMINGS = frozenset({"next_morning", "daily"})

#: Above this acute:chronic ratio the review does not add distance: the
#: 0.8-1.3 band is where load matches what the body is used to.
ACWR_PROGRESS_MAX = 1.3

#: Load warnings older than this many days are left out of a review.
WARNING_DAYS = 28

Action = Literal["progress", "hold", "step_back", "pause_running"]


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class WeekRow:
    """One week's load with that week's pain: mean of every entry, max while running."""

    load: WeekLoad
    mean_pain: float | None
    max_run_pain: int | None
    pain_entries: int


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
    action: Action
    reason: str
    last_7_days_km: float
    baseline_km: float
    next_week_km: float
    restart: bool = False


@dataclass(frozen=True)
class Review:
    today: date
    weeks: list[WeekRow]
    threshold: PainThreshold | None
    threshold_note: str
    hills: HillsFinding | None
    hills_note: str
    strength: StrengthLapse
    warnings: list[LoadWarning]
    acwr: AcwrPoint | None
    acwr_points: list[AcwrPoint]
    decision: Decision
    sources: list[str] = field(default_factory=list)

    def pain_by_week(self) -> dict[date, float | None]:
        """Week start -> mean pain (what :func:`kneecoach.tracking.plots.plot_load` draws)."""
        return {w.load.week_start: w.mean_pain for w in self.weeks}

    def summary_lines(self) -> list[str]:
        """The review in plain sentences, most important first (CLI, web, reports)."""
        d = self.decision
        lines = [f"Decision: {d.action.replace('_', ' ')} — next week about {d.next_week_km:.1f} km. {d.reason}"]
        lines.append(self.threshold.message if self.threshold else self.threshold_note)
        lines.append(self.strength.message)
        lines.append(self.hills.message if self.hills else self.hills_note)
        lines.extend(w.message for w in self.warnings)
        return lines


# --------------------------------------------------------------------------- pieces


def _week_rows(weeks: Sequence[WeekLoad], pain: Sequence[PainObs]) -> list[WeekRow]:
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
            )
        )
    return rows


def find_pain_threshold(
    weeks: Sequence[WeekRow], limit: int, *, min_weeks: int = 6, min_each_side: int = 2, min_contrast: float = 0.5
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
        f"Pain vs load: in {pa} of {na} weeks above {km:.0f} km your pain during runs exceeded {limit}/10; "
        f"in {pb} of {nb} weeks at or below it. Your knee seems to tolerate about {km:.0f} km a week for now "
        f"(pattern described in {STRENGTH_SOURCE})."
    )
    return PainThreshold(km, na, pa, nb, pb, limit, msg), ""


def hills_vs_flat(
    runs: Sequence[Activity], pain: Sequence[PainObs], *, cut_gain_per_km: float = 10.0, min_runs: int = 3
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
        f"Hills vs flat: mean pain {hm:.1f}/10 on {len(hilly)} hilly runs (> {cut_gain_per_km:.0f} m climb per km) "
        f"vs {fm:.1f}/10 on {len(flat)} flatter runs: {verdict} ({HILLS_SOURCE})."
    )
    return HillsFinding(cut_gain_per_km, len(hilly), len(flat), round(hm, 2), round(fm, 2), msg), ""


def strength_exercise_ids(kb: Any, phases: Collection[str] = ("activate", "integrate")) -> set[str]:
    """Ids of knowledge-base exercises that count as strength work (by phase).

    ``kb.exercises`` maps id -> exercise; an exercise's phase may be ``phase``
    (one) or ``phases`` (several). Stretching and release work does not count.
    """
    out: set[str] = set()
    for ex_id, ex in getattr(kb, "exercises", {}).items():
        got = getattr(ex, "phases", None) or [getattr(ex, "phase", None)]
        if any(str(getattr(p, "value", p)) in phases for p in got if p is not None):
            out.add(ex_id)
    return out


def _mean_run_pain(pain: Iterable[PainObs], start: date, end: date) -> float | None:
    scores = [p.score for p in pain if p.timing in RUN_TIMINGS and start <= p.day <= end]
    return round(mean(scores), 1) if scores else None


def strength_lapse(
    exercise: Sequence[ExerciseObs],
    pain: Sequence[PainObs],
    today: date,
    strength_ids: Collection[str],
    lapse_days: int = 10,
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


def _unsettled_run(recent: Sequence[PainObs], limit: int) -> int:
    """The longest run of consecutive days whose next-morning (or daily) pain stayed above ``limit``."""
    days = sorted({p.day for p in recent if p.timing in SETTLE_TIMINGS and p.score > limit})
    best = streak = 0
    for i, d in enumerate(days):
        streak = streak + 1 if i and (d - days[i - 1]).days == 1 else 1
        best = max(best, streak)
    return best


def _pause_reason(plan: Plan, recent: Sequence[PainObs]) -> str:
    """Why running pauses (empty when it does not): return-to-run criteria not met, or severe pain.

    Severe pain follows the pain-monitoring model's ceiling: 7/10 or more during a run, or
    next-morning pain that has not settled several days in a row, pauses running altogether
    instead of halving it; cross-training and the exercises go on.
    """
    rule = plan.pain_rule
    if plan.pathway is not None and plan.pathway.running_on_hold:
        waiting = "; ".join(c.label for c in plan.pathway.criteria if c.status != "met")
        return (
            "Running stays paused until the return-to-run criteria are met (still open: "
            f"{waiting}). Re-test them (kneecoach recheck); keep the exercises going."
        )
    severe = [p.score for p in recent if p.timing in RUN_TIMINGS and p.score >= rule.pause_running_at]
    streak = _unsettled_run(recent, rule.max_next_morning)
    if not severe and streak < rule.pause_after_unsettled_mornings:
        return ""
    why = (
        f"pain reached {max(severe)}/10 during or after a run (pause level {rule.pause_running_at}/10)"
        if severe
        else f"next-morning pain stayed above {rule.max_next_morning}/10 for {streak} days in a row"
    )
    return (
        f"Pause running: {why}. Cycle, swim or walk instead and keep doing the exercises within the pain "
        "rule; restart with short easy runs once daily activities are calm (pain-monitoring model: "
        f"{', '.join(s for s in rule.sources if s in ('thomee1997', 'silbernagel2007')) or 'rules.yaml'})."
    )


def _decide(
    plan: Plan,
    pain: Sequence[PainObs],
    today: date,
    daily: Mapping[date, float],
    acwr: AcwrPoint | None,
    strength: StrengthLapse,
    threshold: PainThreshold | None,
) -> Decision:
    rule, ramp = plan.pain_rule, plan.ramp_rule
    window_start = today - timedelta(days=6)
    recent = [p for p in pain if window_start <= p.day <= today]
    # Rounded to 10 m: GPS distances a few centimetres short of 50 km should read as 50 km.
    last7 = round(sum(km for d, km in daily.items() if window_start <= d <= today), 2)
    # Baseline: the highest of the last four 7-day blocks. The ramp rule grows
    # from the highest week so far; "so far" is recent, because fitness built
    # months ago does not protect a knee today.
    blocks = [
        sum(km for d, km in daily.items() if today - timedelta(days=7 * (i + 1) - 1) <= d <= today - timedelta(days=7 * i))
        for i in range(4)
    ]
    baseline = round(max(blocks), 2)
    restart = baseline <= 0

    worst = max((p.score for p in recent), default=None)
    run_over = [p for p in recent if p.timing in RUN_TIMINGS and p.score > rule.max_during_run]
    settle_over = [p for p in recent if p.timing in SETTLE_TIMINGS and p.score > rule.max_next_morning]
    pause_reason = _pause_reason(plan, recent)
    if pause_reason:
        return Decision("pause_running", pause_reason, last7, baseline, 0.0)

    # A week without running (because it hurt) is not the reference to scale from.
    ref = last7 if last7 > 0 else baseline
    if worst is not None and worst >= rule.step_back_at:
        action: Action = "step_back"
        target = ref * ramp.calm_load_factor
        reason = (
            f"A pain score of {worst}/10 in the last 7 days reached the plan's step-back level "
            f"({rule.step_back_at}/10): ease off to about {ramp.calm_load_factor:.0%} of recent distance "
            f"until it settles ({LISTEN_SOURCE})."
        )
    elif run_over or settle_over:
        action = "hold"
        target = ref
        parts = []
        if run_over:
            parts.append(
                f"pain during/after runs reached {max(p.score for p in run_over)}/10 "
                f"(limit {rule.max_during_run})"
            )
        if settle_over:
            parts.append(
                f"next-morning pain reached {max(p.score for p in settle_over)}/10 (limit {rule.max_next_morning})"
            )
        reason = "Hold this week's distance: " + " and ".join(parts) + "."
        if threshold is not None and ref > threshold.km:
            # Holding at a distance already shown to hurt keeps it hurting.
            action = "step_back"
            target = max(threshold.km, ref * ramp.calm_load_factor)
            reason = (
                "Step back: " + " and ".join(parts) + f", and you are above the {threshold.km:.0f} km a week "
                "where your pain has risen before; come back down to it."
            )
    elif restart:
        restart_km = floor_tenth(min(ramp.restart_km, plan.target_km))
        return Decision(
            "progress", f"No running in the last four weeks: restart at {restart_km:g} km a week.",
            last7, baseline, restart_km, restart=True,
        )
    else:
        action = "progress"
        allowed = ramp.allowed_next(baseline)
        nxt = next((w.km for w in plan.mileage_ramp if w.km > last7 and not w.cutback), plan.target_km)
        target = min(max(nxt, last7), allowed, max(plan.target_km, baseline))
        why = [f"pain stayed within the plan's limits; the ramp rule allows up to {allowed:.1f} km"]
        if acwr is not None and acwr.ratio is not None and acwr.chronic_km > 0:
            cap = ACWR_PROGRESS_MAX * acwr.chronic_km
            if target > cap:
                target = cap
                why.append(f"kept at {ACWR_PROGRESS_MAX}x your 4-week average ({acwr.chronic_km:.1f} km) to stay in the 0.8-1.3 ACWR band")
        if strength.lapsed:
            action = "hold"
            target = ref
            why = [f"strength work has lapsed for {strength.days_since} days; restart it before adding distance ({STRENGTH_SOURCE})"]
        if threshold is not None and target > threshold.km and action == "progress":
            why.append(f"this passes {threshold.km:.0f} km, where your pain rose before: watch the next-morning score")
        if target <= last7 and action == "progress":
            action = "hold"
        reason = ("Progress: " if action == "progress" else "Hold: ") + "; ".join(why) + "."
    if strength.lapsed and action != "progress" and "strength" not in reason:
        reason += f" Your strength work has also lapsed ({strength.days_since} days): restart it ({STRENGTH_SOURCE})."
    # Never above what the ramp rule allows from the recent baseline, nor above the plan's target.
    target = min(target, ramp.allowed_next(baseline), plan.target_km)
    return Decision(action, reason, last7, baseline, floor_tenth(max(target, 0.0)))


# --------------------------------------------------------------------------- entry points


def review(
    runs: list[Activity],
    pain: list[PainObs],
    exercise: list[ExerciseObs],
    plan: Plan,
    today: date,
    *,
    strength_exercise_ids: set[str],
    lapse_days: int = 10,
    history_weeks: int = 16,
) -> Review:
    """Review the last ``history_weeks`` weeks up to ``today`` against ``plan``.

    Entries after ``today`` are ignored (a review dated in the past sees only
    what was known then).
    """
    first = week_start(today) - timedelta(weeks=history_weeks - 1)
    # Sorted, so the same history in any order gives the same floating-point sums.
    runs = sorted((r for r in runs if first <= activity_day(r) <= today), key=lambda r: (r.start, r.distance_m))
    pain = sorted((p for p in pain if first <= p.day <= today), key=lambda p: (p.day, p.timing, p.score))
    exercise = sorted((e for e in exercise if e.day <= today), key=lambda e: (e.day, e.exercise_id))

    weeks = weekly_load(runs, start=first, end=today)
    # Drop leading empty weeks: "0 km, no pain" before the runner started is not evidence.
    while weeks and weeks[0].runs == 0:
        weeks.pop(0)
    rows = _week_rows(weeks, pain)

    # The ACWR series starts at the first recorded run (at most 8 weeks back): days
    # before it are unknown, not rest, and load.py withholds the ratio until four
    # weeks of real history exist.
    daily = daily_history_km(runs, today, lookback_days=27 + 27)
    points = acwr_rolling(daily)
    acwr = points[-1] if points else None
    plot_points = [p for p in points if p.day >= (weeks[0].week_start if weeks else today)]

    threshold, threshold_note = find_pain_threshold(rows, plan.pain_rule.max_during_run)
    hills, hills_note = hills_vs_flat(runs, pain)
    strength = strength_lapse(exercise, pain, today, strength_exercise_ids, lapse_days)
    # Only recent warnings: a spike three months ago is history, not advice for next week.
    warnings = [w for w in load_warnings(runs, until=today) if w.day >= today - timedelta(days=WARNING_DAYS)]
    decision = _decide(plan, pain, today, daily, acwr, strength, threshold)
    sources = sorted({STRENGTH_SOURCE, LISTEN_SOURCE, *plan.pain_rule.sources, *plan.ramp_rule.sources}
                     | ({HILLS_SOURCE} if hills else set()))
    return Review(
        today=today,
        weeks=rows,
        threshold=threshold,
        threshold_note=threshold_note,
        hills=hills,
        hills_note=hills_note,
        strength=strength,
        warnings=warnings,
        acwr=acwr,
        acwr_points=plot_points,
        decision=decision,
        sources=sources,
    )


def apply_review(plan: Plan, review: Review) -> Plan:
    """The next plan version: a ramp restarting from the review's next-week distance.

    Pain rule, ramp rule, phases and exercises are kept; the mileage ramp is
    rebuilt with :func:`build_ramp` from ``review.decision.next_week_km`` and
    a note records why. The first week never exceeds what the ramp rule
    allows from the recent baseline, and no later week exceeds what it allows
    from the highest week before it.
    """
    d = review.decision
    plateau = review.threshold.km if review.threshold and d.action != "progress" else None
    if d.action == "pause_running":
        # A pause week at 0 km, then a restart no higher than restart_km nor than the rule allows
        # from the recent baseline (a runner who was doing 1 km a week does not restart at 8).
        rule = plan.ramp_rule
        paused = RampWeek(week=1, km=0.0, long_run_km=0.0, note="running paused: cross-train and keep the exercises going")
        if plan.pathway is not None and plan.pathway.running_on_hold:
            ramp = [paused]  # criteria still open: no ramp until they are met
        else:
            cap = rule.allowed_next(d.baseline_km) if d.baseline_km > 0 else rule.restart_km
            first = floor_tenth(min(rule.restart_km, cap, plan.target_km))
            rest = build_ramp(first, plan.target_km, rule, max_weeks=51) if first > 0 else []
            ramp = [paused, *[w.model_copy(update={"week": w.week + 1}) for w in rest]]
    else:
        ramp = build_ramp(
            d.next_week_km, plan.target_km, plan.ramp_rule, plateau_km=plateau, baseline_km=d.baseline_km, max_weeks=52
        )
    if d.action == "hold":
        # Hold means hold: repeat next week's distance once before climbing again.
        ramp = [ramp[0], *[w.model_copy(update={"week": w.week + 1}) for w in ramp]]
        ramp[0] = ramp[0].model_copy(update={"note": "hold"})
    elif d.action == "step_back":
        ramp[0] = ramp[0].model_copy(update={"note": "step back"})
    note = f"{review.today:%Y-%m-%d} review: {d.action.replace('_', ' ')}. {d.reason}"
    extra = [m for m in (review.threshold.message if review.threshold else None,
                         review.strength.message if review.strength.lapsed else None) if m]
    return plan.model_copy(
        update={
            "version": plan.version + 1,
            "mileage_ramp": ramp,
            "start_km": ramp[0].km,
            "notes": [*plan.notes, note, *extra],
            # Issue 15: a plan's running hold lasts while next week plans no running; once the review
            # restarts running (the pain rule is met again), the hold is lifted with it.
            "running_hold": plan.running_hold if ramp[0].km == 0 else None,
        }
    )
