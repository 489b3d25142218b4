"""A few numbers read off a plan, stored beside it so lists of many runners need not parse plans.

The caseload ranks hundreds of runners per request; a stored plan document is tens of kilobytes,
so each plan version carries this small summary (``plans.summary``), written when it is saved.
"""

from __future__ import annotations

from typing import Any

from kneecoach.plan.models import Plan

SUMMARY_VERSION = 3


def plan_summary(plan: Plan) -> dict[str, Any]:
    """``exercise_days_per_week``: most days a week any exercise of the current phase is prescribed;
    (the current phase, or before the first review the first phase that has exercises);
    ``ramp_km``: the weekly distance of each ramp week, ``ramp_weeks``: its plan-calendar week number
    (a saved review's ramp starts at the week it decided), ``start_date``: Monday of plan week 1;
    ``running_held``: a clinician holds running;
    ``pause_running_at``, ``max_next_morning``, ``pause_after_unsettled_mornings``: the plan's pain rule; ``clinician_changes``: changes in force."""
    with_exercises = [p for p in plan.phases if p.exercises]
    phase = next((p for p in plan.phases if p.id == plan.current_phase),
                 with_exercises[0] if with_exercises else None)
    days = max((e.dose.days_per_week for e in phase.exercises), default=0) if phase else 0
    return {
        "v": SUMMARY_VERSION,
        "exercise_days_per_week": days,
        "ramp_km": [round(w.km, 1) for w in plan.mileage_ramp],
        "ramp_weeks": [w.week for w in plan.mileage_ramp],
        "start_date": plan.start_date.isoformat() if plan.start_date else None,
        "running_held": any(c.kind == "hold_running" for c in plan.clinician_changes),
        "pause_running_at": plan.pain_rule.pause_running_at,
        "max_next_morning": plan.pain_rule.max_next_morning,
        "pause_after_unsettled_mornings": plan.pain_rule.pause_after_unsettled_mornings,
        "clinician_changes": len(plan.clinician_changes),
        "current_phase": phase.id if phase else None,
    }
