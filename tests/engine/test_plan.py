"""The plan: contraindications as data, disagreements shown, terrain, pain rule."""

from __future__ import annotations

from kneecoach.engine import assess
from kneecoach.render.markdown import render_markdown

from .conftest import make

S000, S003, S004 = "000_4e2dc1858106602e.txt", "003_4c8c8e72ad68acaf.txt", "004_b81fe6669d86e82f.txt"


def planned_ids(result) -> set[str]:
    return {e.id for p in result.plan.phases for e in p.exercises}


def weak_hamstrings(base_profile, **extra):
    return make(base_profile, self_tests={"hamstring_curl_kg": {"left": 4, "right": 4}}, **extra)


def test_no_surgery_excludes_isolated_hamstring_work_citing_003(kb, base_profile):
    result = assess(weak_hamstrings(base_profile), kb)
    assert "weak_hamstrings" in {h.id for h in result.hypotheses}
    assert "isolated_hamstring_curl" not in planned_ids(result)
    excluded = {e.id: e for e in result.plan.excluded}
    assert S003 in excluded["isolated_hamstring_curl"].sources


def test_post_surgery_window_allows_isolated_hamstring_work(kb, base_profile):
    profile = make(
        base_profile,
        history={"surgery": {"kind": "ACL reconstruction", "weeks_ago": 6}, "full_range_of_motion": False},
    )
    result = assess(profile, kb)
    assert "isolated_hamstring_curl" in planned_ids(result)
    curl = next(e for p in result.plan.phases for e in p.exercises if e.id == "isolated_hamstring_curl")
    assert "post_surgery_or_trauma_window" in curl.addresses
    assert S003 in curl.sources


def test_trauma_counts_as_well_as_surgery(kb, base_profile):
    profile = make(base_profile, history={"trauma": {"kind": "fractured tibia", "weeks_ago": 8}, "walking_normally": False})
    assert "isolated_hamstring_curl" in planned_ids(assess(profile, kb))


def test_window_closes_with_full_motion_and_walking(kb, base_profile):
    profile = weak_hamstrings(
        base_profile,
        history={"surgery": {"kind": "meniscus repair", "weeks_ago": 20}, "full_range_of_motion": True, "walking_normally": True},
    )
    result = assess(profile, kb)
    assert "isolated_hamstring_curl" not in planned_ids(result)
    assert "isolated_hamstring_curl" in {e.id for e in result.plan.excluded}


def test_hamstring_disagreement_shows_000_003_004_side_by_side(kb, base_profile):
    result = assess(weak_hamstrings(base_profile), kb)
    topic = next(d for d in result.disagreements if d.topic == "hamstring_strengthening")
    by_source = {p.source: p.stance for p in topic.positions}
    assert by_source[S000] == "for"
    assert by_source[S004] == "against"
    stances_003 = {p.stance for p in topic.positions if p.source == S003}
    assert stances_003 == {"against", "qualified"}  # against, except just after surgery/trauma
    md = render_markdown(result, kb)
    assert "Where the sources disagree" in md and S000 in md and S003 in md and S004 in md


def test_weak_vs_tight_hamstrings_disagreement_when_relevant(kb, base_profile):
    tight = assess(make(base_profile, self_tests={"flexibility": {"hamstrings": {"left": "tight"}}}), kb)
    assert "hamstrings_weak" in {d.topic for d in tight.disagreements}
    unrelated = assess(make(base_profile, self_tests={"plank_hold_s": 10}), kb)
    assert "hamstrings_weak" not in {d.topic for d in unrelated.disagreements}


def test_pain_above_rule_excludes_impact_and_lowers_start(kb, base_profile):
    profile = make(
        base_profile, symptoms__pain_during_run=6, self_tests={"single_leg_squat": {"left": {"knee_falls_inward": True}}}
    )
    result = assess(profile, kb)
    assert "landing_drill" in {e.id for e in result.plan.excluded}
    assert result.plan.start_km == 20 * kb.rules.ramp.calm_load_factor
    calm = result.plan.phases[0]
    assert calm.id == "calm_load" and calm.advice


def test_glute_activation_always_present_and_phases_in_order(kb, base_profile):
    result = assess(make(base_profile), kb)
    assert "clamshell" in planned_ids(result)
    orders = [p.order for p in result.plan.phases]
    assert orders == sorted(orders)
    assert result.plan.phases[-1].id == "return_to_running"


def test_terrain_advice_from_002(kb, base_profile):
    result = assess(make(base_profile), kb)
    ids = {t.id for t in result.plan.terrain}
    assert {"avoid_hills", "avoid_banked"} <= ids
    assert all("002_f27728aa77bad5ec.txt" in t.sources for t in result.plan.terrain)


def test_doses_are_stated_in_words(kb, base_profile):
    result = assess(make(base_profile), kb)
    clam = next(e for p in result.plan.phases for e in p.exercises if e.id == "clamshell")
    assert clam.dose.text == "3 x 15 each side, 4 days a week"


def test_disclaimer_in_every_face(kb, base_profile):
    result = assess(make(base_profile), kb)
    assert "not a diagnosis" in result.disclaimer
    assert result.plan.disclaimer == result.disclaimer
    assert render_markdown(result, kb).count("not a diagnosis") >= 2
