"""The pose and face models load from the mediapipe wheel with the network cut off."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from kneecoach.video.pose import video_available

CODE = """
import numpy as np, mediapipe as mp
with mp.solutions.pose.Pose(model_complexity=1) as p:
    r = p.process(np.zeros((360, 640, 3), np.uint8))
with mp.solutions.face_detection.FaceDetection(model_selection=1) as f:
    f.process(np.zeros((360, 640, 3), np.uint8))
print("MODELS-LOADED", r.pose_landmarks is None)
"""


@pytest.mark.skipif(video_available() is not None, reason=video_available() or "")
def test_models_load_without_network() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not available to cut the network off")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this machine does not allow a network namespace (unshare -rn)")
    res = subprocess.run(["unshare", "-rn", sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "MODELS-LOADED True" in res.stdout
