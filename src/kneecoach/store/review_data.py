"""Read what the weekly review needs from the store, for one owner (CLI, web pages and API alike)."""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from kneecoach.store import repo, run_log

if TYPE_CHECKING:
    from kneecoach.plan.models import Plan
    from kneecoach.tracking.review import Review
    from kneecoach.tracking.weekly_walk import WalkResult

__all__ = ["load_review", "load_walk", "packaged_strength_ids", "referral_reasons"]


@lru_cache(maxsize=1)
def packaged_strength_ids() -> frozenset[str]:
    """The packaged knowledge base's strength exercises (what the review counts), worked out once."""
    from kneecoach.assessment.kb import load_kb
    from kneecoach.tracking.review import strength_exercise_ids

    return frozenset(strength_exercise_ids(load_kb()))


def _history(s: Session, owner_id: int, start: date, today: date):  # type: ignore[no-untyped-def]
    """Runs, pain, exercise and marked days the walk reads: from 30 days before plan week 1 (the
    long-run limit looks that far back), and at least the last 20 weeks."""
    from kneecoach.tracking.weekly_walk import LONG_RUN_WINDOW_DAYS

    since = min(start - timedelta(days=LONG_RUN_WINDOW_DAYS), today - timedelta(weeks=20))
    runs = repo.list_runs(s, owner_id, since=since)
    pain = repo.pain_obs(repo.list_pain(s, owner_id, since=since))
    ex = repo.exercise_obs(repo.list_exercise(s, owner_id, since=since))
    flags = run_log.day_flags(run_log.list_day_marks(s, owner_id, since=since))
    return runs, pain, ex, flags


def load_walk(s: Session, owner_id: int, today: date, *, unit: str = "km") -> tuple[int, Plan, WalkResult] | None:
    """The owner's latest plan (version, plan) and the walk of its completed weeks up to ``today``
    alone (what Today and the plan page need): the same decision as :func:`load_review`, without its
    findings and charts; its reasons in ``unit``. None without a plan."""
    from kneecoach.intake.units import distance_format
    from kneecoach.tracking.adherence import plan_prescription
    from kneecoach.tracking.weekly_walk import plan_start, walk

    found = repo.latest_plan_saved(s, owner_id)
    if found is None:
        return None
    version, plan, saved_on = found
    start = plan_start(plan, saved_on)
    runs, pain, ex, flags = _history(s, owner_id, start, today)
    return version, plan, walk(plan, start, runs, pain, ex, flags, today, strength_ids=packaged_strength_ids(),
                               prescription=plan_prescription(plan), fmt=distance_format(unit))


def load_review(
    s: Session, owner_id: int, today: date, strength_ids: Collection[str] | None = None, plan: Plan | None = None,
    *, unit: str = "km",
) -> tuple[int, Plan, Review] | None:
    """The owner's latest plan (version, plan) and its review on ``today``; None without a plan.

    ``plan`` reviews another version of the same runner's plan instead: kneecoach's own plan under a
    clinician's changes, which is what ``review --apply`` moves on (the store puts the changes back
    on top), so a clinician's cap never becomes kneecoach's own ramp.

    ``unit`` (km or mi, the reader's) words the review's sentences; it never changes the decision.
    ``strength_ids`` defaults to :func:`packaged_strength_ids`.

    Reads from the plan's first week (and the 30 days before it, which the
    long-run limit looks at), and at least the last 20 weeks.
    """
    from kneecoach.tracking.review import review
    from kneecoach.tracking.weekly_walk import plan_start

    found = repo.latest_plan_saved(s, owner_id)
    if found is None:
        return None
    version, latest, saved_on = found
    plan = plan or latest
    start = plan_start(plan, saved_on)
    runs, pain, ex, flags = _history(s, owner_id, start, today)
    ids = packaged_strength_ids() if strength_ids is None else strength_ids
    return version, plan, review(runs, pain, ex, plan, today, strength_exercise_ids=ids, flags=flags,
                                 plan_start=start, unit=unit)


def referral_reasons(plan: Plan) -> list[str]:
    """The signs that mean seeing a clinician, as every face of the review states them."""
    from kneecoach.tracking.weekly_walk import PAUSE_REFER_AFTER_WEEKS, REFER_FLAGS

    return [*REFER_FLAGS.values(),
            f"pain at or above {plan.pain_rule.pause_running_at}/10 that keeps running paused for more than "
            f"{PAUSE_REFER_AFTER_WEEKS} weeks"]
