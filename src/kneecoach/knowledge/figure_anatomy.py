"""Where each muscle of muscles.yaml is drawn on the body model.

A region is a stretch of one segment (``t0``..``t1`` along it, 0 at its upper
end) on one face of it (front, back, lateral, medial or a mix). This is drawing
data, not clinical knowledge; kb check reports a highlighted muscle missing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Face -> direction in the segment's frame, for the right side (x flips for the left).
FACES: dict[str, tuple[float, float, float]] = {
    "front": (0.0, 1.0, 0.0),
    "back": (0.0, -1.0, 0.0),
    "lateral": (1.0, 0.0, 0.0),
    "medial": (-1.0, 0.0, 0.0),
    "front_medial": (-0.6, 0.8, 0.0),
    "back_lateral": (0.6, -0.8, 0.0),
}


@dataclass(frozen=True)
class Region:
    segment: str   # trunk, thigh, shank (limb segments get _r/_l added)
    face: str
    t0: float
    t1: float


REGIONS: dict[str, tuple[Region, ...]] = {
    "quadriceps": (Region("thigh", "front", 0.12, 0.88),),
    "vmo": (Region("thigh", "front_medial", 0.62, 0.95),),
    "hamstrings": (Region("thigh", "back", 0.12, 0.88),),
    "calves": (Region("shank", "back", 0.08, 0.55),),
    "glute_maximus": (Region("trunk", "back", -0.05, 0.22),),
    "glute_medius": (Region("trunk", "back_lateral", 0.05, 0.28),),
    "hip_flexors": (Region("trunk", "front", -0.02, 0.3), Region("thigh", "front", 0.0, 0.25)),
    "core": (Region("trunk", "front", 0.25, 0.75),),
    "tfl": (Region("thigh", "lateral", 0.0, 0.7),),
}

LIMB_SEGMENTS = ("thigh", "shank", "foot", "upper_arm", "forearm")


def face_vector(frame: np.ndarray, face: str, side: str) -> np.ndarray:
    """Unit direction of ``face`` of a segment with rotation ``frame`` on ``side`` ('r'/'l')."""
    fx, fy, fz = FACES[face]
    if side == "l":
        fx = -fx
    v = frame @ np.array([fx, fy, fz])
    return v / np.linalg.norm(v)
