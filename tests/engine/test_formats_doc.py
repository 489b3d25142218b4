"""docs/formats.md states the profile and re-test fields the code reads (issue 22.1 and 22.2)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.intake.load import example_names, load_example, retest_example_names, retest_example_text
from kneecoach.intake.profile import Profile
from kneecoach.intake.retest import RetestAnswers
from kneecoach.render.formats import reference, splice

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def test_the_generated_reference_in_the_doc_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert splice(text) == text, "docs/formats.md is stale: python -m kneecoach.render.formats docs/formats.md"


def test_every_field_is_in_the_reference() -> None:
    ref = reference()
    for name in Profile.model_fields:
        assert f"| `{name}` |" in ref
    for name in RetestAnswers.model_fields:
        assert f"| `{name}` |" in ref
    assert "| `symptoms.pain_during_run` | whole number (>= 0, <= 10)" in ref
    assert "`self_tests.single_leg_squat.left/right.knee_falls_inward`" in ref


def test_every_retest_example_belongs_to_an_example_profile_and_is_valid() -> None:
    from kneecoach.assessment.kb import load_kb
    from kneecoach.intake.retest import apply_retest

    assert retest_example_names(), "at least one re-test example ships"
    for name in retest_example_names():
        assert name in example_names()
        apply_retest(load_example(name), yaml.safe_load(retest_example_text(name)), load_kb())


def test_example_retest_writes_a_file_recheck_accepts(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "kc.db")
    profile, retest = tmp_path / "riley.yaml", tmp_path / "retest.yaml"
    assert runner.invoke(app, ["example", "chain_check_001", "-o", str(profile)]).exit_code == 0
    assert runner.invoke(app, ["assess", str(profile), "--save", "--db", db]).exit_code == 0
    r = runner.invoke(app, ["example", "chain_check_001", "--retest", "-o", str(retest)])
    assert r.exit_code == 0 and "recheck --from" in r.output
    r = runner.invoke(app, ["recheck", "--from", str(retest), "--db", db])
    assert r.exit_code == 0, r.output
    assert "Re-test stored" in r.output and "Plan version 2" in r.output
    listed = runner.invoke(app, ["example", "--list"]).output
    assert "chain_check_001  (has --retest)" in listed
    missing = runner.invoke(app, ["example", "marathoner_000", "--retest"])
    assert missing.exit_code == 2 and "no re-test example" in missing.output
