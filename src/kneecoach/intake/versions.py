"""Profile schema versions and the upgrades between them.

A stored profile (a YAML file, or JSON in the ``profiles`` table) is never refused because
kneecoach has moved on: :func:`upgrade_profile_data` brings any older version up to
:data:`CURRENT_SCHEMA_VERSION` before validation. Each step is a pure function on plain
data, frozen once released (the Alembic data migration ``0002`` calls the same steps), so
the same old profile always upgrades the same way.

Version history:

1. The first released schema.
2. Pain-free runners (no ``symptoms``), new questions for other knee conditions (tendon
   pattern, morning stiffness, full extension, jumping sports, single-leg hop) and the
   complete Ottawa knee rule. The v1 red flag ``cannot_bear_weight_after_trauma`` asked two
   things at once ("could not take weight *or* bend to 90 degrees"); v2 asks them apart, so
   a v1 "yes" becomes "yes" to both (the cautious reading: either may have been meant) and a
   v1 "no" becomes "no" to both (it denied either).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT_SCHEMA_VERSION = 3


class ProfileVersionError(ValueError):
    """The profile says it is from a schema version this kneecoach does not know."""


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    flags = dict(out.get("red_flags") or {})
    if "cannot_bear_weight_after_trauma" in flags and "cannot_bend_90_after_trauma" not in flags:
        flags["cannot_bend_90_after_trauma"] = flags["cannot_bear_weight_after_trauma"]
    if flags:
        out["red_flags"] = flags
    out["schema_version"] = 2
    return out


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Only the version changes: v3 adds optional fields and keeps every v2 answer."""
    out = dict(data)
    out["schema_version"] = 3
    return out


_STEPS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2, 2: _v2_to_v3}


def upgrade_profile_data(data: dict[str, Any], to: int = CURRENT_SCHEMA_VERSION) -> dict[str, Any]:
    """Return ``data`` upgraded to schema ``to`` (the current one by default; a copy, the input is not changed).

    A data migration passes the version it was written for, so migration 0002 still writes
    schema 2 after schema 3 exists.
    """
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProfileVersionError(f"schema_version must be a whole number from 1 to {CURRENT_SCHEMA_VERSION}, got {version!r}")
    if version > CURRENT_SCHEMA_VERSION:
        raise ProfileVersionError(
            f"schema_version {version} is newer than this kneecoach understands ({CURRENT_SCHEMA_VERSION}); upgrade kneecoach"
        )
    while version < to:
        data = _STEPS[version](data)
        version = data["schema_version"]
    return data
