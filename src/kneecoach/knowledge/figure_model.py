"""A 2-D drawable body from 3-D joint angles: segments, ranges, forward kinematics.

The body is a chain of rigid segments with fixed lengths (in body heights, a
standing figure is about 1.0 tall). A pose is a set of joint angles in degrees;
:func:`solve` turns it into 3-D points and :func:`project` into a side or front
view. Working in 3-D keeps one pose valid for both views and makes
foreshortening (a thigh seen end-on in a front view) come out right, so
segment lengths never have to be faked.

World axes: x to the person's right, y forward, z up; the floor is z = 0. The
side view looks at the person's right side (they face right on the page); the
front view looks at their face (their right is on the viewer's left).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import cos, radians, sin

import numpy as np

#: Segment lengths (body heights). Fixed: kb check verifies every solved pose keeps them.
LENGTHS: dict[str, float] = {
    "trunk": 0.30,      # hip-joint centre to the base of the neck
    "neck": 0.05,
    "head": 0.075,      # neck top to head centre
    "upper_arm": 0.17,
    "forearm": 0.20,    # elbow to the end of the hand
    "thigh": 0.245,
    "shank": 0.245,
}
HEAD_R = 0.065
HIP_HALF_WIDTH = 0.08
SHOULDER_HALF_WIDTH = 0.11
#: Ankle to heel (down the shank line and a little back) and heel to toe, in the foot frame.
HEEL = (0.0, -0.025, -0.045)
TOE = (0.0, 0.15, -0.045)

#: Joint name -> (min, max) degrees. Root angles (trunk, roll, yaw) orient the whole body.
JOINTS: dict[str, tuple[float, float]] = {
    "trunk": (-180.0, 180.0),        # lean forward (+) or back (-) from upright; 90 face down, -90 on the back
    "roll": (-100.0, 100.0),         # whole body tipped onto the left (-) or right (+) side
    "yaw": (-180.0, 180.0),          # whole body turned about the vertical
    "head": (-45.0, 60.0),           # neck flexion: chin to chest (+)
    "hip": (-30.0, 135.0),           # hip flexion: thigh forward (+), behind (-)
    "hip_abd": (-30.0, 50.0),        # hip abduction: knee out (+), across (-)
    "hip_rot": (-40.0, 50.0),        # hip rotation about the thigh: knee/toes turned out (+), in (-)
    "knee": (0.0, 150.0),            # knee flexion
    "knee_valgus": (-15.0, 25.0),    # frontal knee angle: knee in, foot out (+)
    "ankle": (-50.0, 30.0),          # dorsiflexion: toes up (+), pointed (-)
    "shoulder": (-60.0, 180.0),      # shoulder flexion: arm forward/up (+)
    "shoulder_abd": (-20.0, 180.0),  # shoulder abduction: arm out to the side (+)
    "elbow": (0.0, 150.0),           # elbow flexion
}
ROOT_JOINTS = ("trunk", "roll", "yaw", "head")
SIDED_JOINTS = tuple(j for j in JOINTS if j not in ROOT_JOINTS)

#: Body points for anchors, contacts and attached props.
POINTS = (
    "pelvis", "back_low", "back_mid", "neck", "head", "hip_r", "hip_l", "knee_r", "knee_l", "ankle_r",
    "ankle_l", "heel_r", "heel_l", "toe_r", "toe_l", "thigh_r", "thigh_l", "shank_r", "shank_l",
    "shoulder_r", "shoulder_l", "elbow_r", "elbow_l", "hand_r", "hand_l",
)
#: How far the body surface is from its skeleton line at a point (for contacts).
def point_radius(point: str) -> float:
    if point in ("pelvis", "back_low", "back_mid", "neck"):
        return 0.05
    if point == "head":
        return HEAD_R
    if point.startswith(("heel", "toe")):
        return 0.0
    return 0.03


def _rx(deg: float) -> np.ndarray:
    a = radians(deg)
    return np.array([[1, 0, 0], [0, cos(a), -sin(a)], [0, sin(a), cos(a)]])


def _ry(deg: float) -> np.ndarray:
    a = radians(deg)
    return np.array([[cos(a), 0, sin(a)], [0, 1, 0], [-sin(a), 0, cos(a)]])


def _rz(deg: float) -> np.ndarray:
    a = radians(deg)
    return np.array([[cos(a), -sin(a), 0], [sin(a), cos(a), 0], [0, 0, 1]])


def expand_pose(pose: dict[str, float]) -> dict[str, float]:
    """Every joint angle with sides spelled out (``hip`` -> ``hip_r``, ``hip_l``), defaults 0.

    Raises KeyError naming an unknown joint.
    """
    out = {j: 0.0 for j in ROOT_JOINTS}
    out.update({f"{j}_{s}": 0.0 for j in SIDED_JOINTS for s in "rl"})
    for name, value in pose.items():
        if name in SIDED_JOINTS:
            out[f"{name}_r"] = out[f"{name}_l"] = float(value)
    for name, value in pose.items():
        if name in SIDED_JOINTS:
            continue
        if name not in out:
            raise KeyError(name)
        out[name] = float(value)
    return out


def joint_range(name: str) -> tuple[float, float]:
    """The range of an expanded joint name (``knee_r`` -> the knee's range)."""
    base = name[:-2] if name[-2:] in ("_r", "_l") else name
    return JOINTS[base]


@dataclass(frozen=True)
class Body:
    """A solved pose: 3-D points and segment frames (for drawing muscles on a side of a limb)."""

    points: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]   # segment name -> 3x3 rotation (columns: right, forward, up of the segment)
    segments: tuple[tuple[str, str, str], ...]  # (segment name, from point, to point)

    def translated(self, d: np.ndarray) -> "Body":
        return Body({k: v + d for k, v in self.points.items()}, self.frames, self.segments)


def solve(pose: dict[str, float]) -> Body:
    """Forward kinematics with the pelvis centre at the origin."""
    p = expand_pose(pose)
    root = _rz(p["yaw"]) @ _ry(p["roll"]) @ _rx(-p["trunk"])
    pts: dict[str, np.ndarray] = {"pelvis": np.zeros(3)}
    frames: dict[str, np.ndarray] = {"trunk": root}
    up = root @ np.array([0, 0, 1.0])
    pts["back_low"] = up * LENGTHS["trunk"] * 0.3
    pts["back_mid"] = up * LENGTHS["trunk"] * 0.6
    pts["neck"] = up * LENGTHS["trunk"]
    head_frame = root @ _rx(-p["head"])
    frames["head"] = head_frame
    pts["head"] = pts["neck"] + head_frame @ np.array([0, 0, LENGTHS["neck"] + LENGTHS["head"]])
    segs: list[tuple[str, str, str]] = [("trunk", "pelvis", "neck"), ("neck", "neck", "head")]
    for side, sign in (("r", 1.0), ("l", -1.0)):
        hip = root @ np.array([sign * HIP_HALF_WIDTH, 0, 0])
        thigh = root @ _rx(p[f"hip_{side}"]) @ _ry(-sign * p[f"hip_abd_{side}"]) @ _rz(-sign * p[f"hip_rot_{side}"])
        knee = hip + thigh @ np.array([0, 0, -LENGTHS["thigh"]])
        shank = thigh @ _ry(sign * p[f"knee_valgus_{side}"]) @ _rx(-p[f"knee_{side}"])
        ankle = knee + shank @ np.array([0, 0, -LENGTHS["shank"]])
        foot = shank @ _rx(p[f"ankle_{side}"])
        pts.update({
            f"hip_{side}": hip, f"knee_{side}": knee, f"ankle_{side}": ankle,
            f"thigh_{side}": (hip + knee) / 2, f"shank_{side}": (knee + ankle) / 2,
            f"heel_{side}": ankle + foot @ np.array(HEEL), f"toe_{side}": ankle + foot @ np.array(TOE),
        })
        frames.update({f"thigh_{side}": thigh, f"shank_{side}": shank, f"foot_{side}": foot})
        shoulder = pts["neck"] + root @ np.array([sign * SHOULDER_HALF_WIDTH, 0, 0])
        arm = root @ _rx(p[f"shoulder_{side}"]) @ _ry(-sign * p[f"shoulder_abd_{side}"])
        elbow = shoulder + arm @ np.array([0, 0, -LENGTHS["upper_arm"]])
        fore = arm @ _rx(p[f"elbow_{side}"])
        hand = elbow + fore @ np.array([0, 0, -LENGTHS["forearm"]])
        pts.update({f"shoulder_{side}": shoulder, f"elbow_{side}": elbow, f"hand_{side}": hand})
        frames.update({f"upper_arm_{side}": arm, f"forearm_{side}": fore})
        segs += [
            (f"thigh_{side}", f"hip_{side}", f"knee_{side}"), (f"shank_{side}", f"knee_{side}", f"ankle_{side}"),
            (f"foot_{side}", f"heel_{side}", f"toe_{side}"), (f"upper_arm_{side}", f"shoulder_{side}", f"elbow_{side}"),
            (f"forearm_{side}", f"elbow_{side}", f"hand_{side}"),
        ]
    segs += [("hips", "hip_r", "hip_l"), ("shoulders", "shoulder_r", "shoulder_l")]
    return Body(pts, frames, tuple(segs))


#: Expected length of each drawn segment, for the fixed-length check.
def segment_length(name: str) -> float:
    base = name[:-2] if name[-2:] in ("_r", "_l") else name
    if base == "neck":
        return LENGTHS["neck"] + LENGTHS["head"]
    if base == "foot":
        return float(np.linalg.norm(np.array(TOE) - np.array(HEEL)))
    if base == "hips":
        return 2 * HIP_HALF_WIDTH
    if base == "shoulders":
        return 2 * SHOULDER_HALF_WIDTH
    return LENGTHS[base]


def lowest_z(body: Body) -> float:
    """Lowest z of the body surface (skeleton points less their surface radius)."""
    return min(float(v[2]) - point_radius(k) for k, v in body.points.items())


def place(body: Body, anchor_point: str | None, at: tuple[float, float] | None) -> Body:
    """Move the body so the anchor point is at (y, z); without an anchor stand it on the floor."""
    if anchor_point is None or at is None:
        return body.translated(np.array([0.0, 0.0, -lowest_z(body)]))
    p = body.points[anchor_point]
    return body.translated(np.array([0.0, at[0] - p[1], at[1] - p[2]]))


def placed(angles: dict[str, float], point: str | None = None, at: tuple[float, float] | None = None) -> Body:
    """Solve and place: at the anchor, or stood on the floor with the right heel at y = 0.

    Fixing the heel when there is no anchor keeps the feet still while the body
    moves between keyframes (a squat, a lunge), as a runner would see it.
    """
    body = solve(angles)
    if point is None or at is None:
        body = place(body, None, None)
        return body.translated(np.array([0.0, -float(body.points["heel_r"][1]), 0.0]))
    return place(body, point, at)


def project(v: np.ndarray, view: str, elevation: float = 0.0) -> tuple[float, float]:
    """A world point on the page (x right, y up) for ``view``, camera raised ``elevation`` degrees."""
    h, d = (float(v[1]), float(v[0])) if view == "side" else (float(-v[0]), float(v[1]))
    if not elevation:
        return h, float(v[2])
    e = radians(elevation)
    return h, float(v[2]) * cos(e) - d * sin(e)


def depth(v: np.ndarray, view: str) -> float:
    """Larger is nearer the viewer (drawn later, darker)."""
    return float(v[0]) if view == "side" else float(v[1])
