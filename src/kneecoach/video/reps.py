"""Find squat repetitions in a knee-flexion curve.

A rep is one excursion of the stance knee from standing into flexion and back. The curve is
smoothed with a short moving median (pose noise is spiky), then read with hysteresis: a rep starts
when flexion rises ``enter_deg`` above the standing baseline and ends when it falls back below
``exit_deg``, so a pause at the bottom or a wobble does not split or merge reps. An excursion whose
peak stays under ``min_depth_deg`` is counted as a partial rep and left out of the measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Rep:
    """Frame indices of one repetition: start, deepest frame, end (inclusive)."""

    start: int
    bottom: int
    end: int
    depth_deg: float


@dataclass(frozen=True)
class RepSegmentation:
    reps: list[Rep]
    partial: list[Rep]
    baseline_deg: float


def moving_median(x: ArrayLike, window: int) -> np.ndarray:
    """Centred moving median with edge padding; NaNs (frames without a pose) are ignored."""
    a = np.asarray(x, dtype=float)
    if window <= 1 or a.size == 0:
        return a.copy()
    half = window // 2
    padded = np.pad(a, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(windows, axis=1)


def segment_reps(
    flexion_deg: ArrayLike,
    fps: float,
    *,
    enter_deg: float = 15.0,
    exit_deg: float = 10.0,
    min_depth_deg: float = 30.0,
    min_duration_s: float = 0.4,
) -> RepSegmentation:
    """Split a knee-flexion series (degrees per frame) into full and partial reps."""
    raw = np.asarray(flexion_deg, dtype=float)
    window = max(1, int(round(fps * 0.15)) | 1)
    smooth = moving_median(raw, window)
    finite = smooth[np.isfinite(smooth)]
    if finite.size == 0:
        return RepSegmentation([], [], float("nan"))
    baseline = float(np.percentile(finite, 10))
    reps: list[Rep] = []
    partial: list[Rep] = []
    inside = False
    start = 0
    for i, v in enumerate(smooth):
        if not np.isfinite(v):
            continue
        if not inside and v > baseline + enter_deg:
            inside = True
            # walk back to where the descent began
            start = i
            while start > 0 and np.isfinite(smooth[start - 1]) and smooth[start - 1] < smooth[start] and smooth[start - 1] > baseline + exit_deg / 2:
                start -= 1
        elif inside and v < baseline + exit_deg:
            inside = False
            _close(smooth, start, i, baseline, fps, min_depth_deg, min_duration_s, reps, partial)
    if inside:  # clip ended mid-rep: it cannot be measured as a whole rep
        seg = smooth[start:]
        b = start + int(np.nanargmax(seg))
        partial.append(Rep(start, b, len(smooth) - 1, float(smooth[b] - baseline)))
    return RepSegmentation(reps, partial, baseline)


def _close(
    smooth: np.ndarray,
    start: int,
    end: int,
    baseline: float,
    fps: float,
    min_depth_deg: float,
    min_duration_s: float,
    reps: list[Rep],
    partial: list[Rep],
) -> None:
    seg = smooth[start : end + 1]
    bottom = start + int(np.nanargmax(seg))
    rep = Rep(start, bottom, end, float(smooth[bottom] - baseline))
    if rep.depth_deg >= min_depth_deg and (end - start + 1) / fps >= min_duration_s:
        reps.append(rep)
    else:
        partial.append(rep)
