"""Joint angles of a single-leg squat seen from the front.

All 2-D functions take image coordinates (x to the right, y downwards, any unit, since only angles
are returned). Signs are defined relative to the body, not the image, so a mirrored clip gives the
same numbers with the sides swapped:

- FPPA (frontal plane projection angle, Munro 2012; Willson & Davis 2008): 180 deg minus the angle
  at the knee between thigh and shank; positive when the knee lies medial of the hip-ankle line
  (knee drops inward, "valgus"), negative when lateral.
- Pelvic drop: tilt of the hip line, positive when the hip of the lifted leg is lower than the
  stance hip (contralateral pelvic drop, a sign of weak hip abductors: Crossley 2011).
- Trunk lean: tilt of the mid-hip -> mid-shoulder line from vertical, positive towards the
  stance leg.
- Knee flexion (squat depth): 180 deg minus the 3-D angle hip-knee-ankle, from the pose model's
  metric world landmarks, because the frontal image alone hides flexion.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _as2(p: ArrayLike) -> Array:
    a = np.asarray(p, dtype=float)
    return a[..., :2]


def _cross2(a: Array, b: Array) -> Array:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def fppa_deg(hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike, other_hip: ArrayLike) -> Array:
    """Signed FPPA of the leg hip-knee-ankle; ``other_hip`` tells which way is medial.

    Works on single points (shape (2,)) or on time series (shape (n, 2)).
    """
    h, k, a, o = _as2(hip), _as2(knee), _as2(ankle), _as2(other_hip)
    thigh = h - k
    shank = a - k
    cos = np.sum(thigh * shank, axis=-1) / (np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1))
    inner = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    magnitude = 180.0 - inner
    # Which side of the hip->ankle line the knee is on, compared with the side the other hip is on.
    axis = a - h
    knee_side = np.sign(_cross2(axis, k - h))
    medial_side = np.sign(_cross2(axis, o - h))
    sign = np.where(knee_side == 0, 1.0, knee_side * medial_side)
    return magnitude * sign


def pelvic_drop_deg(stance_hip: ArrayLike, other_hip: ArrayLike) -> Array:
    """Tilt of the pelvis; positive when the lifted leg's hip sits lower than the stance hip."""
    s, o = _as2(stance_hip), _as2(other_hip)
    dy = o[..., 1] - s[..., 1]  # y grows downwards: positive = other hip lower
    dx = np.abs(o[..., 0] - s[..., 0])
    return np.degrees(np.arctan2(dy, dx))


def trunk_lean_deg(
    stance_hip: ArrayLike, other_hip: ArrayLike, stance_shoulder: ArrayLike, other_shoulder: ArrayLike
) -> Array:
    """Sideways lean of the trunk from vertical; positive towards the stance leg."""
    sh, oh = _as2(stance_hip), _as2(other_hip)
    mid_hip = (sh + oh) / 2
    mid_sh = (_as2(stance_shoulder) + _as2(other_shoulder)) / 2
    v = mid_sh - mid_hip
    towards_stance = np.sign(sh[..., 0] - oh[..., 0])
    sideways = v[..., 0] * towards_stance
    up = -v[..., 1]
    return np.degrees(np.arctan2(sideways, up))


def knee_flexion_deg(hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike) -> Array:
    """Knee flexion, 0 deg with the leg straight, from 2-D or 3-D points."""
    h, k, a = (np.asarray(p, dtype=float) for p in (hip, knee, ankle))
    thigh = h - k
    shank = a - k
    cos = np.sum(thigh * shank, axis=-1) / (np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def limb_symmetry_pct(a: float, b: float) -> float | None:
    """Smaller over larger absolute value, in percent (100 = identical); None if both are ~0."""
    lo, hi = sorted((abs(a), abs(b)))
    if hi < 1e-9:
        return None
    return 100.0 * lo / hi
