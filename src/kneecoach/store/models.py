"""Database tables.

Every row that holds health data carries ``owner_id``: queries go through
:mod:`kneecoach.store.repo`, which always filters on it, so one runner's data
can never be read through another's session. Profiles, assessments and plans
are stored as JSON documents (the pydantic models' dumps) because the
knowledge base, not the schema, decides their shape; runs, pain and exercise
entries are columns because load analytics query them.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    """A runner or a clinician/coach. The CLI uses one local runner with no password.

    Ids are never given out twice (SQLite ``AUTOINCREMENT``, a PostgreSQL identity; migration 0009):
    anything still keyed by an erased person's number can never become someone else's.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(20), default="runner")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: "km" or "mi": how distances are shown and entered; stored values stay metric.
    distance_unit: Mapped[str] = mapped_column(String(2), default="km", server_default="km")
    #: "HH:MM" on the runner's own clock for the opt-in exercise reminder (Web Push and the calendar's
    #: alarms); None = off. ``reminder_utc_offset_min`` is that clock's offset from UTC, in minutes.
    reminder_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    reminder_utc_offset_min: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (CheckConstraint("role in ('runner', 'clinician')", name="ck_users_role"),
                      {"sqlite_autoincrement": True})


class CareLink(Base):
    """A runner's invitation to a clinician/coach, who sees that runner's data once accepted."""

    __tablename__ = "care_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    runner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    invite_code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: When the runner allowed this clinician to *change* their plan (issue 17); None = read only.
    #: Separate from reading, granted and withdrawn by the runner, checked in the database on
    #: every change request so a withdrawal holds on every worker from the next request.
    change_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    runner: Mapped[User] = relationship(foreign_keys=[runner_id])
    clinician: Mapped[User | None] = relationship(foreign_keys=[clinician_id])


class ProfileRecord(Base):
    """An intake + self-test profile (``kneecoach.intake.Profile`` as JSON)."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: "intake" (the intake or self-test form) or "retest" (a re-measurement: Kujala and self-tests again).
    kind: Mapped[str] = mapped_column(String(20), default="intake", server_default="intake")


class AssessmentRecord(Base):
    """The engine's output for a profile (``kneecoach.engine.Assessment`` as JSON)."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kb_version: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlanRecord(Base):
    """One version of a runner's plan. A review that changes the plan adds a version."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Who made this version: None = kneecoach (intake, review, re-test), else the clinician's user id.
    #: Not a foreign key on purpose: the runner's plan history must outlive a clinician's account.
    author_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: kneecoach's own plan before the clinician's active changes were applied (None when no change
    #: is active, then ``data`` is kneecoach's plan). Adding or releasing a change re-applies the
    #: active changes to this base, so removing one restores exactly what kneecoach had decided.
    base_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: A few numbers read off ``data`` when it is stored (see ``kneecoach.plan.summary``), so the
    #: caseload can rank hundreds of runners without parsing every plan document.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (UniqueConstraint("owner_id", "version", name="uq_plans_owner_version"),)


class RunRecord(Base):
    """A run, from a watch file or typed in (``kneecoach.tracking.activity.Activity``)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    elevation_gain_m: Mapped[float] = mapped_column(Float, default=0.0)
    avg_cadence_spm: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_heart_rate_bpm: Mapped[float | None] = mapped_column(Float, nullable=True)
    sport: Mapped[str] = mapped_column(String(40), default="running")
    source_format: Mapped[str] = mapped_column(String(10))
    source_name: Mapped[str] = mapped_column(String(255), default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Average speed impossible for running (a car or bike file labelled as a
    #: run): kept, shown, but left out of load until the runner confirms it.
    speed_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: A race: a planned single-run spike; the weekly review does not build on its week.
    race: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    __table_args__ = (
        UniqueConstraint("owner_id", "fingerprint", name="uq_runs_owner_fingerprint"),
        CheckConstraint("distance_m >= 0 AND duration_s >= 0", name="ck_runs_nonnegative"),
    )


class PainEntry(Base):
    """A pain score (0-10) during or after a run, or the next morning."""

    __tablename__ = "pain_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    timing: Mapped[str] = mapped_column(String(20))
    score: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: A key the client chose for this post (a Today tap, a form); a replayed post with the same key
    #: finds this row instead of storing a second one (issue 16: offline taps replayed once).
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The morning check's second question, asked after a painful run: worse than before that run?
    worse_than_before: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: When the runner last corrected this entry (None = as logged). A replay of the original keyed post
    #: then finds the corrected row and leaves it as it is (migration 0012, store.diary_edit).
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_score_range"),
        CheckConstraint("timing in ('during', 'after', 'next_morning', 'daily')", name="ck_pain_timing"),
        UniqueConstraint("owner_id", "idempotency_key", name="uq_pain_owner_idempotency"),
    )


class ExerciseSession(Base):
    """Exercises done on a day; ``exercise_id`` refers to the knowledge base."""

    __tablename__ = "exercise_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    exercise_id: Mapped[str] = mapped_column(String(80))
    sets: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hold_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    load_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: "done" or "skipped" (a Today tap); skipped rows say the runner saw it, and count as not done.
    status: Mapped[str] = mapped_column(String(10), default="done", server_default="done")
    #: Pain (0-10) felt during this exercise ("Done, it hurt"); also written as a diary pain entry.
    pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: When the runner last corrected this entry (None = as logged); see ``PainEntry.edited_at``.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("status in ('done', 'skipped')", name="ck_exercise_status"),
        CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="ck_exercise_pain_range"),
        UniqueConstraint("owner_id", "idempotency_key", name="uq_exercise_owner_idempotency"),
    )


class DeletedDiaryKey(Base):
    """The idempotency key of a diary entry the runner deleted: a tap queued offline and replayed after
    the delete finds its key here and stores nothing, so a deleted entry never comes back (migration 0012).

    Holds no health data beyond the fact that a keyed entry existed; erased and exported with the owner.
    """

    __tablename__ = "deleted_diary_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "pain" or "exercise": which table the key was used in (keys are unique per owner and table).
    kind: Mapped[str] = mapped_column(String(10))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("kind in ('pain', 'exercise')", name="ck_deleted_diary_keys_kind"),
        UniqueConstraint("owner_id", "kind", "idempotency_key", name="uq_deleted_diary_keys_owner_kind_key"),
    )


class DayMark(Base):
    """A day marked as ill, or with a sign the weekly review refers on (night pain, swelling, ...).

    ``kind`` is one of :data:`kneecoach.tracking.diary.DAY_FLAG_KINDS`.
    """

    __tablename__ = "day_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "kind in ('ill', 'chest_symptoms', 'night_pain', 'rest_pain', 'swelling', 'giving_way', 'bone_spot_pain')",
            name="ck_day_marks_kind",
        ),
    )


class UserSession(Base):
    """A signed-in browser or API client, stored so the server can end it.

    The cookie carries a random token; only its SHA-256 is stored, so a leaked
    database does not hand out live sessions. Logout deletes the row, a
    password change or "log out everywhere" deletes all of a user's rows, and
    a replayed cookie whose row is gone is refused on every worker at once.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuthAttempt(Base):
    """One counted attempt (failed login, sign-up, invite code) for the shared throttle.

    ``key`` is a SHA-256 of what is counted (account, account+address,
    address), never the e-mail or address itself. Counting in the database
    means every worker and every host behind the same database sees the same
    numbers (see :mod:`kneecoach.web.throttle`).
    """

    __tablename__ = "auth_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Job(Base):
    """One piece of long work (an archive import, a video analysis) done in the background.

    Generic on purpose: ``kind`` picks the handler (``kneecoach.store.jobs``),
    ``params`` and ``input`` carry what it needs, ``progress``/``total`` and
    ``heartbeat_at`` let any web worker show progress and find abandoned
    jobs, ``result`` is the handler's JSON outcome. ``input`` (an uploaded
    file) is dropped when the job ends. ``dedupe_key`` (e.g. a content hash)
    makes submitting the same thing twice return the first job.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    input: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_jobs_status"),
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_owner_kind_dedupe", "owner_id", "kind", "dedupe_key"),
    )


class VideoClip(Base):
    """A single-leg squat clip the runner asked kneecoach to keep (issue 9), with what was measured.

    Clips are personal (a person's body on video), so none is kept unless the runner ticks "keep
    my clip" when uploading; the analysis never needs one. A kept clip can be watched again by the
    runner and by a clinician they invited, deleted at any time, and goes with the export and the
    erasure of the account like every other row.
    """

    __tablename__ = "video_clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    side: Mapped[str | None] = mapped_column(String(8), nullable=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PushSubscription(Base):
    """One device's Web Push subscription for the daily reminder (opt-in, per device).

    The endpoint is a push service URL the browser chose; the keys let the server encrypt the
    payload for that device only. Payloads never carry health data ("Time for today's exercises").
    """

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class VapidKey(Base):
    """The server's VAPID key pair, made once and shared by every worker (the private key as PEM)."""

    __tablename__ = "vapid_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessLogEntry(Base):
    """One read or change of a runner's health data by someone other than the runner.

    Written by the web layer for every page and API route that shows or changes a runner's data
    to another person (who, what, when, from which route). It belongs to the runner: they read it
    on their account page, it is in their export and is erased with their account. ``actor_id``
    is not a foreign key, so erasing a clinician's account does not erase the runner's record of
    who looked.
    """

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(10))
    what: Mapped[str] = mapped_column(String(80))
    route: Mapped[str] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("action in ('read', 'change')", name="ck_access_log_action"),
        Index("ix_access_log_actor_owner_at", "actor_id", "owner_id", "at"),
    )


class CareNote(Base):
    """A note between a runner and one linked clinician (issue 17): threaded, with a read mark.

    ``owner_id`` is the runner (so notes are exported and erased with the runner's data);
    ``clinician_id`` names the other side of the conversation; ``author_id`` is one of the two.
    ``parent_id`` makes a reply; ``read_at`` is set when the other side opens the thread.
    """

    __tablename__ = "care_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_notes.id", ondelete="CASCADE"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
