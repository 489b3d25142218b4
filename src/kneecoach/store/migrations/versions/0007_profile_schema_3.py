"""Data migration: stored profiles (``profiles.data``) from profile schema 2 to 3 (triage, issue 15).

Schema 3 (see :mod:`kneecoach.intake.versions`) adds optional fields only: the bone stress and
acute-injury questions (new ``red_flags`` keys that feed findings), ``history.cleared_to_run``,
``history.knee_flexion_pct_of_other_side``, and "not answered" for swelling, pain at rest and full
range of motion. Every answer a v2 profile stored is kept as it is; only the version changes.
The upgrade step is the frozen, pure function in ``intake.versions``. Downgrade keeps every
answer a v2 reader understands and drops the rest: the v3-only fields and questions, and the
"not answered" values (a v2 reader has no such value; it then shows its own default, as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from kneecoach.intake.versions import upgrade_profile_data

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_profiles = sa.table("profiles", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()))

#: Fields that schema 3 added; a v2 reader would refuse them as unknown.
_V3_ONLY = {"history": ("cleared_to_run", "knee_flexion_pct_of_other_side"), "running": ("recent_rise_pct",)}
#: Fields that schema 3 lets be None ("not answered"); a v2 reader needs a value or nothing.
_V3_NULLABLE = {"symptoms": ("swelling", "pain_at_rest"), "history": ("full_range_of_motion",)}
_V3_FLAGS = (
    "bsi_fast_load_rise", "bsi_bone_pain_walking_or_rest", "bsi_pain_on_hopping", "bsi_tender_spot_on_bone",
    "bsi_previous_bone_stress", "bsi_low_energy", "bsi_missed_periods", "bsi_low_bone_density",
    "acute_twist_fall_blow", "acute_catching_clicking", "acute_joint_line_pain",
)


def _rewrite(step: Any) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_profiles.c.id, _profiles.c.data)).all()
    for row_id, data in rows:
        if isinstance(data, dict):
            new = step(data)
            if new != data:
                conn.execute(_profiles.update().where(_profiles.c.id == row_id).values(data=new))


def _to_v2(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("schema_version", 1) != 3:
        return data
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for section, fields in _V3_ONLY.items():
        for field in fields:
            if isinstance(out.get(section), dict):
                out[section].pop(field, None)
    for section, fields in _V3_NULLABLE.items():
        for field in fields:
            if isinstance(out.get(section), dict) and out[section].get(field, 0) is None:
                out[section].pop(field)
    flags = dict(out.get("red_flags") or {})
    for flag in _V3_FLAGS:
        flags.pop(flag, None)
    out["red_flags"] = flags
    out["schema_version"] = 2
    return out


def upgrade() -> None:
    _rewrite(lambda data: upgrade_profile_data(data, to=3))


def downgrade() -> None:
    _rewrite(_to_v2)
