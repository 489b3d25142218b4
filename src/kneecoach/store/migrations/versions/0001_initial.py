"""Initial schema: users, care links, profiles, assessments, plans, runs, pain, exercise.

Written by hand to mirror :mod:`kneecoach.store.models` and checked by
``tests/store/test_migrations.py`` (``compare_metadata`` must find no
difference on SQLite and, when available, PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner() -> sa.Column:
    return sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        _created(),
        sa.CheckConstraint("role in ('runner', 'clinician')", name="ck_users_role"),
    )
    op.create_index("ix_users_email", "users", ["email"], unique=True)

    op.create_table(
        "care_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("runner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clinician_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("invite_code", sa.String(64), nullable=False, unique=True),
        _created(),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_care_links_runner_id", "care_links", ["runner_id"])
    op.create_index("ix_care_links_clinician_id", "care_links", ["clinician_id"])

    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        _created(),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_profiles_owner_id", "profiles", ["owner_id"])

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("profile_id", sa.Integer(), sa.ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False),
        _created(),
        sa.Column("kb_version", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_assessments_owner_id", "assessments", ["owner_id"])
    op.create_index("ix_assessments_profile_id", "assessments", ["profile_id"])

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column(
            "assessment_id", sa.Integer(), sa.ForeignKey("assessments.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        _created(),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("owner_id", "version", name="uq_plans_owner_version"),
    )
    op.create_index("ix_plans_owner_id", "plans", ["owner_id"])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("elevation_gain_m", sa.Float(), nullable=False),
        sa.Column("avg_cadence_spm", sa.Float(), nullable=True),
        sa.Column("avg_heart_rate_bpm", sa.Float(), nullable=True),
        sa.Column("sport", sa.String(40), nullable=False),
        sa.Column("source_format", sa.String(10), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("owner_id", "fingerprint", name="uq_runs_owner_fingerprint"),
        sa.CheckConstraint("distance_m >= 0 AND duration_s >= 0", name="ck_runs_nonnegative"),
    )
    op.create_index("ix_runs_owner_id", "runs", ["owner_id"])
    op.create_index("ix_runs_start_time", "runs", ["start_time"])

    op.create_table(
        "pain_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("timing", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _created(),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="ck_pain_score_range"),
        sa.CheckConstraint(
            "timing in ('during', 'after', 'next_morning', 'daily')", name="ck_pain_timing"
        ),
    )
    op.create_index("ix_pain_entries_owner_id", "pain_entries", ["owner_id"])
    op.create_index("ix_pain_entries_day", "pain_entries", ["day"])

    op.create_table(
        "exercise_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _owner(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("exercise_id", sa.String(80), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("load_kg", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _created(),
    )
    op.create_index("ix_exercise_sessions_owner_id", "exercise_sessions", ["owner_id"])
    op.create_index("ix_exercise_sessions_day", "exercise_sessions", ["day"])


def downgrade() -> None:
    for table in ("exercise_sessions", "pain_entries", "runs", "plans", "assessments", "profiles", "care_links"):
        op.drop_table(table)
    op.drop_index("ix_users_email", table_name="users")
    op.drop_table("users")
