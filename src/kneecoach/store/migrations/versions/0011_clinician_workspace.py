"""The clinician's workspace (issue 17): consent to changes, plan authors, access log, notes.

Adds ``care_links.change_consent_at`` (the runner's consent to plan changes, separate from read
access), four nullable columns on ``plans`` (author, kneecoach's base plan under a clinician's
changes, a small summary for the caseload), and two tables: ``access_log`` and ``care_notes``.
Only additions; existing rows keep their values (no author = kneecoach, no consent = read only,
no summary = read off the plan document when needed).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_links") as batch:
        batch.add_column(sa.Column("change_consent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("author_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("base_data", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("what", sa.String(80), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.CheckConstraint("action in ('read', 'change')", name="ck_access_log_action"),
    )
    op.create_index("ix_access_log_owner_id", "access_log", ["owner_id"])
    op.create_index("ix_access_log_actor_owner_at", "access_log", ["actor_id", "owner_id", "at"])
    op.create_table(
        "care_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("clinician_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("care_notes.id", ondelete="CASCADE"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_care_notes_owner_id", "care_notes", ["owner_id"])
    op.create_index("ix_care_notes_clinician_id", "care_notes", ["clinician_id"])


def downgrade() -> None:
    op.drop_table("care_notes")
    op.drop_table("access_log")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("summary")
        batch.drop_column("base_data")
        batch.drop_column("author_name")
        batch.drop_column("author_id")
    with op.batch_alter_table("care_links") as batch:
        batch.drop_column("change_consent_at")
