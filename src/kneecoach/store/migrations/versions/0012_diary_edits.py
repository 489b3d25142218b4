"""Diary entries can be corrected or deleted after they are logged (issue 16, item 1).

Adds ``edited_at`` to ``pain_entries`` and ``exercise_sessions`` (None = as logged) and a table
``deleted_diary_keys`` holding the idempotency keys of deleted entries, so a tap queued offline and
replayed after a correction or a delete neither undoes the correction nor brings the entry back.
Only additions: existing rows keep every value and read as "never edited".

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pain_entries") as batch:
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("exercise_sessions") as batch:
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "deleted_diary_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('pain', 'exercise')", name="ck_deleted_diary_keys_kind"),
        sa.UniqueConstraint("owner_id", "kind", "idempotency_key", name="uq_deleted_diary_keys_owner_kind_key"),
    )
    op.create_index("ix_deleted_diary_keys_owner_id", "deleted_diary_keys", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_deleted_diary_keys_owner_id", table_name="deleted_diary_keys")
    op.drop_table("deleted_diary_keys")
    with op.batch_alter_table("exercise_sessions") as batch:
        batch.drop_column("edited_at")
    with op.batch_alter_table("pain_entries") as batch:
        batch.drop_column("edited_at")
