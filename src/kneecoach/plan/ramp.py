"""The weekly mileage ramp back to the runner's target.

The rules (from rules.yaml) are simple enough to check by hand, and the ramp obeys
every one it states:

* no week exceeds the highest week so far by more than ``max_increase_pct``
  (the percentage alone: ``min_step_km`` is 0 in the packaged rules, so a small
  base is never pushed up by a fixed km step that breaks the percentage);
* every ``cutback_every_weeks``-th week is lighter, and the week after it returns
  to the previous high rather than setting a new one; nothing goes above the target;
* no planned run is more than ``long_run_spike_pct`` longer than the longest run of
  the previous 30 days (the single-run spike that :func:`kneecoach.tracking.load.load_warnings`
  warns about, frandsen2025). Planned weeks are four weeks apart at most from the
  runs they are compared with, so the four weeks before always lie in that window;
  week 1's long run starts from the runner's ``longest_recent_run_km`` when given.
  The other runs of a week are never longer than its long run, so a week holds at most
  ``runs_per_week`` x its long run: when the long run may not grow, the week waits;
* weeks under ``walk_run_below_km`` are walk-run weeks, progressed by a stated
  walk-run schedule (``walk_run_steps``), so a very low volume moves on in minutes of
  running rather than a kilometre step.

:func:`check_ramp` states the rules as code so tests (and a suspicious clinician) can
verify any ramp.
"""

from __future__ import annotations

import math

from kneecoach.intake.units import KM, DistanceFormat
from kneecoach.knowledge.load_rules import RampRule
from kneecoach.plan.models import RampWeek

MAX_WEEKS = 104  # two years: beyond that a plan should be re-made, not extended
SPIKE_WINDOW_WEEKS = 4  # planned weeks whose long runs are always within the 30-day spike window
DEFAULT_RUNS_PER_WEEK = 3  # for a runner not running now (the restart is planned as three sessions)


class RampError(ValueError):
    pass


def floor_tenth(x: float) -> float:
    """Round down to 0.1 km so rounding can never push a week over the rule."""
    return math.floor(x * 10 + 1e-9) / 10


def ceil_tenth(x: float) -> float:
    return math.ceil(x * 10 - 1e-9) / 10


def spike_cap(longest_before_km: float, spike_pct: float) -> float:
    """The longest run allowed after a longest run of ``longest_before_km`` (0.1 km steps, never over the rule).

    Rounded down and then checked with the same arithmetic the load warning uses, so a
    floating-point hair can never make a planned run read as a spike.
    """
    cap = floor_tenth(longest_before_km * (1 + spike_pct / 100.0))
    while cap > longest_before_km and (cap - longest_before_km) / longest_before_km * 100.0 > spike_pct:
        cap = round(cap - 0.1, 1)
    return max(cap, 0.0)


def start_km(current_km: float, pain_during_run: int, max_during_run: int, rule: RampRule) -> float:
    """Where the ramp begins: current distance, cut by ``calm_load_factor`` if running hurts above the pain rule.

    Pain at or above the pause level is not handled here: the plan then holds running at 0 km
    (see :func:`kneecoach.plan.build.build_plan`), exactly as the weekly review would.
    """
    if current_km < 0:
        raise RampError(f"current weekly distance cannot be negative (got {current_km})")
    if current_km == 0 or current_km * rule.max_increase_pct / 100.0 < 0.1:
        # Not running, or so little that it cannot grow within the rule in 0.1 km steps: a restart.
        return rule.restart_km
    if pain_during_run > max_during_run:
        return max(floor_tenth(current_km * rule.calm_load_factor), min(rule.restart_km, current_km))
    return current_km


def _week(
    n: int,
    km: float,
    rule: RampRule,
    runs: int,
    longest_before: float,
    walk_run_index: int | None,
    *,
    cutback: bool = False,
    note: str = "",
    fmt: DistanceFormat = KM,
) -> RampWeek:
    """One week whose long run respects the spike cap; ``km`` is lowered when the cap requires it."""
    if km <= 0:
        return RampWeek(week=n, km=0.0, long_run_km=0.0, cutback=cutback, note=note)
    wanted = max(floor_tenth(km * rule.long_run_share), ceil_tenth(km / runs))
    long_run = min(wanted, km)
    if longest_before > 0 and long_run >= rule.long_run_spike_min_km:
        # Runs shorter than long_run_spike_min_km are not judged as spikes (as in the load warnings).
        cap = spike_cap(longest_before, rule.long_run_spike_pct)
        if long_run > cap:
            long_run = cap
            if long_run * runs < km - 1e-9:
                km = floor_tenth(long_run * runs)
                extra = (
                    f"held to {fmt.km(km)}: with {runs} run{'s' if runs > 1 else ''} a week, no run may be more "
                    f"than {rule.long_run_spike_pct:g}% longer than the longest of the last 30 days "
                    f"({fmt.km(longest_before)})"
                )
                note = f"{note}; {extra}" if note else extra
    walk_run = ""
    if walk_run_index is not None and rule.walk_run_steps:
        walk_run = rule.walk_run_steps[min(walk_run_index, len(rule.walk_run_steps) - 1)]
    return RampWeek(week=n, km=km, long_run_km=min(long_run, km), cutback=cutback, note=note, walk_run=walk_run)


def build_ramp(
    start: float,
    target: float,
    rule: RampRule,
    *,
    plateau_km: float | None = None,
    plateau_weeks: int = 2,
    baseline_km: float = 0.0,
    max_weeks: int = MAX_WEEKS,
    runs_per_week: int = DEFAULT_RUNS_PER_WEEK,
    longest_recent_km: float = 0.0,
    fmt: DistanceFormat = KM,
) -> list[RampWeek]:
    """Weeks from ``start`` up to ``target`` km (a single week if already there).

    ``plateau_km`` (a distance where pain rose before) is held for
    ``plateau_weeks`` before the ramp goes past it. A ramp that starts at 0 km
    (a rest week) grows from ``baseline_km``, the recent highest week, when
    there is one, else from ``rule.restart_km``. ``longest_recent_km`` (the
    longest run of the last 30 days) caps week 1's long run. A ramp that would
    need more than ``max_weeks`` stops there, and its last week says to re-plan. ``fmt`` words the weeks'
    notes (km by default); the distances themselves are always km.
    """
    if start < 0 or target <= 0:
        raise RampError(f"start must be >= 0 and target > 0 (got start={start}, target={target})")
    runs = runs_per_week if runs_per_week > 0 else DEFAULT_RUNS_PER_WEEK
    long_runs: list[float] = []
    walk_runs = 0

    def longest_before() -> float:
        recent = long_runs[-SPIKE_WINDOW_WEEKS:]
        return max(recent) if recent else longest_recent_km

    def walk_run_index(km: float) -> int | None:
        nonlocal walk_runs
        if 0 < km < rule.walk_run_below_km:
            walk_runs += 1
            return walk_runs - 1
        return None

    def add(n: int, km: float, *, cutback: bool = False, note: str = "") -> RampWeek:
        """Append week ``n``; a lighter week repeats the walk-run step before it rather than moving on."""
        if cutback:
            index = max(walk_runs - 1, 0) if 0 < km < rule.walk_run_below_km else None
        else:
            index = walk_run_index(km)
        w = _week(n, km, rule, runs, longest_before(), index, cutback=cutback, note=note, fmt=fmt)
        long_runs.append(w.long_run_km)
        weeks.append(w)
        return w

    weeks: list[RampWeek] = []
    first = floor_tenth(min(start, target))
    add(1, first, note="starting week")
    highest = weeks[0].km if weeks[0].km > 0 else max(0.0, baseline_km)
    held = 0
    n = 1
    while weeks[-1].km < target:
        n += 1
        if n > max_weeks:
            weeks[-1] = weeks[-1].model_copy(update={"note": f"target not reached in {max_weeks} weeks: review and re-plan"})
            break
        if n % rule.cutback_every_weeks == 0 and highest > 0:
            add(n, floor_tenth(highest * (1 - rule.cutback_pct / 100.0)), cutback=True, note="lighter week")
            continue
        if weeks[-1].cutback:
            km = highest  # back to the level before the lighter week, not a new high straight away
        else:
            km = min(target, floor_tenth(rule.allowed_next(highest)))
        note = ""
        if plateau_km is not None and held < plateau_weeks and highest <= plateau_km < km:
            km, held, note = floor_tenth(plateau_km), held + 1, "holding where pain rose before"
        w = add(n, km, note=note)
        highest = max(highest, w.km)
        if w.km >= target:
            weeks[-1] = w.model_copy(update={"note": "target reached"})
    return weeks


def check_ramp(
    weeks: list[RampWeek], rule: RampRule, target: float, *, longest_recent_km: float = 0.0, runs_per_week: int = 0
) -> list[str]:
    """Every way ``weeks`` breaks the ramp rule or the single-run spike rule (empty list = sound)."""
    problems = []
    highest = None
    previous = None
    runs = runs_per_week if runs_per_week > 0 else DEFAULT_RUNS_PER_WEEK
    for i, w in enumerate(weeks):
        if previous is not None and previous.cutback and highest is not None and w.km > highest + 1e-9:
            problems.append(f"week {w.week}: sets a new high straight after a lighter week")
        if w.km > target + 1e-9 and w.week > 1:
            problems.append(f"week {w.week}: {w.km} km is above the target {target} km")
        if highest is not None and w.km > rule.allowed_next(highest) + 1e-9:
            problems.append(f"week {w.week}: {w.km} km jumps more than the rule allows from {highest} km")
        if w.long_run_km > w.km + 1e-9:
            problems.append(f"week {w.week}: long run longer than the week")
        if w.km > 0 and w.long_run_km * runs < w.km - 1e-9:
            problems.append(f"week {w.week}: {runs} runs of at most {w.long_run_km} km cannot make {w.km} km")
        before = [x.long_run_km for x in weeks[max(0, i - SPIKE_WINDOW_WEEKS): i]] or [longest_recent_km]
        longest = max(before)
        judged = w.long_run_km >= rule.long_run_spike_min_km
        if judged and longest > 0 and (w.long_run_km - longest) / longest * 100.0 > rule.long_run_spike_pct:
            problems.append(
                f"week {w.week}: long run {w.long_run_km} km is more than {rule.long_run_spike_pct:g}% over {longest} km"
            )
        highest = w.km if highest is None else max(highest, w.km)
        previous = w
    return problems
