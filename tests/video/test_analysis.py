import numpy as np
import pytest

from kneecoach.video.analysis import ANKLE, HIP, KNEE, analyse
from kneecoach.video.quality import VideoQualityError
from tests.video.synth import concat, squat_series


def test_known_angles_are_read_back_per_side() -> None:
    a = analyse(squat_series("left", fppa=12.0, drop=5.0, lean=4.0, flex=70.0))
    assert list(a.sides) == ["left"] and a.side_source == "detected"
    s = a.sides["left"]
    assert s.reps == 5
    assert s.fppa_deg == pytest.approx(12.0, abs=0.5)
    assert s.pelvic_drop_deg == pytest.approx(5.0, abs=0.5)
    assert s.trunk_lean_deg == pytest.approx(4.0, abs=0.5)
    assert s.knee_flexion_deg == pytest.approx(70.0, abs=0.5)


def test_valgus_and_varus_have_opposite_signs() -> None:
    assert analyse(squat_series("right", fppa=-8.0)).sides["right"].fppa_deg == pytest.approx(-8.0, abs=0.5)


def test_noisy_landmarks_stay_close() -> None:
    a = analyse(squat_series("right", fppa=15.0, noise_px=1.5))
    assert a.sides["right"].reps == 5
    assert a.sides["right"].fppa_deg == pytest.approx(15.0, abs=2.0)


def test_mirrored_clip_gives_same_numbers_with_sides_swapped() -> None:
    clip = concat(squat_series("left", fppa=14.0, drop=6.0, lean=3.0), squat_series("right", fppa=6.0, drop=2.0, lean=7.0, reps=4))
    a = analyse(clip)
    m = analyse(clip.mirrored())
    assert set(a.sides) == {"left", "right"}
    for side, mside in (("left", "right"), ("right", "left")):
        x, y = a.sides[side], m.sides[mside]
        assert x.reps == y.reps
        for f in ("fppa_deg", "pelvic_drop_deg", "trunk_lean_deg", "knee_flexion_deg"):
            assert getattr(x, f) == pytest.approx(getattr(y, f), abs=1e-6), f
    assert a.fppa_symmetry_pct == pytest.approx(100 * 6 / 14, abs=3)


def test_side_override_is_respected() -> None:
    clip = squat_series("left")
    a = analyse(clip, side="left")
    assert a.side_source == "given" and list(a.sides) == ["left"]
    with pytest.raises(ValueError, match="side"):
        analyse(clip, side="middle")


def test_gate_too_few_reps() -> None:
    with pytest.raises(VideoQualityError) as e:
        analyse(squat_series("left", reps=2))
    assert e.value.code == "too_few_reps" and "2 measurable full rep" in str(e.value) and "knee height" in str(e.value)


def test_gate_no_person() -> None:
    clip = squat_series("left")
    clip.image[: int(0.6 * len(clip.image))] = np.nan
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "no_person"


def test_gate_body_not_in_frame() -> None:
    clip = squat_series("left")
    clip.image[:, [ANKLE["left"], ANKLE["right"]], 1] += 0.5  # feet below the bottom edge
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "body_not_in_frame"


def test_gate_low_visibility() -> None:
    clip = squat_series("left")
    clip.image[:, [HIP["left"], KNEE["left"], KNEE["right"], ANKLE["left"]], 3] = 0.2
    clip.image[:, [HIP["right"], ANKLE["right"]], 3] = 0.3
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "low_visibility"


def test_gate_not_frontal() -> None:
    with pytest.raises(VideoQualityError) as e:
        analyse(squat_series("left", hip_half_width=0.01))  # hips nearly on top of each other: side view
    assert e.value.code == "not_frontal"


def test_gate_camera_turned() -> None:
    assert analyse(squat_series("left", yaw_deg=8.0)).sides["left"].reps == 5
    with pytest.raises(VideoQualityError) as e:
        analyse(squat_series("left", yaw_deg=32.0))
    assert e.value.code == "not_frontal" and "turned about 32" in str(e.value)


def test_gate_several_people() -> None:
    clip = squat_series("left")
    clip.faces = np.full(len(clip.image), 2)
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "several_people"


def test_gate_side_unclear() -> None:
    clip = squat_series("left")
    clip.image[:, ANKLE["right"], 1] = clip.image[:, ANKLE["left"], 1]  # both feet on the ground
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "side_unclear"
    assert analyse(clip, side="left").sides["left"].reps == 5


def test_knee_index_constants_are_mediapipe() -> None:
    assert (HIP["left"], KNEE["left"], ANKLE["left"]) == (23, 25, 27)


def test_thigh_pointing_at_the_camera_is_not_measured() -> None:
    from kneecoach.video import geometry

    clip = squat_series("left", fppa=12.0, flex=70.0)
    flex = geometry.knee_flexion_deg(clip.world[:, HIP["left"]], clip.world[:, KNEE["left"]], clip.world[:, ANKLE["left"]])
    deep = flex > 50.0
    hip = clip.image[deep, HIP["left"], :2]
    knee = clip.image[deep, KNEE["left"], :2]
    clip.image[deep, KNEE["left"], :2] = hip + 0.2 * (knee - hip)  # thigh a stub in the picture
    s = analyse(clip).sides["left"]
    assert s.reps == 5
    assert 5.0 < s.fppa_deg < 11.5  # read from the frames before the thigh turned end-on
    clip.image[flex > 5.0, KNEE["left"], :2] = clip.image[flex > 5.0, HIP["left"], :2] + 0.001
    with pytest.raises(VideoQualityError) as e:
        analyse(clip)
    assert e.value.code == "too_few_reps" and "thigh pointed at the camera" in str(e.value)
