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

from kneecoach.plan.models import RampRule, RampWeek

MAX_WEEKS = 104


class RampError(ValueError):
    pass


def _floor1(x: float) -> float:
    """Round down to 0.1 km so rounding can never push a week over the rule."""
    return math.floor(x * 10 + 1e-9) / 10


def start_km(current_km: float, pain_during_run: int, max_during_run: int, rule: RampRule) -> float:
    """Where the ramp begins: current distance, cut by ``calm_load_factor`` if running hurts above the pain rule."""
    if current_km < 0:
        raise RampError(f"current weekly distance cannot be negative (got {current_km})")
    if current_km == 0:
        return rule.restart_km
    if pain_during_run > max_during_run:
        return max(_floor1(current_km * rule.calm_load_factor), min(rule.restart_km, current_km))
    return current_km


def build_ramp(start: float, target: float, rule: RampRule) -> list[RampWeek]:
    """Weeks from ``start`` up to ``target`` km (or a single week at ``target`` if already there)."""
    if start < 0 or target <= 0:
        raise RampError(f"start must be >= 0 and target > 0 (got start={start}, target={target})")
    first = _floor1(min(start, target))
    weeks = [RampWeek(week=1, km=first, long_run_km=_floor1(first * rule.long_run_share), note="starting week")]
    highest = first
    n = 1
    while weeks[-1].km < target:
        n += 1
        if n > MAX_WEEKS:
            raise RampError("ramp would take more than two years; check start and target")
        if n % rule.cutback_every_weeks == 0:
            km = _floor1(highest * (1 - rule.cutback_pct / 100.0))
            weeks.append(RampWeek(week=n, km=km, long_run_km=_floor1(km * rule.long_run_share), cutback=True, note="lighter week"))
            continue
        if weeks[-1].cutback:
            km = highest  # back to the level before the lighter week, not a new high straight away
        else:
            km = min(target, _floor1(rule.allowed_next(highest)))
        highest = max(highest, km)
        note = "target reached" if km >= target else ""
        weeks.append(RampWeek(week=n, km=km, long_run_km=_floor1(km * rule.long_run_share), note=note))
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
