"""Pictures of an analysis: the key frame with skeleton and angle drawn, and angles over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import numpy as np  # noqa: E402

from kneecoach.video.analysis import ANKLE, HIP, KNEE, Analysis, PoseSeries  # noqa: E402

BONES = [(11, 12), (11, 23), (12, 24), (23, 24), (23, 25), (25, 27), (24, 26), (26, 28)]


def angle_chart(analysis: Analysis, path: Path) -> Path:
    """FPPA of each leg per frame, with the measured reps shaded; PNG."""
    fig = Figure(figsize=(8, 3.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    t = np.array(analysis.frame_index, dtype=float) / (analysis.fps * _stride(analysis))
    colours = {"left": "tab:blue", "right": "tab:orange"}
    for side, series in analysis.fppa_series.items():
        y = np.array([np.nan if v is None else v for v in series], dtype=float)
        ax.plot(t, y, label=f"{side} FPPA", color=colours[side], linewidth=1.2, alpha=0.9 if side in analysis.sides else 0.3)
    fps_orig = analysis.fps * _stride(analysis)
    for r in analysis.reps:
        ax.axvspan(r.start_frame / fps_orig, r.end_frame / fps_orig, color=colours[r.side], alpha=0.08)
        ax.plot([r.bottom_frame / fps_orig], [r.fppa_deg], "o", color=colours[r.side], markersize=4)
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("FPPA (deg, + = knee inward)")
    ax.set_title("Knee angle seen from the front (shaded: measured reps)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _stride(analysis: Analysis) -> int:
    idx = analysis.frame_index
    return max(1, idx[1] - idx[0]) if len(idx) > 1 else 1


def key_frame(clip: Path, series: PoseSeries, analysis: Analysis, side: str, path: Path) -> Path:
    """The bottom of the side's most typical rep, skeleton and FPPA drawn on it; PNG."""
    import cv2

    res = analysis.sides[side]
    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, res.key_frame)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise ValueError(f"could not read frame {res.key_frame} of {clip.name}")
    row = int(np.searchsorted(series.frame_index, res.key_frame))
    h, w = frame.shape[:2]
    pts = {i: (int(series.image[row, i, 0] * w), int(series.image[row, i, 1] * h)) for i in range(33)
           if np.isfinite(series.image[row, i, 0])}
    thick = max(2, w // 300)
    for a, b in BONES:
        if a in pts and b in pts:
            cv2.line(frame, pts[a], pts[b], (255, 255, 255), thick, cv2.LINE_AA)
    hip, knee, ankle = pts.get(HIP[side]), pts.get(KNEE[side]), pts.get(ANKLE[side])
    if hip and knee and ankle:
        cv2.line(frame, hip, knee, (0, 200, 255), thick + 1, cv2.LINE_AA)
        cv2.line(frame, knee, ankle, (0, 200, 255), thick + 1, cv2.LINE_AA)
        # the thigh line carried on past the knee: FPPA is the angle between it and the shank
        ext = (2 * knee[0] - hip[0], 2 * knee[1] - hip[1])
        ext = (knee[0] + (ext[0] - knee[0]) // 2, knee[1] + (ext[1] - knee[1]) // 2)
        cv2.line(frame, knee, ext, (0, 200, 255), max(1, thick // 2), cv2.LINE_AA)
        for p in (hip, knee, ankle):
            cv2.circle(frame, p, thick * 3, (0, 80, 255), -1, cv2.LINE_AA)
        label = f"{side} FPPA {res.fppa_deg:+.1f} deg"
        scale = max(0.6, w / 900)
        org = (max(5, knee[0] - int(120 * scale)), max(30, knee[1] - int(30 * scale)))
        cv2.putText(frame, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(frame, label, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    cv2.imwrite(str(path), frame)
    return path
