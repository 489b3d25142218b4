"""The bone stress screen reads a fast rise in weekly distance from imported runs (issue 15)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml

from .conftest import act
from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.migrate import upgrade
from kneecoach.store.run_load import with_run_load
from kneecoach.tracking.load import weekly_rise_pct

TODAY = date(2026, 11, 29)  # a Sunday
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _weeks(kms: list[float]) -> list:
    """Three runs a week; the last entry of ``kms`` is the week ending ``TODAY``."""
    out = []
    for i, km in enumerate(reversed(kms)):
        end = TODAY - timedelta(weeks=i)
        out += [act(end - timedelta(days=d), km / 3) for d in (0, 2, 4)]
    return out


def test_weekly_rise_from_runs() -> None:
    assert weekly_rise_pct(_weeks([35, 40, 45, 55, 65, 70]), TODAY) == 92.9  # (65+70)/2 vs 35
    assert weekly_rise_pct(_weeks([30, 30, 30, 30, 30, 30]), TODAY) == 0.0
    assert weekly_rise_pct(_weeks([0, 0, 0, 10, 20, 20]), TODAY) is None  # no base six weeks ago
    assert weekly_rise_pct([], TODAY) is None


def _marathoner_without_the_load_answer() -> Profile:
    data = yaml.safe_load((EXAMPLES / "bone_stress_marathoner.yaml").read_text())
    del data["red_flags"]["bsi_fast_load_rise"]  # the runner did not say; the runs will
    data["red_flags"]["bsi_pain_on_hopping"] = False
    data["red_flags"]["bsi_tender_spot_on_bone"] = False
    return Profile.model_validate(data)


def test_runs_raise_the_bone_stress_pattern_for_their_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    profile = _marathoner_without_the_load_answer()
    assert assess(profile).pathway.id != "bone_stress_suspected"  # a bony ache alone is not the pattern
    with transaction(factory) as s:
        owner = repo.create_user(s, "m@example.org", "M").id
        other = repo.create_user(s, "o@example.org", "O").id
        repo.add_runs(s, owner, _weeks([35, 40, 45, 55, 65, 70]))
        repo.add_runs(s, other, _weeks([70, 70, 70, 70, 70, 70]))
        mine = with_run_load(s, owner, profile, TODAY)
        theirs = with_run_load(s, other, profile, TODAY)
    assert mine.running.recent_rise_pct == 92.9 and theirs.running.recent_rise_pct == 0.0
    a = assess(mine)
    assert a.pathway.id == "bone_stress_suspected" and a.plan.running_hold is not None
    assert any("weekly distance up 92.9 %" in t for t in a.pathway.referral.raised_by)
    assert assess(theirs).pathway.id != "bone_stress_suspected"


def test_retest_after_a_pain_hold_takes_the_new_ramp() -> None:
    """A plan held for severe pain keeps no 0 km ramp once a re-test's plan may run again (and vice versa)."""
    from kneecoach.intake.load import load_example
    from kneecoach.store.loop import merge_retest_plan

    held = assess(load_example("severe_pain_runner")).plan
    calm = load_example("severe_pain_runner")
    calm.symptoms.pain_during_run, calm.symptoms.pain_after_run = 2, 2
    new = assess(calm).plan
    merged = merge_retest_plan(held, new)
    assert merged.running_hold is None and merged.mileage_ramp == new.mileage_ramp and merged.mileage_ramp[0].km > 0
    back = merge_retest_plan(new, held)
    assert back.running_hold is not None and [w.km for w in back.mileage_ramp] == [0]
