"""Synthetic single-leg squat landmark sequences with known angles, for the video tests."""

from __future__ import annotations

import math

import numpy as np

from kneecoach.video.analysis import ANKLE, HIP, KNEE, SHOULDER, PoseSeries


def phase_curve(fps: float, reps: int, *, stand_s: float = 0.6, down_s: float = 1.0, hold_s: float = 0.0,
                depths: list[float] | None = None) -> np.ndarray:
    """0 (standing) .. 1 (bottom) per frame, smooth cosine descents and ascents."""
    parts: list[np.ndarray] = [np.zeros(int(stand_s * fps))]
    depths = depths or [1.0] * reps
    for d in depths:
        t = np.linspace(0, math.pi, int(down_s * fps), endpoint=False)
        parts.append(d * (1 - np.cos(t)) / 2)
        parts.append(np.full(int(hold_s * fps), d))
        parts.append(d * (1 + np.cos(t)) / 2)
        parts.append(np.zeros(int(stand_s * fps)))
    return np.concatenate(parts)


def squat_series(
    stance: str = "left",
    *,
    reps: int = 5,
    fppa: float = 12.0,
    drop: float = 5.0,
    lean: float = 4.0,
    flex: float = 70.0,
    fps: float = 30.0,
    width: int = 720,
    height: int = 1280,
    noise_px: float = 0.0,
    hold_s: float = 0.0,
    depths: list[float] | None = None,
    hip_half_width: float = 0.06,
    seed: int = 1,
    yaw_deg: float = 0.0,
) -> PoseSeries:
    """A person facing the camera squatting on ``stance``; every angle peaks at the bottom.

    Angles are exact in pixel space (x and y scaled by width and height), so the analysis should
    read them back to rounding error when ``noise_px`` is 0.
    """
    p = phase_curve(fps, reps, hold_s=hold_s, depths=depths)
    n = len(p)
    other = "right" if stance == "left" else "left"
    # The person's left appears on the image's right when they face the camera.
    s_img = 1.0 if stance == "left" else -1.0
    W, H = float(width), float(height)
    img = np.zeros((n, 33, 4))
    img[..., 3] = 0.95
    world = np.zeros((n, 33, 3))
    L = 0.2 * H  # thigh and shank length in pixels
    hw = hip_half_width * W
    for i, ph in enumerate(p):
        cx, hy = 0.5 * W, 0.45 * H
        sh = np.array([cx + s_img * hw, hy])
        d = math.radians(drop * ph)
        oh = np.array([cx - s_img * hw, hy + math.tan(d) * 2 * hw])
        th = math.radians(fppa * ph) / 2
        medial = -s_img
        knee = sh + L * np.array([medial * math.sin(th), math.cos(th)])
        ankle = knee + L * np.array([-medial * math.sin(th), math.cos(th)])
        mid_hip = (sh + oh) / 2
        le = math.radians(lean * ph)
        trunk = 0.3 * H
        mid_sh = mid_hip + trunk * np.array([s_img * math.sin(le), -math.cos(le)])
        shoulders = {stance: mid_sh + np.array([s_img * 1.5 * hw, 0]), other: mid_sh - np.array([s_img * 1.5 * hw, 0])}
        ok = oh + np.array([0, L])
        oa = ok + np.array([0, 0.3 * L])  # lifted foot, bent back at the knee
        pts = {HIP[stance]: sh, HIP[other]: oh, KNEE[stance]: knee, ANKLE[stance]: ankle,
               KNEE[other]: ok, ANKLE[other]: oa, SHOULDER[stance]: shoulders[stance], SHOULDER[other]: shoulders[other],
               0: mid_sh + np.array([0, -0.1 * H])}
        for idx in range(33):
            q = pts.get(idx, mid_hip)
            img[i, idx, 0] = q[0] / W
            img[i, idx, 1] = q[1] / H
        f = math.radians(flex * ph) / 2
        yw = math.radians(yaw_deg)
        # world x is the person's left-to-right: left hip at +x (as the pose model reports it)
        lr = 1.0 if stance == "left" else -1.0
        whip = lr * 0.1 * np.array([math.cos(yw), 0.0, math.sin(yw)])
        wknee = whip + 0.42 * np.array([0.0, math.cos(f), -math.sin(f)])
        wankle = wknee + 0.42 * np.array([0.0, math.cos(f), math.sin(f)])
        world[i, HIP[stance]] = whip
        world[i, KNEE[stance]] = wknee
        world[i, ANKLE[stance]] = wankle
        world[i, HIP[other]] = -whip
        world[i, KNEE[other]] = [0.0, 0.42, 0.0]
        world[i, ANKLE[other]] = [0.0, 0.42, 0.42]
    if noise_px:
        rng = np.random.default_rng(seed)
        img[..., 0] += rng.normal(0, noise_px / W, size=(n, 33))
        img[..., 1] += rng.normal(0, noise_px / H, size=(n, 33))
    return PoseSeries(img, world, fps, width, height, np.arange(n))


def concat(a: PoseSeries, b: PoseSeries) -> PoseSeries:
    """Two clips one after the other (e.g. left leg, then right leg)."""
    return PoseSeries(np.concatenate([a.image, b.image]), np.concatenate([a.world, b.world]), a.fps, a.width,
                      a.height, np.arange(a.image.shape[0] + b.image.shape[0]))
