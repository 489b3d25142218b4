"""Run every scenario in ``clinical_scenarios.yaml``: the outcome a clinician expects for a profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kneecoach.engine import assess
from kneecoach.intake.load import example_text, parse_profile

SCENARIOS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "clinical_scenarios.yaml").read_text())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def test_scenario_table_covers_every_pathway_and_urgency():
    from kneecoach.assessment.kb import load_kb

    kb = load_kb()
    assert {s.get("pathway") for s in SCENARIOS} >= set(kb.pathways)
    assert {s["referral"] for s in SCENARIOS} >= {None, "emergency", "urgent", "soon"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]):
    data = _merge(yaml.safe_load(example_text(scenario["example"])), scenario.get("override", {}))
    a = assess(parse_profile(data, scenario["name"]))
    if scenario["referral"] is None:
        assert a.referral is None, [r.id for r in a.referral.reasons]
        assert a.plan is not None
    else:
        assert a.referral is not None and a.plan is None
        assert a.referral.urgency == scenario["referral"]
        assert set(scenario.get("flags", [])) <= {r.id for r in a.referral.reasons}
        assert a.referral.action  # the runner is told what to do
        return
    assert a.pathway.id == scenario["pathway"]
    if "condition" in scenario:
        assert a.pathway.condition == scenario["condition"]
        assert scenario["condition"] in {c.id for c in a.conditions}, "the condition is also named in the results"
    planned = {e.id for p in a.plan.phases for e in p.exercises}
    left_out = {e.id for e in a.plan.excluded}
    assert set(scenario.get("include", [])) <= planned, set(scenario.get("include", [])) - planned
    for ex in scenario.get("exclude", []):
        assert ex not in planned and ex in left_out, ex
    assert not set(scenario.get("absent_phases", [])) & {p.id for p in a.plan.phases}
    if "first_week_km" in scenario:
        assert a.plan.mileage_ramp[0].km == pytest.approx(scenario["first_week_km"])
