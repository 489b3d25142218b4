"""Races and marked days for the weekly review.

Adds ``runs.race`` (false for every stored run: nothing imported so far was
marked a race) and the ``day_marks`` table (days marked ill, or with a sign
the review refers on). Existing rows are untouched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("race", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "day_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('ill', 'chest_symptoms', 'night_pain', 'rest_pain', 'swelling', 'giving_way', 'bone_spot_pain')",
            name="ck_day_marks_kind",
        ),
    )
    op.create_index("ix_day_marks_owner_id", "day_marks", ["owner_id"])
    op.create_index("ix_day_marks_day", "day_marks", ["day"])


def downgrade() -> None:
    op.drop_index("ix_day_marks_day", table_name="day_marks")
    op.drop_index("ix_day_marks_owner_id", table_name="day_marks")
    op.drop_table("day_marks")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("race")
