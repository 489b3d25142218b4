import math

import numpy as np
import pytest

from kneecoach.video import geometry


def leg(fppa: float, medial_x: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hip, knee, ankle with the knee bent ``fppa`` degrees towards ``medial_x`` (+1 or -1)."""
    h = np.array([100.0, 100.0])
    th = math.radians(fppa) / 2
    k = h + 200 * np.array([medial_x * math.sin(th), math.cos(th)])
    a = k + 200 * np.array([-medial_x * math.sin(th), math.cos(th)])
    return h, k, a


@pytest.mark.parametrize("angle", [0.0, 3.0, 8.5, 12.0, 25.0, -7.0, -15.0])
def test_fppa_reads_known_angles_with_sign(angle: float) -> None:
    h, k, a = leg(angle, medial_x=-1.0)
    other_hip = h + np.array([-80.0, 0.0])  # other hip is to the image left: medial is -x
    assert geometry.fppa_deg(h, k, a, other_hip) == pytest.approx(angle, abs=0.5)


def test_fppa_is_the_same_when_mirrored() -> None:
    h, k, a = leg(14.0, medial_x=1.0)
    o = h + np.array([80.0, 0.0])
    flip = lambda p: np.array([1000.0 - p[0], p[1]])  # noqa: E731
    assert geometry.fppa_deg(h, k, a, o) == pytest.approx(14.0, abs=1e-6)
    assert geometry.fppa_deg(flip(h), flip(k), flip(a), flip(o)) == pytest.approx(14.0, abs=1e-6)


def test_fppa_works_on_series() -> None:
    legs = [leg(x, -1.0) for x in (0.0, 5.0, 10.0)]
    h, k, a = (np.array([lg[i] for lg in legs]) for i in range(3))
    out = geometry.fppa_deg(h, k, a, h + np.array([-80.0, 0.0]))
    np.testing.assert_allclose(out, [0.0, 5.0, 10.0], atol=0.5)


@pytest.mark.parametrize("drop", [-6.0, 0.0, 4.0, 10.0])
def test_pelvic_drop(drop: float) -> None:
    stance = np.array([300.0, 500.0])
    other = np.array([200.0, 500.0 + 100.0 * math.tan(math.radians(drop))])
    assert geometry.pelvic_drop_deg(stance, other) == pytest.approx(drop, abs=0.5)
    # mirrored: same number
    assert geometry.pelvic_drop_deg([700.0, stance[1]], [800.0, other[1]]) == pytest.approx(drop, abs=0.5)


@pytest.mark.parametrize("lean", [-8.0, 0.0, 6.0, 15.0])
def test_trunk_lean_towards_stance_is_positive(lean: float) -> None:
    sh, oh = np.array([600.0, 500.0]), np.array([400.0, 500.0])  # stance hip on the image right
    mid = (sh + oh) / 2
    top = mid + 300 * np.array([math.sin(math.radians(lean)), -math.cos(math.radians(lean))])
    s_sh, o_sh = top + [100, 0], top - [100, 0]
    assert geometry.trunk_lean_deg(sh, oh, s_sh, o_sh) == pytest.approx(lean, abs=0.5)


@pytest.mark.parametrize("flex", [0.0, 30.0, 60.0, 95.0])
def test_knee_flexion_3d(flex: float) -> None:
    f = math.radians(flex) / 2
    hip = np.zeros(3)
    knee = hip + 0.4 * np.array([0.1, math.cos(f), -math.sin(f)]) / math.hypot(0.1, 1)
    ankle = knee + 0.4 * np.array([0.0, math.cos(f), math.sin(f)])
    # the small sideways component of the thigh changes the angle a little; compare with numpy's own reading
    v1, v2 = hip - knee, ankle - knee
    expected = 180 - math.degrees(math.acos(v1 @ v2 / np.linalg.norm(v1) / np.linalg.norm(v2)))
    assert geometry.knee_flexion_deg(hip, knee, ankle) == pytest.approx(expected, abs=1e-6)
    straight = geometry.knee_flexion_deg(np.zeros(3), [0, 0.4, 0], [0, 0.8, 0])
    assert straight == pytest.approx(0.0, abs=1e-6)


def test_limb_symmetry() -> None:
    assert geometry.limb_symmetry_pct(8.0, 10.0) == pytest.approx(80.0)
    assert geometry.limb_symmetry_pct(0.0, 0.0) is None
