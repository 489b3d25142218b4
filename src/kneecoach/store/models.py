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

    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_score_range"),
        CheckConstraint("timing in ('during', 'after', 'next_morning', 'daily')", name="ck_pain_timing"),
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
