"""Triage reasons reach the Markdown/terminal and JSON faces in words a runner understands (issue 15)."""

from __future__ import annotations

import json

from kneecoach.engine import assess
from kneecoach.intake.load import load_example
from kneecoach.render.markdown import render_markdown


def test_markdown_examine_first_hold_and_walk_run(kb) -> None:
    md = render_markdown(assess(load_example("acute_twist_footballer"), kb), kb)
    first = md.index("## See a clinician for an examination first (soon: within weeks)")
    assert first < md.index("## Pathway:") and "meniscus or ligament" in md
    assert "Running is on hold" in md and "cleared_to_run" in md
    assert "background only" in md  # the imbalance readings wait for the examination
    assert "Keep the range of motion" in md  # range-of-motion and walking guidance
    severe = render_markdown(assess(load_example("severe_pain_runner"), kb), kb)
    assert "Running is on hold: your knee hurts 8/10" in severe and "walk-run" in severe
    assert "See a clinician for an examination first" not in severe


def test_json_carries_the_reasons(kb) -> None:
    data = json.loads(assess(load_example("bone_stress_marathoner"), kb).model_dump_json())
    assert data["pathway"]["referral"]["urgency"] == "urgent"
    assert "fracture" in data["pathway"]["referral"]["reason"]
    assert data["plan"]["running_hold"]["until"] == "clearance"
    assert [w["km"] for w in data["plan"]["mileage_ramp"]] == [0]
    limp = json.loads(assess(load_example("red_flag_kujala_limp"), kb).model_dump_json())
    hit = next(r for r in limp["referral"]["reasons"] if r["id"] == "adolescent_hip_limp")
    assert hit["raised_by"] and limp["plan"] is None


def test_terminal_summary_states_referral_hold_and_raised_by(kb) -> None:
    from kneecoach.render.summary import render_summary

    bone = render_summary(assess(load_example("bone_stress_marathoner"), kb))
    assert "See a clinician for an examination first (urgent: within days)" in bone
    assert "Running is on hold" in bone and "fracture" in bone
    severe = render_summary(assess(load_example("severe_pain_runner"), kb))
    assert "**Running:** none. Running is on hold: your knee hurts 8/10" in severe
    limp = render_summary(assess(load_example("red_flag_kujala_limp"), kb))
    assert 'Raised by answers you already gave: age 12; Kujala "Do you limp?"' in limp
