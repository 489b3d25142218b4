"""Triage on the web (issue 15): the knee-pain section asks the bone stress and injury questions,
the results and plan pages say "examine first" and why running is on hold, and a recorded
clearance restarts running from a walk-run."""

from __future__ import annotations

BONE_STRESS = {
    "symptoms.sides": "left", "symptoms.locations": "below_kneecap", "symptoms.aggravators": "walking",
    "symptoms.pain_during_run": "5", "running.current_weekly_km": "70", "running.target_weekly_km": "70",
    "running.runs_per_week": "6", "red_flags.bsi_fast_load_rise": "true", "red_flags.bsi_pain_on_hopping": "true",
}


def test_intake_form_asks_the_triage_questions_with_the_knee_pain(browser):
    browser.signup("t@example.org")
    page = browser.c.get("/intake").text
    assert 'id="triage"' in page
    for name in ("bsi_fast_load_rise", "bsi_pain_on_hopping", "acute_twist_fall_blow", "acute_catching_clicking"):
        assert f'name="red_flags.{name}"' in page
    assert 'name="history.cleared_to_run.examined_on"' in page


def test_bone_stress_pattern_holds_running_and_says_why_until_cleared(browser):
    browser.signup("t@example.org")
    assert browser.post("/intake", BONE_STRESS).status_code == 303
    results = browser.c.get(f"/u/{browser.user_id}/results").text
    assert "See a clinician for an examination first" in results and "bone stress injury" in results
    assert "Running is on hold" in results
    plan = browser.c.get(f"/u/{browser.user_id}/plan").text
    assert "Running is on hold" in plan and "cleared_to_run" in plan
    # The examination cleared running: recorded with its date, running restarts as a walk-run.
    cleared = dict(BONE_STRESS, **{"red_flags.bsi_pain_on_hopping": "false", "symptoms.pain_during_run": "1",
                                   "history.cleared_to_run.examined_on": "2026-11-30",
                                   "history.cleared_to_run.by": "Dr Lee"})
    assert browser.post("/intake", cleared).status_code == 303
    plan = browser.c.get(f"/u/{browser.user_id}/plan").text
    assert "Running is on hold" not in plan
    assert "Walk-run:" in plan
