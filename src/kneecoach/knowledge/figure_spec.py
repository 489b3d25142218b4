"""Schema of a ``figure:`` block in exercises.yaml and self_tests.yaml.

Kept free of any import from :mod:`kneecoach.knowledge` so the knowledge schema
can embed it without a cycle. Cross-checks that need the body model (joint
ranges, contacts) live in :mod:`kneecoach.knowledge.figure_checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PropKind = Literal[
    "floor", "wall", "chair", "box", "step", "bench", "ball", "band", "foam_roller", "lacrosse_ball",
    "dumbbells", "dowel", "pad", "mirror",
]
#: Props drawn from body points in every keyframe (they move with the body).
ATTACHED_KINDS = frozenset({"band", "dumbbells", "dowel", "pad"})

PropId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Fig(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class Prop(_Fig):
    """Something the body touches or holds.

    World coordinates are in body heights (a figure is about 1.0 tall): ``y`` is
    forward, ``z`` up, ``x`` to the person's right; the floor is ``z = 0``.
    Boxes, chairs, steps and benches span ``y..y+depth`` and ``0..height``; a
    wall is the plane ``y`` (the person stands in front of it, at larger y);
    balls and rollers are centred at ``(x, y, z)`` with radius ``r`` (a ball
    or roller with ``attach`` is centred at that body point plus ``offset``).
    Bands, dumbbells, dowels and pads are drawn from the body points in
    ``attach`` in every keyframe.
    """

    id: PropId
    kind: PropKind
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    depth: float = Field(default=0.3, gt=0, le=2.0)
    height: float = Field(default=0.25, gt=0, le=1.5)
    width: float = Field(default=0.4, gt=0, le=2.0, description="Side to side, for the front view.")
    r: float = Field(default=0.08, gt=0, le=0.6)
    attach: list[str] = Field(default_factory=list, description="Body points the prop follows.")
    offset: tuple[float, float] = (0.0, 0.0)


class Anchor(_Fig):
    """Place the body so that ``point`` is at ``at`` = (forward y, up z)."""

    point: str
    at: tuple[float, float]


class Contact(_Fig):
    """The body point must touch the prop's surface (within a tolerance)."""

    point: str
    prop: PropId


class Keyframe(_Fig):
    """One pose: joint angles in degrees (see :data:`kneecoach.knowledge.figure_model.JOINTS`).

    A joint name without ``_l``/``_r`` (``hip: 90``) sets both sides. Without an
    ``anchor`` the body is stood on the floor (its lowest point at z = 0).
    """

    label: str = Field(min_length=1, max_length=60)
    pose: dict[str, float] = Field(default_factory=dict)
    anchor: Anchor | None = None
    contacts: list[Contact] = Field(default_factory=list)
    props: list[PropId] | None = Field(default=None, description="Props shown in this pose; default all.")
    airborne: bool = Field(default=False, description="Mid-jump: the pose may touch nothing.")


class Figure(_Fig):
    """How an exercise or self-test is drawn."""

    view: Literal["side", "front"]
    elevation: float = Field(default=0.0, ge=0.0, le=60.0,
                             description="Camera raised this many degrees (a side-lying pose reads better from above).")
    props: list[Prop] = Field(default_factory=list)
    highlight: list[str] | None = Field(
        default=None, description="Muscle ids to colour; default: the exercise's targets.")
    working_side: Literal["right", "left", "both"] = Field(
        default="both", description="Which leg/arm the highlight goes on.")
    keyframes: list[Keyframe] = Field(min_length=2, max_length=4)
    wrong: list[Keyframe] = Field(
        default_factory=list, max_length=2,
        description="Poses shown crossed out, next to the right way (self-tests).")
