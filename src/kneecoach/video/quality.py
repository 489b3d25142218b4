"""Quality gates: refuse to measure what cannot be measured, and say how to film again.

Each gate names the problem in plain words; every message ends with the same filming advice.
Thresholds are module constants so tests and the web face can quote them.
"""

from __future__ import annotations

FILMING_ADVICE = (
    "How to film: phone propped at knee height, 2-3 m in front of you, your whole body in the frame "
    "from head to feet, good light, only you in view, 3-5 slow single-leg squats per leg."
)

MAX_CLIP_SECONDS = 90.0
MAX_CLIP_BYTES = 200 * 1024 * 1024
MIN_POSE_FRACTION = 0.6  # share of frames in which a person must be found
MAX_OUT_OF_FRAME_FRACTION = 0.2
MIN_VISIBILITY = 0.5
MIN_FRONTAL_RATIO = 0.18  # hip width / trunk height in the image; ~0.35 from the front, ~0.05 side-on
MAX_YAW_DEG = 20.0  # pelvis rotation from the pose model's 3-D hips; a squarely filmed runner reads within ~10
MIN_REPS = 3


class VideoQualityError(ValueError):
    """A clip that cannot give a trustworthy angle; ``code`` names the gate for faces and tests."""

    def __init__(self, code: str, problem: str) -> None:
        self.code = code
        self.problem = problem
        super().__init__(f"{problem} {FILMING_ADVICE}")
