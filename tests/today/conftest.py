"""Shared plan for the Today tests: built by the engine from a shipped example profile."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.plan.models import Plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def plan() -> Plan:
    profile = Profile.model_validate(yaml.safe_load((EXAMPLES / "runners_knee_004.yaml").read_text()))
    return assess(profile).plan
