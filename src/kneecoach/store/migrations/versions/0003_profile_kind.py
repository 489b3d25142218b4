"""Profiles record whether they came from the intake or a re-test (``profiles.kind``).

A re-test is a new dated profile version of the same runner; the original intake stays. Existing
rows are intakes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="intake"))


def downgrade() -> None:
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("kind")
