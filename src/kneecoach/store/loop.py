"""The re-assessment loop against the database, shared by the CLI and the web app.

Keeps the faces thin: both call :func:`record_retest` to store a re-test (profile version of kind
"retest", its assessment and the next plan version) and :func:`load_progress` to read re-tests,
diary and runs into a :class:`~kneecoach.tracking.progress.Progress`. Every query is scoped to the
owner through :mod:`kneecoach.store.repo`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from kneecoach.intake.load import ProfileError
from kneecoach.intake.retest import apply_retest
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.plan.models import Plan
from kneecoach.store import repo
from kneecoach.store.run_load import with_run_load
from kneecoach.tracking.progress import Progress, progress

if TYPE_CHECKING:
    # Only a re-test re-assesses; `review` and `plot --trends` read progress without the engine.
    from kneecoach.engine import Assessment


class NoProfile(LookupError):
    """A re-test or progress view needs an intake first."""


def merge_retest_plan(old: Plan | None, new: Plan) -> Plan:
    """The plan after a re-test: fresh pathway, criteria and exercises from the new assessment,
    but the ladder rungs, cadence target and (unless a running hold just changed) the reviewed
    mileage ramp carried over, so a re-test never undoes what the reviews decided."""
    if old is None:
        return new
    # A hold (criteria, a clinician's clearance, or severe pain: plan.running_hold) decides the ramp.
    was_held = (old.pathway is not None and old.pathway.running_on_hold) or old.running_hold is not None
    now_held = (new.pathway is not None and new.pathway.running_on_hold) or new.running_hold is not None
    keep_ramp = not was_held and not now_held
    update: dict[str, Any] = {"rungs": old.rungs, "cadence_target_spm": old.cadence_target_spm,
                              "current_phase": old.current_phase}
    if keep_ramp:
        update.update(mileage_ramp=old.mileage_ramp, start_km=old.start_km, base_ramp=old.base_ramp,
                      start_date=old.start_date)
    return new.model_copy(update=update)


def record_retest(s: Session, owner_id: int, answers: Any, kb: KnowledgeBase, today: date) -> tuple[Assessment, int | None]:
    """Validate and store a re-test; returns the assessment and the new plan version (None: referral).

    Raises :class:`~kneecoach.intake.load.ProfileError` (nothing stored) on a missing or bad answer.
    """
    base = repo.latest_profile(s, owner_id)
    if base is None:
        raise NoProfile("no intake stored yet: run the intake first")
    last = max(when for when, _, _ in repo.profile_history(s, owner_id)).date()
    if today < last:
        raise ProfileError("re-test", [f"date: {today} is before the last measurement ({last}); a re-test is dated "
                                       "on or after it"])
    from kneecoach.engine import assess

    profile = with_run_load(s, owner_id, apply_retest(base, answers, kb), today)
    from kneecoach.store.models import User

    a = assess(profile, kb, unit=getattr(s.get(User, owner_id), "distance_unit", None) or "km")
    taken = datetime.combine(today, time(12, 0), tzinfo=timezone.utc)
    prof = repo.save_profile(s, owner_id, profile, kind="retest", taken_at=taken)
    arec = repo.save_assessment(s, owner_id, prof.id, a.model_dump(mode="json"), a.kb_version)
    if a.plan is None:
        return a, None
    from kneecoach.store.plan_versions import current_and_base

    try:  # merged into kneecoach's own plan; a clinician's changes are put back on top by save_plan
        old: Plan | None = current_and_base(s, owner_id)[1]
    except repo.NotFound:
        old = None
    plan = merge_retest_plan(old, a.plan)
    plan = plan.model_copy(update={"notes": [*plan.notes, f"{today:%Y-%m-%d} re-test stored."]})
    rec = repo.save_plan(s, owner_id, plan, reason=f"re-test {today}", assessment_id=arec.id)
    return a, rec.version


def load_progress(s: Session, owner_id: int, today: date, kb: KnowledgeBase) -> tuple[int, Plan, Progress]:
    found = repo.latest_plan(s, owner_id)
    history = repo.profile_history(s, owner_id)
    if found is None or not history:
        raise NoProfile("no plan stored yet: run the intake (or assess --save) first")
    version, plan = found
    since = today - timedelta(weeks=20)
    runs = repo.list_runs(s, owner_id, since=since)
    pain = repo.pain_obs(repo.list_pain(s, owner_id, since=since))
    ex = repo.exercise_obs(repo.list_exercise(s, owner_id, since=since))
    return version, plan, progress(plan, history, runs, pain, ex, today, kb)
