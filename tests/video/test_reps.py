import numpy as np

from kneecoach.video.reps import segment_reps
from tests.video.synth import phase_curve

FPS = 30.0


def test_clean_reps_are_counted_with_depth() -> None:
    flex = 5 + 70 * phase_curve(FPS, 5)
    seg = segment_reps(flex, FPS)
    assert len(seg.reps) == 5 and not seg.partial
    for r in seg.reps:
        assert abs(r.depth_deg - 70) < 1.0
        assert r.start < r.bottom < r.end


def test_noise_does_not_split_reps() -> None:
    rng = np.random.default_rng(3)
    flex = 5 + 70 * phase_curve(FPS, 4) + rng.normal(0, 4.0, size=len(phase_curve(FPS, 4)))
    seg = segment_reps(flex, FPS)
    assert len(seg.reps) == 4


def test_pause_at_the_bottom_is_one_rep() -> None:
    flex = 5 + 60 * phase_curve(FPS, 3, hold_s=2.0)
    rng = np.random.default_rng(4)
    flex += rng.normal(0, 2.0, size=len(flex))
    assert len(segment_reps(flex, FPS).reps) == 3


def test_partial_reps_are_left_out() -> None:
    # depths in degrees: 70, 20 (partial), 65, 22 (partial), 68
    flex = 5 + phase_curve(FPS, 5, depths=[70, 20, 65, 22, 68])
    seg = segment_reps(flex, FPS)
    assert len(seg.reps) == 3
    assert len(seg.partial) == 2


def test_clip_ending_mid_rep_is_partial() -> None:
    flex = 5 + 70 * phase_curve(FPS, 3)
    cut = flex[: len(flex) - int(1.4 * FPS)]  # stop during the last ascent
    seg = segment_reps(cut, FPS)
    assert len(seg.reps) == 2 and len(seg.partial) == 1


def test_frames_without_a_pose_are_skipped() -> None:
    flex = 5 + 70 * phase_curve(FPS, 3)
    flex[10:14] = np.nan
    flex[50:52] = np.nan
    assert len(segment_reps(flex, FPS).reps) == 3


def test_standing_still_has_no_reps() -> None:
    assert segment_reps(np.full(200, 4.0), FPS).reps == []
