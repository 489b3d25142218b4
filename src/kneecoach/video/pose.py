"""Clip -> :class:`PoseSeries` with MediaPipe's legacy ``solutions.pose`` (BlazePose, CPU).

``mediapipe==0.10.21`` carries the pose_detection and pose_landmark_full models inside its wheel,
so nothing is downloaded at run time (a clinic server or CI has no network). Newer releases fetch
models on first use, which is why the version is pinned in the ``video`` extra. Video decoding is
OpenCV's. Faces are counted on a few frames with MediaPipe's full-range face detector (also in the
wheel), because the pose model follows one person only and would silently pick one of several.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from kneecoach.video.analysis import PoseSeries
from kneecoach.video.quality import MAX_CLIP_BYTES, MAX_CLIP_SECONDS, VideoQualityError

MISSING_EXTRA = (
    "Video analysis needs the optional extra: pip install 'kneecoach[video]' "
    "(MediaPipe 0.10.21 and OpenCV)."
)
FACE_CHECKS = 6  # frames sampled for the several-people gate
MAX_SIDE_PX = 960  # larger frames are scaled down first: the pose model works at 256 px anyway

Progress = Callable[[float], None]


@contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while MediaPipe runs, for a terminal command.

    MediaPipe's C++ graph (absl and glog) and TensorFlow Lite write start-up and per-graph lines
    ("Created TensorFlow Lite XNNPACK delegate", "All log messages before absl::InitializeLog()",
    "Feedback manager requires a model ...") straight to the process's stderr, below Python, where
    no logging setting reaches them; to a runner they read like errors. The descriptor is shared by
    the whole process, so this is for the CLI only: a server's threads must keep their stderr.
    Python exceptions are unaffected (they propagate and print after the descriptor is restored).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def video_available() -> str | None:
    """None when the extra is installed, else the reason it cannot run."""
    try:
        import cv2  # noqa: F401
        import mediapipe  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        return f"{MISSING_EXTRA} ({exc})"
    return None


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError(MISSING_EXTRA) from exc
    return cv2


def open_clip(path: Path) -> tuple[Any, float, int, int, int]:
    """Open a clip after the file gates (size, is it a video, length); returns cap, fps, frames, w, h."""
    cv2 = _cv2()
    if not path.is_file():
        raise FileNotFoundError(f"No such clip: {path}")
    size = path.stat().st_size
    if size > MAX_CLIP_BYTES:
        raise VideoQualityError("clip_too_large", f"The clip is {size / 2**20:.0f} MB; the limit is {MAX_CLIP_BYTES / 2**20:.0f} MB. Film only the squats, or at a lower resolution.")
    cap = cv2.VideoCapture(str(path))
    ok, first = cap.read() if cap.isOpened() else (False, None)
    if not ok or first is None:
        cap.release()
        raise VideoQualityError("not_a_video", f"{path.name} could not be read as a video (no frames decoded).")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not (1.0 <= fps <= 240.0):
        fps = 30.0
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    if frames / fps > MAX_CLIP_SECONDS:
        cap.release()
        raise VideoQualityError("clip_too_long", f"The clip lasts {frames / fps:.0f} s; the limit is {MAX_CLIP_SECONDS:.0f} s. Film 3-5 squats per leg and stop.")
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    h, w = first.shape[:2]
    return cap, fps, frames, w, h


def _scale(frame: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    h, w = frame.shape[:2]
    big = max(h, w)
    if big <= MAX_SIDE_PX:
        return frame
    f = MAX_SIDE_PX / big
    return cv2.resize(frame, (int(w * f), int(h * f)), interpolation=cv2.INTER_AREA)


def extract_pose(path: Path, *, stride: int = 1, progress: Progress | None = None, count_faces: bool = True) -> PoseSeries:
    """Run the pose model on every ``stride``-th frame of the clip."""
    cv2 = _cv2()
    import mediapipe as mp

    if stride < 1:
        raise ValueError("stride must be 1 or more")
    cap, fps, frames, w, h = open_clip(path)
    img_rows: list[np.ndarray] = []
    world_rows: list[np.ndarray] = []
    index: list[int] = []
    faces: list[int] = []
    face_every = max(1, frames // FACE_CHECKS) if frames else 30
    nan_img = np.full((33, 4), np.nan)
    nan_world = np.full((33, 3), np.nan)
    os.environ.setdefault("GLOG_minloglevel", "2")
    face_det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6) if count_faces else None
    try:
        with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                                    min_detection_confidence=0.5, min_tracking_confidence=0.5) as pose:
            i = 0
            while True:
                if i % stride:
                    if not cap.grab():
                        break
                    i += 1
                    continue
                ok, frame = cap.read()
                if not ok:
                    break
                if i / fps > MAX_CLIP_SECONDS:  # containers that do not state their length
                    raise VideoQualityError("clip_too_long", f"The clip lasts more than {MAX_CLIP_SECONDS:.0f} s. Film 3-5 squats per leg and stop.")
                rgb = cv2.cvtColor(_scale(frame), cv2.COLOR_BGR2RGB)
                res = pose.process(rgb)
                if res.pose_landmarks is not None and res.pose_world_landmarks is not None:
                    img_rows.append(np.array([[p.x, p.y, p.z, p.visibility] for p in res.pose_landmarks.landmark]))
                    world_rows.append(np.array([[p.x, p.y, p.z] for p in res.pose_world_landmarks.landmark]))
                else:
                    img_rows.append(nan_img)
                    world_rows.append(nan_world)
                n_faces = -1
                if face_det is not None and i % face_every == 0:
                    fr = face_det.process(rgb)
                    n_faces = len(fr.detections or [])
                faces.append(n_faces)
                index.append(i)
                i += 1
                if progress and frames:
                    progress(min(1.0, i / frames))
    finally:
        cap.release()
        if face_det is not None:
            face_det.close()
    if not index:
        raise VideoQualityError("not_a_video", f"{path.name} has no frames to analyse.")
    return PoseSeries(np.stack(img_rows), np.stack(world_rows), fps / stride, w, h, np.array(index), np.array(faces))
