"""The mileage ramp never breaks its rule (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneecoach.plan.ramp import MAX_WEEKS, RampError, build_ramp, check_ramp, start_km


@settings(max_examples=300, deadline=None)
@given(
    current=st.floats(min_value=0, max_value=200, allow_nan=False),
    target=st.floats(min_value=1, max_value=200, allow_nan=False),
    pain=st.integers(min_value=0, max_value=10),
)
def test_ramp_never_breaks_its_rule(kb, current, target, pain):
    rule = kb.rules.ramp
    start = start_km(current, pain, kb.rules.pain.max_during_run, rule)
    weeks = build_ramp(start, target, rule)
    assert check_ramp(weeks, rule, target) == []
    # It gets there, or (10 % a week from a very small base to a big target) says to re-plan after two years.
    reached = weeks[-1].km == pytest.approx(target, abs=0.05)
    assert reached or (len(weeks) == MAX_WEEKS and "re-plan" in weeks[-1].note)
    assert [w.week for w in weeks] == list(range(1, len(weeks) + 1))
    for prev, nxt in zip(weeks, weeks[1:]):
        if not nxt.cutback:
            assert nxt.km <= rule.allowed_next(max(w.km for w in weeks[: prev.week])) + 1e-9


def test_hand_worked_ramp(kb):
    rule = kb.rules.ramp  # 10 % (no km step), cutback every 4th week by 20 %
    weeks = build_ramp(20, 30, rule)
    assert [w.km for w in weeks] == [20, 22, 24.2, 19.3, 24.2, 26.6, 29.2, 23.3, 29.2, 30]
    assert [w.cutback for w in weeks].count(True) == 2


def test_check_ramp_catches_a_jump(kb):
    rule = kb.rules.ramp
    weeks = build_ramp(20, 30, rule)
    bad = [weeks[0], weeks[1].model_copy(update={"km": 29})]
    assert any("jumps" in p for p in check_ramp(bad, rule, 30))


def test_negative_current_is_rejected(kb):
    with pytest.raises(RampError, match="negative"):
        start_km(-5, 0, 3, kb.rules.ramp)


def test_start_rules(kb):
    rule = kb.rules.ramp
    assert start_km(0, 0, 3, rule) == rule.restart_km
    assert start_km(0.5, 0, 3, rule) == rule.restart_km  # 10 % of 0.5 km cannot grow in 0.1 km steps: a restart
    assert start_km(40, 2, 3, rule) == 40
    assert start_km(40, 5, 3, rule) == 40 * rule.calm_load_factor
