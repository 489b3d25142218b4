"""Every red flag refers to a clinician and stops the plan."""

from __future__ import annotations

import pytest

from kneecoach.engine import assess
from kneecoach.intake.screen import UnknownRedFlagError
from kneecoach.assessment.kb import load_kb
from kneecoach.render.markdown import render_markdown

from .conftest import make

RED_FLAGS = list(load_kb().red_flags)


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_each_red_flag_refers_and_gives_no_plan(kb, base_profile, flag):
    flags = dict(base_profile["red_flags"], **{flag: True})
    result = assess(make(base_profile, red_flags=flags), kb)
    assert result.plan is None
    assert result.referral is not None
    assert [h.id for h in result.referral.reasons] == [flag]
    assert result.referral.reasons[0].reason == kb.red_flags[flag].reason
    md = render_markdown(result, kb)
    assert "See a clinician first" in md and kb.red_flags[flag].reason in md
    assert "Your plan" not in md


def test_no_flags_no_referral(kb, base_profile):
    result = assess(make(base_profile), kb)
    assert result.referral is None and result.plan is not None
    assert result.unanswered_red_flags == []


def test_most_urgent_reason_sets_urgency(kb, base_profile):
    flags = dict(base_profile["red_flags"], night_or_rest_pain=True, fever=True)
    result = assess(make(base_profile, red_flags=flags), kb)
    assert result.referral.urgency == "emergency"
    assert result.referral.reasons[0].id == "fever"


def test_unanswered_flags_are_reported_not_assumed(kb, base_profile):
    result = assess(make(base_profile, red_flags={"locking": False}), kb)
    assert result.referral is None
    assert "giving_way" in result.unanswered_red_flags and "locking" not in result.unanswered_red_flags
    assert kb.red_flags["giving_way"].question in render_markdown(result, kb)


def test_unknown_red_flag_is_an_error(kb, base_profile):
    with pytest.raises(UnknownRedFlagError, match="knee_explodes"):
        assess(make(base_profile, red_flags={"knee_explodes": True}), kb)
