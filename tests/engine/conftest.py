from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kneecoach.intake.load import example_text
from kneecoach.intake.profile import Profile
from kneecoach.assessment.kb import load_kb
from kneecoach.knowledge.loader import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


def example_dict(name: str) -> dict[str, Any]:
    return yaml.safe_load(example_text(name))


def no_flags(kb: KnowledgeBase) -> dict[str, bool]:
    return {rf: False for rf in kb.red_flags}


@pytest.fixture
def base_profile(kb: KnowledgeBase) -> dict[str, Any]:
    """A minimal, flag-free profile with no self-tests: findings come only from what a test adds."""
    return {
        "name": "test runner",
        "symptoms": {"sides": ["left"], "locations": ["around_kneecap"], "aggravators": []},
        "red_flags": no_flags(kb),
        "running": {"current_weekly_km": 20, "target_weekly_km": 30, "does_strength_work": True},
    }


def make(d: dict[str, Any], **changes: Any) -> Profile:
    data = copy.deepcopy(d)
    for dotted, value in changes.items():
        cur = data
        parts = dotted.split("__")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    return Profile.model_validate(data)
