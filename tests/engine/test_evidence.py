"""The evidence layer: published claims with levels beside the seeds, the guideline plan, the pain rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kneecoach.engine import assess
from kneecoach.intake.load import load_example
from kneecoach.assessment.kb import load_checked, load_kb
from kneecoach.knowledge.loader import KnowledgeBaseError, packaged_data_dir
from kneecoach.render.markdown import render_markdown

KB = load_kb()


@pytest.fixture(scope="module")
def pfp():
    return assess(load_example("runners_knee_004"))


def test_every_claim_has_a_level_and_seeds_are_expert_or_anecdote():
    for c in KB.claims.values():
        level = KB.claim_level(c.id)
        if KB.sources[c.source].kind == "seed":
            assert level in ("expert", "anecdote"), c.id
    assert KB.claim_level("c000_gym_lapse") == "anecdote"  # one runner's story
    assert KB.claim_level("cev_taping_jospt") == "guideline_weak"  # a guideline's weak item


@pytest.mark.parametrize("topic, source, level", [
    ("isolated_quad_work", "crossley2016_part2", "guideline_strong"),
    ("vmo_selective_activation", "smith2009", "systematic_review"),
    ("ten_percent_rule", "buist2008", "trial"),
    ("acwr_injury_risk", "impellizzeri2021", "expert"),
])
def test_disagreements_carry_what_the_evidence_says(pfp, topic, source, level):
    d = next(d for d in pfp.disagreements if d.topic == topic)
    assert d.evidence_summary
    row = next(r for r in d.evidence if r.source == source)
    assert row.level == level and row.level_label
    assert all(KB.sources[p.source].kind != "published" for p in d.positions)  # seeds and evidence kept apart


def test_plan_has_knee_targeted_strengthening_with_a_strength_dose(pfp):
    phase = next(p for p in pfp.plan.phases if p.id == "strengthen")
    ids = {e.id for e in phase.exercises}
    assert {"wall_squat_pain_free", "step_up"} <= ids
    hip = {e.id for p in pfp.plan.phases for e in p.exercises if "glute_medius" in e.targets or "glute_maximus" in e.targets}
    assert hip - ids, "hip work stays beside the knee work"
    for e in phase.exercises:
        assert e.dose.reps == 8 and e.dose.reps_max == 15 and e.dose.near_fatigue
        assert 2 <= e.dose.days_per_week <= 3
        assert "8-15" in e.dose.text and "last reps hard" in e.dose.text


def test_seed_exercise_shows_evidence_that_questions_it(pfp):
    vmo = next((e for p in pfp.plan.phases for e in p.exercises if e.id == "vmo_leg_extension"), None)
    assert vmo is not None, "runners_knee_004 suspects an under-active VMO"
    stances = {(n.source, n.stance) for n in vmo.evidence}
    assert ("004_b81fe6669d86e82f.txt", "for") in stances and ("smith2009", "against") in stances


def test_education_and_adjuncts_name_their_level(pfp):
    titles = {e.title for e in pfp.plan.education}
    assert {"What runner's knee is", "Load and pain", "How long it takes"} <= titles
    adj = {x.id: x for x in pfp.plan.adjuncts}
    assert adj["patellar_taping"].recommendation == "may_help_short_term"
    assert {n.level for n in adj["patellar_taping"].evidence} == {"guideline_weak"}
    assert adj["not_recommended"].recommendation == "not_recommended"


def test_markdown_shows_levels_evidence_and_new_sections(pfp):
    md = render_markdown(pfp, KB)
    for text in ("What the evidence says", "guideline, strong recommendation", "systematic review",
                 "Understanding your knee", "Short-term helpers", "Strengthen hip and knee", "pause running"):
        assert text in md, text


def test_pain_rule_cites_the_pain_monitoring_model_and_pauses_at_seven():
    rule = KB.rules.pain
    assert {"thomee1997", "silbernagel2007"} <= set(rule.sources)
    assert rule.pause_running_at == 7 and rule.pause_after_unsettled_mornings == 2
    assert rule.max_during_run < 5  # stricter than the model's 5/10, argued in the rationale
    assert "stricter" in rule.rationale


# --- kb check rejects what the evidence layer must not allow ---------------------------------------


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(packaged_data_dir(), dest)
    return dest


def _edit(folder: Path, name: str, fn) -> list[str]:
    path = folder / name
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(KnowledgeBaseError) as info:
        load_checked(folder)
    return info.value.problems


def _by_id(items, item_id):
    return next(i for i in items if i["id"] == item_id)


def test_published_source_without_a_citation_is_rejected(kb_copy):
    found = _edit(kb_copy, "sources.yaml", lambda d: _by_id(d, "smith2009").update(citation="Smith's VMO review"))
    assert any(p.startswith("sources.yaml smith2009: citation does not look like a full citation") for p in found)


def test_claim_stronger_than_its_source_is_rejected(kb_copy):
    found = _edit(kb_copy, "claims.yaml", lambda d: _by_id(d, "cev_step_rate_pfp").update(level="trial"))
    assert any("cev_step_rate_pfp: level 'trial' is stronger than its source 'bramah2019'" in p for p in found)


def test_seed_cannot_be_graded_as_a_trial(kb_copy):
    found = _edit(kb_copy, "sources.yaml", lambda d: _by_id(d, "000_4e2dc1858106602e.txt").update(evidence_level="trial"))
    assert any("a seed text is expert opinion or anecdote" in p for p in found)


def test_exercise_without_a_claim_is_rejected(kb_copy):
    found = _edit(kb_copy, "exercises.yaml", lambda d: _by_id(d, "step_up").update(claims=[]))
    assert any("exercises.yaml step_up" in p and "claims" in p for p in found)


def test_source_without_evidence_level_is_rejected(kb_copy):
    found = _edit(kb_copy, "sources.yaml", lambda d: _by_id(d, "buist2008").pop("evidence_level"))
    assert any("buist2008" in p and "evidence_level" in p for p in found)
