"""Data migration: stored profiles (``profiles.data``) from profile schema 1 to 2.

Schema 2 (see :mod:`kneecoach.intake.versions`) adds optional fields and splits the v1 red flag
``cannot_bear_weight_after_trauma`` into two Ottawa questions. Profiles are upgraded on read as
well, so this migration is about keeping the stored JSON honest (and queryable) rather than about
making old rows readable. The upgrade step is the frozen, pure function in ``intake.versions``;
downgrade keeps every answer a v1 reader understands and drops the rest.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kneecoach.intake.versions import upgrade_profile_data

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_profiles = sa.table("profiles", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()))

#: Fields that schema 2 added; a v1 reader would refuse them as unknown.
_V2_ONLY = {
    "symptoms": ("pain_eases_when_warm", "morning_stiffness_min"),
    "history": ("full_extension",),
    "running": ("jumping_sports",),
    "self_tests": ("single_leg_hop_cm",),
}
_V2_FLAGS = (
    "cannot_bend_90_after_trauma", "bony_tenderness_after_trauma", "age_55_after_trauma", "adolescent_hip_limp",
    "night_pain_weight_loss", "several_swollen_joints", "replacement_infection",
)


def _rewrite(step: Any) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_profiles.c.id, _profiles.c.data)).all()
    for row_id, data in rows:
        if isinstance(data, dict):
            new = step(data)
            if new != data:
                conn.execute(_profiles.update().where(_profiles.c.id == row_id).values(data=new))


def _to_v1(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("schema_version", 1) == 1:
        return data
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for section, fields in _V2_ONLY.items():
        for field in fields:
            if isinstance(out.get(section), dict):
                out[section].pop(field, None)
    flags = dict(out.get("red_flags") or {})
    if flags.get("cannot_bend_90_after_trauma") is True:
        flags["cannot_bear_weight_after_trauma"] = True
    for flag in _V2_FLAGS:
        flags.pop(flag, None)
    out["red_flags"] = flags
    if out.get("symptoms") is None:
        out.pop("symptoms", None)  # a v1 reader cannot express "no pain"; the profile keeps its other answers
    out["schema_version"] = 1
    return out


def upgrade() -> None:
    _rewrite(lambda data: upgrade_profile_data(data, to=2))


def downgrade() -> None:
    _rewrite(_to_v1)
