"""Owner-scoped data access: the only way the CLI and web read or write health rows.

Every function that touches health data takes ``owner_id`` and filters on it,
so a bug in a caller cannot leak one runner's diary into another's page: a row
that belongs to someone else is reported exactly like a row that does not
exist (:class:`NotFound`). Whether a *viewer* may look at an owner's data is a
separate question answered by :func:`can_view`; the web layer asks it first
and then calls these functions with the owner's id.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit:
the caller decides the unit of work (``kneecoach.store.db.transaction``), so
an import of 500 runs is one transaction and a failure leaves nothing behind.
"""

from __future__ import annotations

import difflib
import re
import secrets
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from kneecoach.store.models import (
    AssessmentRecord,
    CareLink,
    ExerciseSession,
    PainEntry,
    PlanRecord,
    ProfileRecord,
    RunRecord,
    User,
    VideoClip,
    utcnow,
)
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import ExerciseObs, PainObs, validate_exercise_numbers, validate_pain

if TYPE_CHECKING:
    # Imported where a stored profile or plan is parsed: pydantic and these
    # models cost about 0.07 s of start-up that `runs`, `load` and `plot` do not need.
    from kneecoach.intake.profile import Profile
    from kneecoach.plan.models import Plan

__all__ = [
    "LOCAL_EMAIL_DOMAIN",
    "NotFound",
    "PermissionDenied",
    "RepoError",
    "accept_invite",
    "add_exercise",
    "add_pain",
    "add_runs",
    "add_video_clip",
    "can_view",
    "create_invite",
    "create_user",
    "delete_exercise",
    "delete_pain",
    "delete_run",
    "delete_video_clip",
    "exercise_obs",
    "get_or_create_local_runner",
    "get_user_by_email",
    "get_video_clip",
    "known_exercise_ids",
    "latest_assessment",
    "latest_plan",
    "latest_profile",
    "list_exercise",
    "list_pain",
    "list_runs",
    "list_video_clips",
    "pain_obs",
    "plan_history",
    "run_rows",
    "runners_for_clinician",
    "save_assessment",
    "save_assessment_and_plan",
    "save_plan",
    "save_profile",
]

ROLES = ("runner", "clinician")
LOCAL_EMAIL_DOMAIN = "kneecoach.invalid"
_EXERCISE_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")


class RepoError(ValueError):
    """A request the store refuses, with a message fit to show the user."""


class NotFound(RepoError):
    """No such row *for this owner* (someone else's row looks the same as none)."""


class PermissionDenied(RepoError):
    """The user exists but is not allowed to do this (e.g. a runner accepting an invite)."""


def _utc(dt: datetime) -> datetime:
    """SQLite returns naive datetimes even for timezone columns; everything stored is UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


# --------------------------------------------------------------------------- users


def create_user(
    s: Session, email: str, display_name: str, role: str = "runner", password_hash: str | None = None
) -> User:
    """Add a user. Emails are stored lower-case so sign-in is case-insensitive."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise RepoError(f"not a valid email address: {email!r}")
    if role not in ROLES:
        raise RepoError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not display_name.strip():
        raise RepoError("display name cannot be empty")
    if get_user_by_email(s, email) is not None:
        raise RepoError("an account with this email already exists")
    user = User(email=email, display_name=display_name.strip()[:100], role=role, password_hash=password_hash)
    s.add(user)
    s.flush()
    return user


def get_user_by_email(s: Session, email: str) -> User | None:
    return s.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


def get_or_create_local_runner(s: Session, name: str = "local") -> User:
    """The CLI's single local runner (``local@kneecoach.invalid``, no password).

    ``.invalid`` is reserved (RFC 2606), so this address can never belong to a
    real person who later signs up on a shared server.
    """
    email = f"{name}@{LOCAL_EMAIL_DOMAIN}"
    user = get_user_by_email(s, email)
    if user is None:
        user = create_user(s, email, name, "runner")
    return user


# --------------------------------------------------------------------------- care links


def create_invite(s: Session, runner_id: int) -> CareLink:
    """A one-time code the runner gives to their clinician/coach.

    ``token_urlsafe(24)`` is 192 random bits: unguessable, so knowing the code
    is the proof that the runner chose to share.
    """
    runner = s.get(User, runner_id)
    if runner is None:
        raise NotFound("no such runner")
    if runner.role != "runner":
        raise PermissionDenied("only runners can invite a clinician to see their data")
    link = CareLink(runner_id=runner_id, invite_code=secrets.token_urlsafe(24))
    s.add(link)
    s.flush()
    return link


def accept_invite(s: Session, clinician_id: int, code: str) -> CareLink:
    """Link a clinician to the runner who issued ``code``; each code works once."""
    clinician = s.get(User, clinician_id)
    if clinician is None:
        raise NotFound("no such user")
    if clinician.role != "clinician":
        raise PermissionDenied("only a clinician/coach account can accept an invite code")
    link = s.scalar(select(CareLink).where(CareLink.invite_code == code.strip()))
    if link is None:
        raise NotFound("unknown invite code; check it was copied completely")
    if link.accepted_at is not None:
        raise RepoError("this invite code has already been used; ask the runner for a new one")
    link.clinician_id = clinician_id
    link.accepted_at = utcnow()
    s.flush()
    return link


def runners_for_clinician(s: Session, clinician_id: int) -> list[User]:
    """Runners who invited this clinician and whose invite was accepted, by name."""
    stmt = (
        select(User)
        .join(CareLink, CareLink.runner_id == User.id)
        .where(CareLink.clinician_id == clinician_id, CareLink.accepted_at.is_not(None))
        .distinct()
        .order_by(User.display_name, User.id)
    )
    return list(s.scalars(stmt))


def can_view(s: Session, viewer_id: int, owner_id: int) -> bool:
    """True for the owner themself or a clinician holding an accepted invite from them.

    The role is checked here as well as when an invite is accepted, so a link
    left over from an account whose role changed grants nothing.
    """
    if viewer_id == owner_id:
        return True
    stmt = (
        select(CareLink.id)
        .join(User, User.id == CareLink.clinician_id)
        .where(
            CareLink.runner_id == owner_id,
            CareLink.clinician_id == viewer_id,
            CareLink.accepted_at.is_not(None),
            User.role == "clinician",
        )
    )
    return s.scalar(stmt.limit(1)) is not None


# --------------------------------------------------------------------------- profiles, assessments, plans


def save_profile(
    s: Session, owner_id: int, profile: Profile, kind: str = "intake", taken_at: datetime | None = None
) -> ProfileRecord:
    """Store a profile version; ``taken_at`` dates a re-test entered for an earlier or given day."""
    rec = ProfileRecord(owner_id=owner_id, data=profile.model_dump(mode="json"), kind=kind)
    if taken_at is not None:
        rec.created_at = taken_at
    s.add(rec)
    s.flush()
    return rec


def latest_profile(s: Session, owner_id: int) -> Profile | None:
    rec = s.scalar(
        select(ProfileRecord).where(ProfileRecord.owner_id == owner_id).order_by(ProfileRecord.id.desc()).limit(1)
    )
    from kneecoach.intake.profile import Profile

    return None if rec is None else Profile.model_validate(rec.data)


def profile_history(s: Session, owner_id: int) -> list[tuple[datetime, str, Profile]]:
    """Every stored profile version of the owner, oldest first: (when, kind, profile)."""
    rows = s.execute(
        select(ProfileRecord.created_at, ProfileRecord.kind, ProfileRecord.data)
        .where(ProfileRecord.owner_id == owner_id)
        .order_by(ProfileRecord.id)
    ).all()
    from kneecoach.intake.profile import Profile

    return [(_utc(when), kind, Profile.model_validate(data)) for when, kind, data in rows]


def save_assessment(
    s: Session, owner_id: int, profile_id: int, assessment_json: dict[str, Any], kb_version: str
) -> AssessmentRecord:
    profile = s.get(ProfileRecord, profile_id)
    if profile is None or profile.owner_id != owner_id:
        raise NotFound("no such profile")
    rec = AssessmentRecord(owner_id=owner_id, profile_id=profile_id, data=assessment_json, kb_version=kb_version)
    s.add(rec)
    s.flush()
    return rec


def latest_assessment(s: Session, owner_id: int) -> AssessmentRecord | None:
    return s.scalar(
        select(AssessmentRecord)
        .where(AssessmentRecord.owner_id == owner_id)
        .order_by(AssessmentRecord.id.desc())
        .limit(1)
    )


def assessments_with_profiles(s: Session, owner_id: int) -> list[tuple[AssessmentRecord, ProfileRecord]]:
    """Every stored assessment of the owner with the profile it was made from, oldest first (FHIR export)."""
    stmt = (
        select(AssessmentRecord, ProfileRecord)
        .join(ProfileRecord, ProfileRecord.id == AssessmentRecord.profile_id)
        .where(AssessmentRecord.owner_id == owner_id, ProfileRecord.owner_id == owner_id)
        .order_by(AssessmentRecord.id)
    )
    return [(a, p) for a, p in s.execute(stmt).all()]


def save_plan(
    s: Session, owner_id: int, plan: Plan, reason: str, assessment_id: int | None = None, *,
    author_id: int | None = None, author_name: str | None = None, base: Plan | None = None,
) -> PlanRecord:
    """Store ``plan`` as the owner's next version (previous max + 1; the first is 1).

    The version inside the stored JSON is rewritten to match the row, so a plan
    read back always knows which version it is. ``author_id``/``author_name``
    name the clinician who made the version (None: kneecoach); ``base`` is
    kneecoach's plan under the clinician's changes (see :mod:`kneecoach.store.plan_versions`).

    A version kneecoach writes itself (intake, re-test, review) while a
    clinician's changes are in force keeps them: :func:`_keep_clinician_changes`
    is the one hook for that, so every writer of plan versions obeys it.
    """
    if assessment_id is not None:
        a = s.get(AssessmentRecord, assessment_id)
        if a is None or a.owner_id != owner_id:
            raise NotFound("no such assessment")
    if plan.start_date is None:
        # Plan week 1 begins on the Monday on or after the day the plan is first stored; later
        # versions (reviews, re-tests, a clinician's) keep it, so the weekly review walks the same weeks.
        from kneecoach.tracking.weekly_walk import plan_start

        plan = plan.model_copy(update={"start_date": plan_start(plan, utcnow().date())})
    prev_rec = s.scalar(
        select(PlanRecord).where(PlanRecord.owner_id == owner_id).order_by(PlanRecord.version.desc()).limit(1)
    )
    if author_id is None and base is None and prev_rec is not None:
        plan, base, kept = _keep_clinician_changes(prev_rec, plan)
        if kept:
            reason = f"{reason}; {kept}"
    version = (prev_rec.version if prev_rec is not None else 0) + 1
    stored = plan.model_copy(update={"version": version})
    from kneecoach.plan.summary import plan_summary

    rec = PlanRecord(
        owner_id=owner_id,
        assessment_id=assessment_id,
        version=version,
        reason=reason,
        data=stored.model_dump(mode="json"),
        author_id=author_id,
        author_name=author_name,
        base_data=None if base is None else base.model_copy(update={"version": version}).model_dump(mode="json"),
        summary=plan_summary(stored),
    )
    s.add(rec)
    s.flush()
    return rec


def _keep_clinician_changes(prev: PlanRecord, plan: Plan) -> tuple[Plan, Plan | None, str]:
    """(plan to store, kneecoach's base under it or None, what was kept in words) for an automatic version."""
    from kneecoach.plan.changes import apply_changes, kept_note, rebase
    from kneecoach.plan.models import Plan as PlanModel

    changes = (prev.data or {}).get("clinician_changes") or []
    if not changes:
        return plan, None, ""
    old_effective = PlanModel.model_validate(prev.data)
    old_base = PlanModel.model_validate(prev.base_data) if prev.base_data else old_effective
    base = rebase(plan, old_effective, old_base) if plan.clinician_changes else plan
    effective = apply_changes(base, old_effective.clinician_changes)
    note = kept_note(old_effective.clinician_changes)
    effective.notes.append(note)
    return effective, base, note


def latest_plan(s: Session, owner_id: int) -> tuple[int, Plan] | None:
    found = latest_plan_saved(s, owner_id)
    return None if found is None else found[:2]


def latest_plan_saved(s: Session, owner_id: int) -> tuple[int, Plan, date] | None:
    """The latest plan version, the plan, and the day it was saved (plan week 1 counts from that day
    when the plan carries no ``start_date``)."""
    rec = s.scalar(
        select(PlanRecord).where(PlanRecord.owner_id == owner_id).order_by(PlanRecord.version.desc()).limit(1)
    )
    from kneecoach.plan.models import Plan

    return None if rec is None else (rec.version, Plan.model_validate(rec.data), rec.created_at.date())


def plan_history(s: Session, owner_id: int) -> list[PlanRecord]:
    """Every stored plan version for the owner, oldest first (version, reason, created_at, data)."""
    return list(s.scalars(select(PlanRecord).where(PlanRecord.owner_id == owner_id).order_by(PlanRecord.version)))


class _AssessmentLike(Protocol):
    kb_version: str
    plan: Plan | None

    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


def save_assessment_and_plan(
    s: Session, owner_id: int, profile: Profile, assessment: _AssessmentLike, reason: str = "initial assessment",
    kind: str = "intake",
) -> PlanRecord | None:
    """Store a profile, the engine's assessment of it and its plan in one go.

    Used by ``kneecoach assess --save`` and the web intake. Returns ``None``
    (after saving profile and assessment) when the assessment has no plan,
    e.g. because a red flag means "see a clinician first".
    """
    prof = save_profile(s, owner_id, profile, kind)
    arec = save_assessment(s, owner_id, prof.id, assessment.model_dump(mode="json"), assessment.kb_version)
    if assessment.plan is None:
        return None
    return save_plan(s, owner_id, assessment.plan, reason, assessment_id=arec.id)


# --------------------------------------------------------------------------- runs


def _run_to_activity(r: RunRecord) -> Activity:
    return Activity(
        start=_utc(r.start_time),
        duration_s=r.duration_s,
        distance_m=r.distance_m,
        elevation_gain_m=r.elevation_gain_m,
        avg_cadence_spm=r.avg_cadence_spm,
        avg_heart_rate_bpm=r.avg_heart_rate_bpm,
        sport=r.sport,
        source_format=r.source_format,  # type: ignore[arg-type]
        source_name=r.source_name,
        race=bool(r.race),
    )


def stored_fingerprints(s: Session, owner_id: int, fingerprints: Collection[str] | None = None) -> set[str]:
    """Fingerprints the owner already has (restricted to ``fingerprints`` when given)."""
    stmt = select(RunRecord.fingerprint).where(RunRecord.owner_id == owner_id)
    if fingerprints is not None:
        found: set[str] = set()
        items = list(fingerprints)
        for i in range(0, len(items), 500):  # stay under bind-parameter limits
            found.update(s.scalars(stmt.where(RunRecord.fingerprint.in_(items[i : i + 500]))))
        return found
    return set(s.scalars(stmt))


def add_runs(s: Session, owner_id: int, activities: Iterable[Activity]) -> tuple[list[RunRecord], list[Activity]]:
    """Insert runs, skipping duplicates; returns ``(inserted rows, skipped duplicates)``.

    A duplicate has the same :attr:`Activity.fingerprint` as a run the owner
    already stored or as an earlier one in this batch (the same run exported
    as GPX and FIT). Another owner's identical run is not a duplicate.
    """
    acts = list(activities)
    seen = stored_fingerprints(s, owner_id, {a.fingerprint for a in acts})
    rows: list[RunRecord] = []
    dups: list[Activity] = []
    for a in acts:
        fp = a.fingerprint
        if fp in seen:
            dups.append(a)
            continue
        seen.add(fp)
        rows.append(
            RunRecord(
                owner_id=owner_id,
                start_time=a.start.astimezone(timezone.utc),
                duration_s=a.duration_s,
                distance_m=a.distance_m,
                elevation_gain_m=a.elevation_gain_m,
                avg_cadence_spm=a.avg_cadence_spm,
                avg_heart_rate_bpm=a.avg_heart_rate_bpm,
                sport=a.sport,
                source_format=a.source_format,
                source_name=a.source_name[:255],
                fingerprint=fp,
                speed_unconfirmed=a.speed_impossible_for_running,
                race=a.race,
            )
        )
    s.add_all(rows)
    s.flush()
    return rows, dups


def run_rows(s: Session, owner_id: int, since: date | None = None, until: date | None = None) -> list[RunRecord]:
    """The owner's run rows (with ids, for listing/deleting), oldest first; ``until`` is inclusive."""
    stmt = select(RunRecord).where(RunRecord.owner_id == owner_id)
    if since is not None:
        stmt = stmt.where(RunRecord.start_time >= datetime.combine(since, datetime.min.time(), timezone.utc))
    if until is not None:
        stmt = stmt.where(RunRecord.start_time <= datetime.combine(until, datetime.max.time(), timezone.utc))
    return list(s.scalars(stmt.order_by(RunRecord.start_time, RunRecord.id)))


def latest_run_rows(s: Session, owner_id: int, limit: int) -> list[RunRecord]:
    """The owner's ``limit`` most recent runs, oldest first (one indexed query, whatever the total)."""
    stmt = (select(RunRecord).where(RunRecord.owner_id == owner_id)
            .order_by(RunRecord.start_time.desc(), RunRecord.id.desc()).limit(limit))
    return list(reversed(list(s.scalars(stmt))))


def run_span(s: Session, owner_id: int) -> tuple[int, datetime, datetime] | None:
    """``(count, first start, last start)`` of the owner's runs in one aggregate query; None if none.

    Lets a command whose date window is empty say what *is* stored instead of
    "no runs" (an archive of old runs is not an empty diary).
    """

    n, first, last = s.execute(
        select(func.count(RunRecord.id), func.min(RunRecord.start_time), func.max(RunRecord.start_time))
        .where(RunRecord.owner_id == owner_id)
    ).one()
    if not n:
        return None
    return int(n), _utc(first), _utc(last)


def list_runs(
    s: Session, owner_id: int, since: date | None = None, until: date | None = None,
    *, include_unconfirmed: bool = False,
) -> list[Activity]:
    """The owner's runs as :class:`Activity` values (what load and review work on).

    Runs flagged for an impossible running speed (``speed_unconfirmed``) are
    left out unless ``include_unconfirmed``: one car trip stored as a 40 km
    "run" would otherwise trigger every load warning.
    """
    rows = run_rows(s, owner_id, since, until)
    return [_run_to_activity(r) for r in rows if include_unconfirmed or not r.speed_unconfirmed]


def last_run_before(s: Session, owner_id: int, day: date) -> Activity | None:
    """The owner's latest counted run that started before ``day`` (one indexed query).

    With it, a command can load only its window of runs and still tell load
    analytics that history began earlier (days before the first run are
    "unknown", after it "rest"), without reading ten years of runs.
    """
    stmt = (select(RunRecord).where(RunRecord.owner_id == owner_id, RunRecord.speed_unconfirmed.is_(False),
                                    RunRecord.start_time < datetime.combine(day, datetime.min.time(), timezone.utc))
            .order_by(RunRecord.start_time.desc()).limit(1))
    row = s.scalars(stmt).first()
    return _run_to_activity(row) if row is not None else None


def confirm_run(s: Session, owner_id: int, run_id: int) -> bool:
    """The runner confirms a flagged run really was a run: it counts toward load from now on.

    Returns whether the run was flagged (False: it counted already, nothing changed).
    """
    row = s.get(RunRecord, run_id)
    if row is None or row.owner_id != owner_id:
        raise LookupError(f"no run with id {run_id}")
    was_flagged = bool(row.speed_unconfirmed)
    row.speed_unconfirmed = False
    s.flush()
    return was_flagged


def delete_run(s: Session, owner_id: int, run_id: int) -> None:
    """Delete one of the owner's runs; :class:`NotFound` if it is not theirs (or does not exist).

    Pain entries linked to the run keep their score (``run_id`` becomes NULL).
    """
    row = s.get(RunRecord, run_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(f"no run {run_id}")
    for p in s.scalars(select(PainEntry).where(PainEntry.run_id == run_id, PainEntry.owner_id == owner_id)):
        p.run_id = None
    s.delete(row)
    s.flush()


# --------------------------------------------------------------------------- kept video clips


def add_video_clip(
    s: Session, owner_id: int, *, side: str | None, filename: str, content_type: str, data: bytes,
    summary: dict[str, Any] | None = None,
) -> VideoClip:
    """Keep a clip the runner asked to keep (never called otherwise)."""
    if side not in (None, "left", "right"):
        raise RepoError(f"side must be left or right, not {side!r}")
    if not data:
        raise RepoError("an empty clip cannot be kept")
    row = VideoClip(owner_id=owner_id, side=side, filename=(Path(filename).name or "clip")[:200],
                    content_type=content_type[:80] or "application/octet-stream", size=len(data), data=data,
                    summary=summary)
    s.add(row)
    s.flush()
    return row


def list_video_clips(s: Session, owner_id: int) -> list[VideoClip]:
    """The owner's kept clips, newest first, without loading the video bytes."""
    return list(s.scalars(
        select(VideoClip).where(VideoClip.owner_id == owner_id)
        .options(defer(VideoClip.data)).order_by(VideoClip.created_at.desc(), VideoClip.id.desc())
    ))


def get_video_clip(s: Session, owner_id: int, clip_id: int) -> VideoClip:
    """One of the owner's clips (bytes included); :class:`NotFound` for anyone else's."""
    row = s.get(VideoClip, clip_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(f"no clip {clip_id}")
    return row


def delete_video_clip(s: Session, owner_id: int, clip_id: int) -> None:
    s.delete(get_video_clip(s, owner_id, clip_id))
    s.flush()


# --------------------------------------------------------------------------- diary


def add_pain(
    s: Session, owner_id: int, day: date, timing: str, score: int, note: str = "", run_id: int | None = None
) -> PainEntry:
    """Log a pain score. Validated here so the message is readable (see :func:`validate_pain`)."""
    validate_pain(score, timing)
    if run_id is not None:
        run = s.get(RunRecord, run_id)
        if run is None or run.owner_id != owner_id:
            raise NotFound(f"no run {run_id}")
    row = PainEntry(owner_id=owner_id, day=day, timing=timing, score=score, note=note, run_id=run_id)
    s.add(row)
    s.flush()
    return row


@lru_cache(maxsize=1)
def _kb_exercise_ids() -> frozenset[str] | None:
    try:
        from kneecoach.assessment.kb import load_kb
    except ImportError:  # pragma: no cover - the knowledge package ships with kneecoach
        return None
    try:
        return frozenset(load_kb().exercises)
    except (OSError, ValueError):
        # A missing or broken knowledge base is reported by `kneecoach kb check`;
        # logging a diary entry should not be blocked by it.
        return None


def known_exercise_ids() -> frozenset[str] | None:
    """Exercise ids in the knowledge base, or ``None`` if the engine is not available."""
    return _kb_exercise_ids()


def check_exercise_id(exercise_id: str, known: Collection[str] | None) -> str:
    """Normalise and check an exercise id; unknown ids get the closest matches in the message."""
    ex = exercise_id.strip().lower()
    if not _EXERCISE_ID.match(ex):
        raise ValueError(f"not an exercise id: {exercise_id!r} (ids look like 'side_lying_leg_raise')")
    if known is not None and ex not in known:
        close = difflib.get_close_matches(ex, sorted(known), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else " See `kneecoach kb exercises` for the list."
        raise ValueError(f"unknown exercise {exercise_id!r}.{hint}")
    return ex


def add_exercise(
    s: Session,
    owner_id: int,
    day: date,
    exercise_id: str,
    sets: int | None = None,
    reps: int | None = None,
    hold_s: float | None = None,
    load_kg: float | None = None,
    note: str = "",
    *,
    known_ids: Collection[str] | None = None,
) -> ExerciseSession:
    """Log an exercise session. ``exercise_id`` must exist in the knowledge base.

    ``known_ids`` overrides the knowledge base (tests, or a server that loaded
    the KB once); by default the engine's KB is used when it is installed.
    """
    validate_exercise_numbers(sets, reps, hold_s, load_kg)
    ex = check_exercise_id(exercise_id, known_ids if known_ids is not None else known_exercise_ids())
    row = ExerciseSession(
        owner_id=owner_id, day=day, exercise_id=ex, sets=sets, reps=reps, hold_s=hold_s, load_kg=load_kg, note=note
    )
    s.add(row)
    s.flush()
    return row


def list_pain(s: Session, owner_id: int, since: date | None = None, until: date | None = None) -> list[PainEntry]:
    stmt = select(PainEntry).where(PainEntry.owner_id == owner_id)
    if since is not None:
        stmt = stmt.where(PainEntry.day >= since)
    if until is not None:
        stmt = stmt.where(PainEntry.day <= until)
    return list(s.scalars(stmt.order_by(PainEntry.day, PainEntry.id)))


def list_exercise(
    s: Session, owner_id: int, since: date | None = None, until: date | None = None, *, include_skipped: bool = False
) -> list[ExerciseSession]:
    """The owner's exercise rows, oldest first. Rows a Today tap marked "skipped" are left out unless
    ``include_skipped``: review, progress and adherence count what was done."""
    stmt = select(ExerciseSession).where(ExerciseSession.owner_id == owner_id)
    if not include_skipped:
        stmt = stmt.where(ExerciseSession.status != "skipped")
    if since is not None:
        stmt = stmt.where(ExerciseSession.day >= since)
    if until is not None:
        stmt = stmt.where(ExerciseSession.day <= until)
    return list(s.scalars(stmt.order_by(ExerciseSession.day, ExerciseSession.id)))


def delete_pain(s: Session, owner_id: int, entry_id: int) -> None:
    row = s.get(PainEntry, entry_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(f"no pain entry {entry_id}")
    s.delete(row)
    s.flush()


def delete_exercise(s: Session, owner_id: int, entry_id: int) -> None:
    row = s.get(ExerciseSession, entry_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound(f"no exercise entry {entry_id}")
    s.delete(row)
    s.flush()


def pain_obs(rows: Sequence[PainEntry]) -> list[PainObs]:
    """Rows -> the plain values :func:`kneecoach.tracking.review.review` takes."""
    return [PainObs(day=r.day, timing=r.timing, score=r.score) for r in rows]


def exercise_obs(rows: Sequence[ExerciseSession]) -> list[ExerciseObs]:
    return [
        ExerciseObs(day=r.day, exercise_id=r.exercise_id, sets=r.sets, reps=r.reps, hold_s=r.hold_s, load_kg=r.load_kg)
        for r in rows
    ]
