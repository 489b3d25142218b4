"""Per-frame landmarks -> quality gates -> reps -> per-rep and per-side measures.

Works on a :class:`PoseSeries` (plain arrays), so it is tested with synthetic landmark sequences
and is independent of the pose model that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kneecoach.video import geometry
from kneecoach.video.quality import (
    MAX_OUT_OF_FRAME_FRACTION,
    MAX_YAW_DEG,
    MIN_FRONTAL_RATIO,
    MIN_POSE_FRACTION,
    MIN_REPS,
    MIN_VISIBILITY,
    VideoQualityError,
)
from kneecoach.video.reps import moving_median, segment_reps

# MediaPipe / BlazePose landmark indices (the person's own left and right).
NOSE = 0
SHOULDER = {"left": 11, "right": 12}
HIP = {"left": 23, "right": 24}
KNEE = {"left": 25, "right": 26}
ANKLE = {"left": 27, "right": 28}
HEEL = {"left": 29, "right": 30}
FOOT = {"left": 31, "right": 32}
BODY = [NOSE, 11, 12, 23, 24, 25, 26, 27, 28]
LEGS = [23, 24, 25, 26, 27, 28]
SIDES = ("left", "right")
MIRROR_INDEX = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21,
                24, 23, 26, 25, 28, 27, 30, 29, 32, 31]


MIN_THIGH_FRACTION = 0.4  # cos 66 deg: a usual single-leg squat (hip flexion 50-60 deg) stays measurable


def other(side: str) -> str:
    return "right" if side == "left" else "left"


@dataclass
class PoseSeries:
    """Landmarks of one clip, one row per analysed frame.

    image: (n, 33, 4) normalised x, y (0-1 of width/height), z, visibility; NaN where no person.
    world: (n, 33, 3) metric 3-D points (hip-centred); NaN where no person.
    """

    image: np.ndarray
    world: np.ndarray
    fps: float
    width: int
    height: int
    frame_index: np.ndarray
    faces: np.ndarray | None = None  # people's faces found per frame, where counted

    def __post_init__(self) -> None:
        n = self.image.shape[0]
        if self.image.shape[1:] != (33, 4) or self.world.shape != (n, 33, 3) or len(self.frame_index) != n:
            raise ValueError("PoseSeries: image must be (n, 33, 4), world (n, 33, 3), frame_index (n,)")

    def px(self, idx: int) -> np.ndarray:
        """(n, 2) pixel coordinates of one landmark (so angles are true to the picture)."""
        return self.image[:, idx, :2] * np.array([self.width, self.height], dtype=float)

    def mirrored(self) -> "PoseSeries":
        """The same clip flipped left-right, as a pose model would see a mirrored video."""
        img = self.image[:, MIRROR_INDEX, :].copy()
        img[..., 0] = 1.0 - img[..., 0]
        world = self.world[:, MIRROR_INDEX, :].copy()
        world[..., 0] = -world[..., 0]
        return PoseSeries(img, world, self.fps, self.width, self.height, self.frame_index.copy(),
                          None if self.faces is None else self.faces.copy())


@dataclass
class RepResult:
    side: str
    start_frame: int
    bottom_frame: int
    end_frame: int
    fppa_deg: float
    pelvic_drop_deg: float
    trunk_lean_deg: float
    knee_flexion_deg: float


@dataclass
class SideResult:
    side: str
    reps: int
    fppa_deg: float
    pelvic_drop_deg: float
    trunk_lean_deg: float
    knee_flexion_deg: float
    key_frame: int  # original frame index of the bottom of the most typical rep


@dataclass
class Analysis:
    reps: list[RepResult]
    sides: dict[str, SideResult]
    partial_reps: int
    side_source: str  # "detected" or "given"
    frames_analysed: int
    fps: float
    warnings: list[str] = field(default_factory=list)
    fppa_series: dict[str, list[float]] = field(default_factory=dict)
    frame_index: list[int] = field(default_factory=list)

    @property
    def fppa_symmetry_pct(self) -> float | None:
        """Limb symmetry of the FPPA (smaller/larger, %), when both sides were measured."""
        if len(self.sides) < 2:
            return None
        return geometry.limb_symmetry_pct(self.sides["left"].fppa_deg, self.sides["right"].fppa_deg)


def _extreme(x: np.ndarray) -> float:
    """The value of largest magnitude, sign kept (a rep's peak valgus, or peak varus if it never goes inward)."""
    finite = x[np.isfinite(x)]
    return float(finite[np.argmax(np.abs(finite))]) if finite.size else float("nan")


def check_pose_quality(s: PoseSeries) -> None:
    """Gates on the landmarks: person found, whole body in frame, visible, facing the camera, alone."""
    n = s.image.shape[0]
    found = np.isfinite(s.image[:, HIP["left"], 0])
    if n == 0 or found.mean() < MIN_POSE_FRACTION:
        raise VideoQualityError("no_person", "No person was found in most of the clip.")
    img = s.image[found]
    if s.faces is not None:
        counted = s.faces[s.faces >= 0]
        if counted.size and np.mean(counted >= 2) > 0.5:
            raise VideoQualityError("several_people", "More than one person is in view, so the measure could follow the wrong one.")
    xy = img[:, BODY, :2]
    outside = np.any((xy < 0.0) | (xy > 1.0), axis=(1, 2))
    if outside.mean() > MAX_OUT_OF_FRAME_FRACTION:
        raise VideoQualityError("body_not_in_frame", "Your whole body is not in the frame (head, hips, knees or feet are cut off).")
    vis = np.median(img[:, LEGS, 3])
    if vis < MIN_VISIBILITY:
        raise VideoQualityError("low_visibility", f"Hips, knees and ankles are hard to see (visibility {vis:.2f}, below {MIN_VISIBILITY}); more light or less clutter helps.")
    found_px = {i: s.px(i)[found] for i in (11, 12, 23, 24)}
    hip_w = np.linalg.norm(found_px[23] - found_px[24], axis=1)
    mid_hip = (found_px[23] + found_px[24]) / 2
    mid_sh = (found_px[11] + found_px[12]) / 2
    trunk = np.linalg.norm(mid_sh - mid_hip, axis=1)
    ratio = float(np.median(hip_w / np.maximum(trunk, 1e-9)))
    if ratio < MIN_FRONTAL_RATIO:
        raise VideoQualityError("not_frontal", "The camera is not in front of you (the clip looks filmed from the side), so the knee angle cannot be read.")
    # Turned part-way: the pose model's 3-D hips show the pelvis rotated away from the camera, and
    # then ordinary forward knee bend shows up in the picture as a sideways knee angle.
    hips = s.world[found][:, [HIP["left"], HIP["right"]], :]
    d = hips[:, 0, :] - hips[:, 1, :]
    yaw = float(np.degrees(np.nanmedian(np.abs(np.arctan2(d[:, 2], np.abs(d[:, 0]))))))
    if yaw > MAX_YAW_DEG:
        raise VideoQualityError("not_frontal", f"You are turned about {yaw:.0f} degrees away from the camera (at most {MAX_YAW_DEG:.0f} works); face the phone squarely.")


def stance_side_per_frame(s: PoseSeries) -> np.ndarray:
    """'left'/'right'/'' per frame: the standing leg is the one whose ankle is lower in the image."""
    ly = s.image[:, ANKLE["left"], 1]
    ry = s.image[:, ANKLE["right"], 1]
    leg = np.linalg.norm(s.image[:, HIP["left"], :2] - s.image[:, ANKLE["left"], :2], axis=1)
    diff = moving_median((ly - ry) / np.maximum(leg, 1e-9), max(1, int(s.fps * 0.5)) | 1)
    out = np.full(len(diff), "", dtype=object)
    out[diff > 0.05] = "left"
    out[diff < -0.05] = "right"
    return out


def analyse(s: PoseSeries, side: str | None = None, *, min_reps: int = MIN_REPS, check: bool = True) -> Analysis:
    """Measure every full rep and summarise each side (median over its reps).

    ``side`` forces the standing leg for the whole clip; otherwise it is found per frame, so one
    clip may hold both legs one after the other. ``check=False`` skips the pose gates, only to
    inspect a clip they refuse (tests, research); faces never call it that way.
    """
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    if check:
        check_pose_quality(s)
    n = s.image.shape[0]
    stance = np.full(n, side, dtype=object) if side else stance_side_per_frame(s)
    if side is None and np.mean(stance == "") > 0.5:
        raise VideoQualityError("side_unclear", "Could not tell which leg you stand on (both feet seem on the ground); give --side left or right.")

    per_side: dict[str, dict[str, np.ndarray]] = {}
    for sd in SIDES:
        o = other(sd)
        per_side[sd] = {
            "fppa": geometry.fppa_deg(s.px(HIP[sd]), s.px(KNEE[sd]), s.px(ANKLE[sd]), s.px(HIP[o])),
            "drop": geometry.pelvic_drop_deg(s.px(HIP[sd]), s.px(HIP[o])),
            "lean": geometry.trunk_lean_deg(s.px(HIP[sd]), s.px(HIP[o]), s.px(SHOULDER[sd]), s.px(SHOULDER[o])),
            "flex": geometry.knee_flexion_deg(s.world[:, HIP[sd]], s.world[:, KNEE[sd]], s.world[:, ANKLE[sd]]),
        }
        # A thigh pointing at the camera shrinks to a stub in the picture and its 2-D angle means
        # nothing; FPPA is read only while the thigh keeps MIN_THIGH_FRACTION of its standing length.
        thigh = np.linalg.norm(s.px(HIP[sd]) - s.px(KNEE[sd]), axis=1)
        standing = np.nanpercentile(thigh, 90) if np.isfinite(thigh).any() else np.nan
        foreshortened = ~(thigh >= MIN_THIGH_FRACTION * standing)
        per_side[sd]["fppa"] = np.where(foreshortened, np.nan, per_side[sd]["fppa"])
    stance_flex = np.full(n, np.nan)
    for sd in SIDES:
        stance_flex[stance == sd] = per_side[sd]["flex"][stance == sd]
    seg = segment_reps(stance_flex, s.fps)

    reps: list[RepResult] = []
    warnings: list[str] = []
    for r in seg.reps:
        window = stance[r.start : r.end + 1]
        sides_in = [x for x in window if x]
        if not sides_in:
            continue
        sd = max(SIDES, key=sides_in.count)
        m = per_side[sd]
        sl = slice(r.start, r.end + 1)
        if not np.isfinite(m["fppa"][sl]).any():
            warnings.append(f"A rep on the {sd} leg went so deep that the thigh pointed at the camera; it was left out.")
            continue
        reps.append(RepResult(
            side=sd,
            start_frame=int(s.frame_index[r.start]),
            bottom_frame=int(s.frame_index[r.bottom]),
            end_frame=int(s.frame_index[r.end]),
            fppa_deg=_extreme(moving_median(m["fppa"], 3)[sl]),
            pelvic_drop_deg=_extreme(moving_median(m["drop"], 3)[sl]),
            trunk_lean_deg=_extreme(moving_median(m["lean"], 3)[sl]),
            knee_flexion_deg=float(np.nanmax(m["flex"][sl])),
        ))

    sides: dict[str, SideResult] = {}
    for sd in SIDES:
        mine = [r for r in reps if r.side == sd]
        if not mine:
            continue
        if len(mine) < min_reps:
            warnings.append(f"Only {len(mine)} full rep(s) on the {sd} leg; at least {min_reps} are needed, so that side is not reported.")
            continue
        fppa = float(np.median([r.fppa_deg for r in mine]))
        typical = min(mine, key=lambda r: abs(r.fppa_deg - fppa))
        sides[sd] = SideResult(
            side=sd,
            reps=len(mine),
            fppa_deg=fppa,
            pelvic_drop_deg=float(np.median([r.pelvic_drop_deg for r in mine])),
            trunk_lean_deg=float(np.median([r.trunk_lean_deg for r in mine])),
            knee_flexion_deg=float(np.median([r.knee_flexion_deg for r in mine])),
            key_frame=typical.bottom_frame,
        )
    if not sides:
        extra = "".join(f" {w}" for w in dict.fromkeys(warnings))
        raise VideoQualityError("too_few_reps", f"Found {len(reps)} measurable full rep(s) ({len(seg.partial)} partial); at least {min_reps} slow, full single-leg squats per leg are needed.{extra}")
    if seg.partial:
        warnings.append(f"{len(seg.partial)} partial rep(s) were too shallow or cut off and were left out.")
    return Analysis(
        reps=reps,
        sides=sides,
        partial_reps=len(seg.partial),
        side_source="given" if side else "detected",
        frames_analysed=n,
        fps=s.fps,
        warnings=warnings,
        fppa_series={sd: [None if not np.isfinite(v) else round(float(v), 2) for v in per_side[sd]["fppa"]] for sd in SIDES},
        frame_index=[int(i) for i in s.frame_index],
    )
