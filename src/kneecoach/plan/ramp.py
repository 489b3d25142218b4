"""The weekly mileage ramp back to the runner's target.

The rule (from rules.yaml) is simple enough to check by hand: no week may
exceed the highest week so far by more than ``max_increase_pct`` or
``min_step_km``, whichever is larger; every ``cutback_every_weeks``-th week is
lighter, and the week after it returns to the previous high rather than
setting a new one; nothing goes above the target. :func:`check_ramp` states the rule as
code so tests (and a suspicious clinician) can verify any ramp.
"""

from __future__ import annotations

import math

from kneecoach.knowledge.load_rules import RampRule
from kneecoach.plan.models import RampWeek

MAX_WEEKS = 104  # two years: beyond that a plan should be re-made, not extended


class RampError(ValueError):
    pass


def floor_tenth(x: float) -> float:
    """Round down to 0.1 km so rounding can never push a week over the rule."""
    return math.floor(x * 10 + 1e-9) / 10


def start_km(current_km: float, pain_during_run: int, max_during_run: int, rule: RampRule) -> float:
    """Where the ramp begins: current distance, cut by ``calm_load_factor`` if running hurts above the pain rule."""
    if current_km < 0:
        raise RampError(f"current weekly distance cannot be negative (got {current_km})")
    if current_km == 0:
        return rule.restart_km
    if pain_during_run > max_during_run:
        return max(floor_tenth(current_km * rule.calm_load_factor), min(rule.restart_km, current_km))
    return current_km


def build_ramp(
    start: float,
    target: float,
    rule: RampRule,
    *,
    plateau_km: float | None = None,
    plateau_weeks: int = 2,
    baseline_km: float = 0.0,
    max_weeks: int = MAX_WEEKS,
) -> list[RampWeek]:
    """Weeks from ``start`` up to ``target`` km (a single week if already there).

    ``plateau_km`` (a distance where pain rose before) is held for
    ``plateau_weeks`` before the ramp goes past it. A ramp that starts at 0 km
    (a rest week) grows from ``baseline_km``, the recent highest week, when
    there is one, else from ``rule.restart_km``. A ramp that would need more
    than ``max_weeks`` stops there, and its last week says to re-plan.
    """
    if start < 0 or target <= 0:
        raise RampError(f"start must be >= 0 and target > 0 (got start={start}, target={target})")
    first = floor_tenth(min(start, target))
    weeks = [RampWeek(week=1, km=first, long_run_km=floor_tenth(first * rule.long_run_share), note="starting week")]
    highest = first if first > 0 else max(0.0, baseline_km)
    held = 0
    n = 1
    while weeks[-1].km < target:
        n += 1
        if n > max_weeks:
            weeks[-1] = weeks[-1].model_copy(update={"note": f"target not reached in {max_weeks} weeks: review and re-plan"})
            break
        if n % rule.cutback_every_weeks == 0 and highest > 0:
            km = floor_tenth(highest * (1 - rule.cutback_pct / 100.0))
            weeks.append(RampWeek(week=n, km=km, long_run_km=floor_tenth(km * rule.long_run_share), cutback=True, note="lighter week"))
            continue
        if weeks[-1].cutback:
            km = highest  # back to the level before the lighter week, not a new high straight away
        else:
            km = min(target, floor_tenth(rule.allowed_next(highest)))
        note = ""
        if plateau_km is not None and held < plateau_weeks and highest <= plateau_km < km:
            km, held, note = floor_tenth(plateau_km), held + 1, "holding where pain rose before"
        highest = max(highest, km)
        note = "target reached" if km >= target else note
        weeks.append(RampWeek(week=n, km=km, long_run_km=floor_tenth(km * rule.long_run_share), note=note))
    return weeks


def check_ramp(weeks: list[RampWeek], rule: RampRule, target: float) -> list[str]:
    """Every way ``weeks`` breaks the ramp rule (empty list = sound)."""
    problems = []
    highest = None
    previous = None
    for w in weeks:
        if previous is not None and previous.cutback and highest is not None and w.km > highest + 1e-9:
            problems.append(f"week {w.week}: sets a new high straight after a lighter week")
        if w.km > target + 1e-9 and w.week > 1:
            problems.append(f"week {w.week}: {w.km} km is above the target {target} km")
        if highest is not None and w.km > rule.allowed_next(highest) + 1e-9:
            problems.append(f"week {w.week}: {w.km} km jumps more than the rule allows from {highest} km")
        if w.long_run_km > w.km + 1e-9:
            problems.append(f"week {w.week}: long run longer than the week")
        highest = w.km if highest is None else max(highest, w.km)
        previous = w
    return problems
