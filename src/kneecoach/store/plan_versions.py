"""Plan versions a clinician writes: a change, or the release of one (issue 17).

A change is applied to kneecoach's plan (the latest version's ``base_data``, or its ``data`` when
no change is in force) together with every change already in force, and stored as the next plan
version with the clinician as author and the change's reason. Releasing a change does the same
without it, so the plan returns to what kneecoach decided plus the changes still in force.
Versions kneecoach writes itself keep the changes through the hook in
:func:`kneecoach.store.repo.save_plan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kneecoach.store.models import PlanRecord, User
from kneecoach.store.repo import NotFound, save_plan

if TYPE_CHECKING:
    from kneecoach.plan.models import Plan, PlanChange


def _latest(s: Session, owner_id: int) -> PlanRecord:
    rec = s.scalar(select(PlanRecord).where(PlanRecord.owner_id == owner_id)
                   .order_by(PlanRecord.version.desc()).limit(1))
    if rec is None:
        raise NotFound("this runner has no plan yet")
    return rec


def current_and_base(s: Session, owner_id: int) -> tuple[Plan, Plan]:
    """(the plan the runner follows, kneecoach's plan under the clinician's changes)."""
    from kneecoach.plan.models import Plan

    rec = _latest(s, owner_id)
    current = Plan.model_validate(rec.data)
    return current, (Plan.model_validate(rec.base_data) if rec.base_data else current)


def add_change(s: Session, owner_id: int, clinician: User, change: PlanChange) -> PlanRecord:
    """Store ``change`` (made by :func:`kneecoach.plan.changes.make_change`) as a new plan version."""
    from kneecoach.plan.changes import apply_changes

    current, base = current_and_base(s, owner_id)
    effective = apply_changes(base, [*current.clinician_changes, change])
    return save_plan(s, owner_id, effective, reason=f"{change.summary}. Reason: {change.reason}",
                     author_id=clinician.id, author_name=clinician.display_name, base=base)


def release_change(s: Session, owner_id: int, clinician: User, change_id: str, reason: str) -> PlanRecord:
    """Take one change out of force (a new version without it); :class:`NotFound` for an unknown id."""
    from kneecoach.plan.changes import ChangeError, apply_changes

    why = reason.strip()
    if not why:
        raise ChangeError("Give a reason for releasing the change: the runner sees it.")
    current, base = current_and_base(s, owner_id)
    gone = [c for c in current.clinician_changes if c.id == change_id]
    if not gone:
        raise NotFound("no such change in force")
    remaining = [c for c in current.clinician_changes if c.id != change_id]
    effective = apply_changes(base, remaining)
    return save_plan(s, owner_id, effective, reason=f"Released: {gone[0].summary}. Reason: {why[:1000]}",
                     author_id=clinician.id, author_name=clinician.display_name,
                     base=base if remaining else None)


def history(s: Session, owner_id: int) -> list[PlanRecord]:
    """Every plan version, newest first (version, author, reason, when), without loading the documents."""
    from sqlalchemy.orm import load_only

    return list(s.scalars(
        select(PlanRecord).where(PlanRecord.owner_id == owner_id)
        .options(load_only(PlanRecord.id, PlanRecord.version, PlanRecord.created_at, PlanRecord.reason,
                           PlanRecord.author_id, PlanRecord.author_name))
        .order_by(PlanRecord.version.desc())
    ))
