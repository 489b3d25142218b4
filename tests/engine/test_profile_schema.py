"""Profile schema 3 (issue 15): no pain written as empty lists, "not answered" is not a default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kneecoach.engine import assess
from kneecoach.intake.profile import Profile

RUNNING = {"current_weekly_km": 20, "target_weekly_km": 30}


@pytest.mark.parametrize("symptoms", [{"sides": [], "locations": []}, {"sides": []}, {}, "none", None])
def test_empty_symptoms_mean_no_pain_and_prevention(kb, symptoms) -> None:
    data = {"running": RUNNING} if symptoms is None else {"running": RUNNING, "symptoms": symptoms}
    profile = Profile.model_validate(data)
    assert profile.pain_free
    assert assess(profile, kb).pathway.id == "prevention"


def test_pain_scores_with_nowhere_to_put_them_are_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="no painful side or location"):
        Profile.model_validate({"running": RUNNING, "symptoms": {"sides": [], "locations": [], "pain_during_run": 5}})


def test_unanswered_is_none_not_a_default() -> None:
    p = Profile.model_validate({"running": RUNNING, "symptoms": {"sides": ["left"], "locations": ["around_kneecap"]}})
    assert p.symptoms.swelling is None and p.symptoms.pain_at_rest is None
    assert p.history.full_range_of_motion is None and p.history.cleared_to_run is None


def test_v2_profile_upgrades_with_its_answers() -> None:
    p = Profile.model_validate({"schema_version": 2, "running": RUNNING,
                                "symptoms": {"sides": ["left"], "locations": ["around_kneecap"], "swelling": False}})
    assert p.schema_version == 3 and p.symptoms.swelling is False


def test_clearance_needs_a_date() -> None:
    with pytest.raises(ValidationError, match="examined_on"):
        Profile.model_validate({"running": RUNNING, "history": {"cleared_to_run": {"by": "Dr Lee"}}})
