"""Today taps: idempotency keys on diary rows, exercise status and pain, morning second answer, units.

Adds to ``exercise_sessions`` ``status`` ("done"/"skipped", existing rows become "done"), ``pain``
and ``idempotency_key`` (unique per owner); to ``pain_entries`` ``idempotency_key`` (unique per
owner) and ``worse_than_before``; to ``users`` ``distance_unit`` ("km" for everyone already
stored) and ``reminder_time``; new tables ``push_subscriptions`` and ``vapid_keys`` (reminders). Only columns are added, so existing rows keep their data; downgrade drops them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exercise_sessions") as batch:
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="done"))
        batch.add_column(sa.Column("pain", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
        batch.create_check_constraint("ck_exercise_status", "status in ('done', 'skipped')")
        batch.create_check_constraint("ck_exercise_pain_range", "pain IS NULL OR (pain >= 0 AND pain <= 10)")
        batch.create_unique_constraint("uq_exercise_owner_idempotency", ["owner_id", "idempotency_key"])
    with op.batch_alter_table("pain_entries") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("worse_than_before", sa.Boolean(), nullable=True))
        batch.create_unique_constraint("uq_pain_owner_idempotency", ["owner_id", "idempotency_key"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("distance_unit", sa.String(2), nullable=False, server_default="km"))
        batch.add_column(sa.Column("reminder_time", sa.String(5), nullable=True))
        batch.add_column(sa.Column("reminder_utc_offset_min", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_push_subscriptions_owner_id", "push_subscriptions", ["owner_id"])
    op.create_table(
        "vapid_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vapid_keys")
    op.drop_table("push_subscriptions")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: recreating ``users`` would
    # cascade-delete every row that points at a user (runs, diary) on a database with foreign keys on.
    op.drop_column("users", "reminder_utc_offset_min")
    op.drop_column("users", "reminder_time")
    op.drop_column("users", "distance_unit")
    with op.batch_alter_table("pain_entries") as batch:
        batch.drop_constraint("uq_pain_owner_idempotency", type_="unique")
        batch.drop_column("worse_than_before")
        batch.drop_column("idempotency_key")
    with op.batch_alter_table("exercise_sessions") as batch:
        batch.drop_constraint("uq_exercise_owner_idempotency", type_="unique")
        batch.drop_constraint("ck_exercise_pain_range", type_="check")
        batch.drop_constraint("ck_exercise_status", type_="check")
        batch.drop_column("idempotency_key")
        batch.drop_column("pain")
        batch.drop_column("status")
