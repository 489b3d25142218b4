"""The knowledge-base checker fails loudly on broken data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.assessment.kb import load_checked
from kneecoach.knowledge.loader import KnowledgeBaseError, packaged_data_dir


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(packaged_data_dir(), dest)
    return dest


def edit(folder: Path, name: str, fn) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_checked(folder)
    return info.value.problems


def test_packaged_kb_is_sound():
    kb = load_checked(packaged_data_dir())
    assert kb.problems() == []
    assert all(c.source in kb.sources for c in kb.claims.values())


def test_claim_without_source_is_rejected(kb_copy):
    edit(kb_copy, "claims.yaml", lambda d: d[0].pop("source"))
    found = problems(kb_copy)
    assert any("claims.yaml c000_balance_not_bulk: source" in p and "required" in p.lower() for p in found), found


def test_claim_with_unknown_source_is_rejected(kb_copy):
    edit(kb_copy, "claims.yaml", lambda d: d[0].update(source="999_made_up.txt"))
    assert "claims.yaml c000_balance_not_bulk: unknown source '999_made_up.txt'" in problems(kb_copy)


def test_exercise_targeting_unknown_muscle_is_rejected(kb_copy):
    edit(kb_copy, "exercises.yaml", lambda d: d[0].update(targets=["quadriceps", "spleen"]))
    assert any("unknown muscle 'spleen'" in p for p in problems(kb_copy))


def test_finding_on_a_profile_field_that_does_not_exist(kb_copy):
    def break_it(d):
        d[0]["when"]["any"][0]["field"] = "self_tests.single_leg_squat.{side}.knee_wobbles"
    edit(kb_copy, "findings.yaml", break_it)
    assert any("knee_wobbles" in p for p in problems(kb_copy))


def test_rules_reference_that_does_not_exist(kb_copy):
    def break_it(d):
        d[0]["when"]["any"][1]["value"] = "$rules.no_such_threshold"
    edit(kb_copy, "findings.yaml", break_it)
    assert any("no_such_threshold" in p for p in problems(kb_copy))


def test_duplicate_ids_and_all_problems_reported_together(kb_copy):
    edit(kb_copy, "muscles.yaml", lambda d: d.append(dict(d[0])))
    edit(kb_copy, "exercises.yaml", lambda d: d[1].update(phase="levitate"))
    found = problems(kb_copy)
    assert any("duplicate id(s) core" in p for p in found)
    # Schema errors stop before cross-checks; fix the duplicate and the phase error shows.
    edit(kb_copy, "muscles.yaml", lambda d: d.pop())
    assert any("unknown phase 'levitate'" in p for p in problems(kb_copy))


def test_kujala_must_total_100(kb_copy):
    edit(kb_copy, "kujala.yaml", lambda d: d["items"][0]["options"][0].update(points=6))
    assert any("add up to 100" in p for p in problems(kb_copy))


def test_exercise_that_can_never_be_chosen(kb_copy):
    def break_it(d):
        d[0]["addresses"] = []
        d[0].pop("always", None)
    edit(kb_copy, "exercises.yaml", break_it)
    assert any("can never be chosen" in p for p in problems(kb_copy))


def test_cli_kb_check_exit_codes(kb_copy):
    runner = CliRunner()
    ok = runner.invoke(app, ["kb", "check", "--dir", str(kb_copy)])
    assert ok.exit_code == 0 and "OK" in ok.output
    edit(kb_copy, "claims.yaml", lambda d: d[0].pop("source"))
    bad = runner.invoke(app, ["kb", "check", "--dir", str(kb_copy)])
    assert bad.exit_code == 1
    assert "c000_balance_not_bulk" in bad.output


def _by_id(items: list, item_id: str) -> dict:
    return next(i for i in items if i["id"] == item_id)


def test_pathway_with_unknown_exercise_phase_or_finding_is_rejected(kb_copy):
    def break_it(d):
        p = _by_id(d, "patellar_tendinopathy")
        p["include"].append("moon_walk")
        p["phases"].append("levitate")
        p["findings_all"] = ["no_such_finding"]

    edit(kb_copy, "pathways.yaml", break_it)
    found = problems(kb_copy)
    for text in ("unknown exercise 'moon_walk'", "unknown phase 'levitate'", "unknown finding 'no_such_finding'"):
        assert any(p.startswith("pathways.yaml patellar_tendinopathy") and text in p for p in found), (text, found)


def test_pathway_that_holds_running_needs_criteria(kb_copy):
    edit(kb_copy, "pathways.yaml", lambda d: _by_id(d, "after_acl_reconstruction").pop("criteria"))
    assert any("after_acl_reconstruction" in p and "needs 'criteria'" in p for p in problems(kb_copy))


def test_exactly_one_default_pathway(kb_copy):
    edit(kb_copy, "pathways.yaml", lambda d: _by_id(d, "prevention").pop("findings_all"))
    assert any("exactly one default pathway" in p for p in problems(kb_copy))


def test_criterion_on_a_field_the_profile_lacks_is_rejected(kb_copy):
    edit(kb_copy, "pathways.yaml", lambda d: _by_id(d, "after_acl_reconstruction")["criteria"][0]["when"]["all"][0]
         .update(field="history.surgery.months_ago"))
    assert any("criterion twelve_weeks" in p and "months_ago" in p for p in problems(kb_copy))


def test_red_flag_show_when_is_checked(kb_copy):
    edit(kb_copy, "red_flags.yaml", lambda d: _by_id(d, "adolescent_hip_limp")["show_when"]["all"][0].update(field="years"))
    found = problems(kb_copy)
    assert any("adolescent_hip_limp show_when" in p and "'years'" in p for p in found), found


def test_red_flag_that_is_not_asked_needs_a_rule(kb_copy):
    edit(kb_copy, "red_flags.yaml", lambda d: _by_id(d, "age_55_after_trauma").pop("raised_when"))
    assert any("age_55_after_trauma" in p and "raised_when" in p for p in problems(kb_copy))
