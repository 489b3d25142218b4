"""Frames per second of the whole video analysis (decode, pose, face check, gates, reps, measures).

Input: the real test clip (tests/data/video/pose_squats.mp4, 720x1280, 5 frames/s) turned into a
30 frames/s 720p clip by repeating each frame 6 times (13 s, 390 frames), so frame skipping has
frames to skip. Pin to 2 cores to match the target machine:

    taskset -c 0,1 .venv/bin/python benchmarks/bench_video.py

The angle effect of skipping is measured on the original 5 frames/s clip, where neighbouring
frames really differ (a harsher test than skipping at 30 frames/s): FPPA of the stance knee per
frame, stride 1 versus stride n, over the frames both analysed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from kneecoach.video import geometry
from kneecoach.video.analysis import ANKLE, HIP, KNEE, analyse
from kneecoach.video.pose import extract_pose

CLIP = Path(__file__).resolve().parent.parent / "tests" / "data" / "video" / "pose_squats.mp4"


def make_30fps(dst: Path, repeat: int = 6) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(CLIP))
    out = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if out is None:
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 5.0 * repeat, (frame.shape[1], frame.shape[0]))
        for _ in range(repeat):
            out.write(frame)
    cap.release()
    out.release()
    return dst


def fppa_left(series) -> np.ndarray:
    return geometry.fppa_deg(series.px(HIP["left"]), series.px(KNEE["left"]), series.px(ANKLE["left"]), series.px(HIP["right"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strides", default="1,2,3")
    args = ap.parse_args()
    strides = [int(s) for s in args.strides.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_30fps(Path(tmp) / "squats_30fps.mp4")
        import cv2

        n = int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
        extract_pose(clip, stride=3)  # warm-up: model load
        print(f"clip: 720x1280, {n} frames at 30 fps ({n / 30:.1f} s)")
        for stride in strides:
            t = time.perf_counter()
            series = extract_pose(clip, stride=stride)
            analyse(series, side="left", min_reps=2, check=False)
            dt = time.perf_counter() - t
            print(f"stride {stride}: {dt:6.2f} s, {n / dt:6.1f} clip frames/s ({series.image.shape[0] / dt:5.1f} analysed frames/s)")
    base = extract_pose(CLIP)
    f1 = fppa_left(base)
    for stride in strides[1:]:
        s = extract_pose(CLIP, stride=stride)
        fs = fppa_left(s)
        ref = f1[s.frame_index]
        ok = np.isfinite(ref) & np.isfinite(fs)
        d = np.abs(ref[ok] - fs[ok])
        print(f"FPPA, stride {stride} vs 1 on 5 fps frames: median |diff| {np.median(d):.2f} deg, 90th pct {np.percentile(d, 90):.2f} deg")


if __name__ == "__main__":
    main()
