"""What ``kneecoach kb check`` verifies about a figure.

Each problem names the file, the entry and the keyframe, e.g.
``exercises.yaml glute_bridge: figure keyframe 'Start': knee_r 170 is outside 0..150``,
so a clinician editing YAML can fix it without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kneecoach.knowledge.figure_anatomy import REGIONS
from kneecoach.knowledge.figure_model import (
    POINTS,
    Body,
    expand_pose,
    joint_range,
    placed,
    point_radius,
    segment_length,
)
from kneecoach.knowledge.figure_spec import ATTACHED_KINDS, Figure, Keyframe, Prop

#: How far (body heights, about 2 cm per 0.01 for a 1.75 m runner) a contact may miss its surface.
CONTACT_TOLERANCE = 0.03
#: How far a solved segment may differ from its fixed length (rounding only).
LENGTH_TOLERANCE = 1e-6
#: How far below the floor any body point may go.
FLOOR_TOLERANCE = 0.02


def surface_distance(p: np.ndarray, prop: Prop, radius: float, body: Body) -> float | None:
    """Distance from the body surface at ``p`` to ``prop``'s surface (None: not a touchable prop)."""
    x, y, z = (float(c) for c in p)
    if prop.kind == "floor":
        return abs(z - radius)
    if prop.kind in ("wall", "mirror"):
        return abs(abs(y - prop.y) - radius)
    if prop.kind in ("box", "chair", "step", "bench"):
        top = prop.height
        dy = max(prop.y - y, 0.0, y - (prop.y + prop.depth))
        return float(np.hypot(dy, abs(z - radius - top)))
    if prop.kind in ("ball", "lacrosse_ball", "foam_roller", "pad"):
        centre = prop_centre(prop, body)
        d = p - centre
        if prop.kind == "foam_roller":
            d = np.array([0.0, d[1], d[2]])   # a cylinder along x
        return abs(float(np.linalg.norm(d)) - prop.r - radius)
    return None


def prop_centre(prop: Prop, body: Body) -> np.ndarray:
    """Centre of a ball/roller/pad: fixed, or a body point plus ``offset`` (y, z)."""
    if prop.attach:
        base = body.points[prop.attach[0]]
        return base + np.array([0.0, prop.offset[0], prop.offset[1]])
    return np.array([prop.x, prop.y, prop.z])


def keyframe_body(kf: Keyframe) -> Body:
    """The solved, placed body of a keyframe (assumes the keyframe passed :func:`keyframe_problems`)."""
    return placed(expand_pose(kf.pose), kf.anchor.point if kf.anchor else None, kf.anchor.at if kf.anchor else None)


def keyframe_problems(fig: Figure, kf: Keyframe, where: str) -> list[str]:
    out: list[str] = []
    here = f"{where}: figure keyframe '{kf.label}'"
    try:
        angles = expand_pose(kf.pose)
    except KeyError as exc:
        return [f"{here}: unknown joint '{exc.args[0]}'"]
    for name, value in angles.items():
        lo, hi = joint_range(name)
        if not lo <= value <= hi:
            out.append(f"{here}: {name} {value:g} is outside the human range {lo:g}..{hi:g} degrees")
    props = {p.id: p for p in fig.props}
    if kf.anchor and kf.anchor.point not in POINTS:
        out.append(f"{here}: anchor point '{kf.anchor.point}' is not a body point")
    for pid in kf.props or []:
        if pid not in props:
            out.append(f"{here}: shows prop '{pid}', which is not in the figure's props")
    for c in kf.contacts:
        if c.point not in POINTS:
            out.append(f"{here}: contact point '{c.point}' is not a body point")
        if c.prop not in props:
            out.append(f"{here}: contact prop '{c.prop}' is not in the figure's props")
    if out:
        return out
    body = keyframe_body(kf)
    for seg, a, b in body.segments:
        got = float(np.linalg.norm(body.points[b] - body.points[a]))
        if abs(got - segment_length(seg)) > LENGTH_TOLERANCE:
            out.append(f"{here}: segment {seg} is {got:.3f} long, not its fixed {segment_length(seg):.3f}")
    if "floor" in {p.kind for p in fig.props}:
        low = min(float(v[2]) - point_radius(k) for k, v in body.points.items())
        if low < -FLOOR_TOLERANCE:
            lowest = min(body.points, key=lambda k: float(body.points[k][2]) - point_radius(k))
            out.append(f"{here}: {lowest} is {-low:.2f} below the floor")
    if not kf.contacts and not kf.airborne:
        out.append(f"{here}: touches nothing; list its contacts (e.g. heel_r on the floor)")
    for c in kf.contacts:
        prop = props[c.prop]
        d = surface_distance(body.points[c.point], prop, point_radius(c.point), body)
        if d is None:
            out.append(f"{here}: contact with '{c.prop}' ({prop.kind}) cannot be checked; touch a surface prop")
        elif d > CONTACT_TOLERANCE:
            out.append(f"{here}: {c.point} should touch {c.prop} but is {d:.3f} away (tolerance {CONTACT_TOLERANCE})")
    return out


def figure_problems(fig: Figure | None, where: str, muscles: Iterable[str], default_highlight: Iterable[str],
                    standing_ids: Iterable[str] = ()) -> list[str]:
    """Every problem with one entry's figure; ``where`` is e.g. ``exercises.yaml step_up``."""
    if fig is None:
        return [f"{where}: no figure"]
    out: list[str] = []
    known = set(muscles)
    ids = [p.id for p in fig.props]
    if len(set(ids)) != len(ids):
        out.append(f"{where}: figure props have duplicate ids")
    for prop in fig.props:
        for point in prop.attach:
            if point not in POINTS:
                out.append(f"{where}: figure prop '{prop.id}' is attached to '{point}', which is not a body point")
        if prop.kind in ATTACHED_KINDS and not prop.attach:
            out.append(f"{where}: figure prop '{prop.id}' ({prop.kind}) needs 'attach' body points")
    highlight = fig.highlight if fig.highlight is not None else list(default_highlight)
    for m in highlight:
        if m not in known:
            out.append(f"{where}: figure highlights unknown muscle '{m}'")
        elif m not in REGIONS:
            out.append(f"{where}: figure highlights '{m}', which has no drawing region in knowledge/figure_anatomy.py")
    labels = [k.label for k in (*fig.keyframes, *fig.wrong)]
    if len(set(labels)) != len(labels):
        out.append(f"{where}: figure keyframe labels repeat")
    if out:
        return out
    for kf in (*fig.keyframes, *fig.wrong):
        out.extend(keyframe_problems(fig, kf, where))
    return out
