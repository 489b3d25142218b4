"""Kilometres and miles: stored metric, converted at the faces, no drift on round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneecoach.intake.units import KM_PER_MILE, check_unit, km_to, pace_per_unit, show_distance, to_km


def test_known_values_both_ways() -> None:
    assert km_to(KM_PER_MILE, "mi") == pytest.approx(1.0)
    assert to_km(26.2, "mi") == pytest.approx(42.16481, abs=1e-5)  # a marathon
    assert km_to(10.0, "km") == 10.0 and to_km(10.0, "km") == 10.0
    assert show_distance(42.195, "mi") == "26.2 mi"
    assert show_distance(5.0, "km") == "5.0 km"
    assert pace_per_unit(330, "km") == "5:30 /km"
    assert pace_per_unit(330, "mi") == "8:51 /mi"


@given(st.floats(min_value=0, max_value=500, allow_nan=False))
def test_round_trip_without_drift(km: float) -> None:
    assert to_km(km_to(km, "mi"), "mi") == pytest.approx(km, rel=1e-12, abs=1e-12)
    assert km_to(to_km(km, "mi"), "mi") == pytest.approx(km, rel=1e-12, abs=1e-12)


@given(st.integers(min_value=0, max_value=2000))
def test_a_typed_mile_value_shows_again_unchanged(tenths: int) -> None:
    typed = tenths / 10  # what a runner types in miles, to 0.1
    stored = to_km(typed, "mi")
    for _ in range(5):  # shown, typed back, stored again: no creep
        shown = float(show_distance(stored, "mi").split()[0])
        assert shown == typed
        stored = to_km(shown, "mi")


def test_unit_names_are_checked() -> None:
    assert check_unit("Miles") == "mi" and check_unit("KM") == "km"
    with pytest.raises(ValueError, match="km or mi"):
        check_unit("furlongs")
