"""Issue 16.6 in the engine: units change what the review *says*, never what it decides.

Every simulation story is reviewed each Sunday in km and again in miles from the same history:
actions, prescriptions and every km field must be identical, the km sentences must read exactly as
before, and the miles sentences must name no kilometre.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneecoach.intake.units import KM, KM_PER_MILE, DistanceFormat, show_distance, to_km
from kneecoach.tracking.review import Review, review

from .review_sim import START, Sim, Week, simulate, strength_ids

KM_WORD = re.compile(r"\bkm\b|kilomet", re.IGNORECASE)


def _pause(n: int) -> Week:
    return {7: Week(pain=[(2, "during", 7)]), 8: Week(km=0, pain=[(2, "daily", 4)]),
            9: Week(km=0, pain=[(2, "daily", 1)])}.get(n, Week(pain=[(2, "during", 1)]))


STORIES = {
    "pain free": lambda n: Week(),
    "runs short": lambda n: Week(share=0.8),
    "pause and restart": _pause,
    "three weeks off": lambda n: Week(km=0) if n in (5, 6, 7) else Week(),
    "six weeks off": lambda n: Week(km=0) if 4 <= n <= 9 else Week(),
    "ill": lambda n: Week(flags=[(1, "ill")]) if n == 5 else Week(),
    "race": lambda n: Week(race_km=21.1) if n == 6 else Week(),
    "spike": lambda n: Week(km=70) if n == 6 else Week(),
    "step back": lambda n: Week(pain=[(2, "during", 6)]) if n == 6 else Week(),
    "hold for pain": lambda n: Week(pain=[(2, "during", 4)]) if n in (5, 6) else Week(),
    "strength lapse": lambda n: Week() if n <= 3 else Week(strength=(), pain=[(1, "during", 3 if n >= 6 else 0)]),
    "referral": lambda n: Week(flags=[(2, "swelling")]) if n == 6 else Week(),
}


def _in(sim: Sim, day, unit: str) -> Review:  # type: ignore[no-untyped-def]
    return review([r for r in sim.runs if r.start.date() <= day], [p for p in sim.pain if p.day <= day],
                  [e for e in sim.ex if e.day <= day], sim.plan, day, strength_exercise_ids=set(strength_ids()),
                  flags=[f for f in sim.flags if f.day <= day], unit=unit)


def _decided(rv: Review) -> tuple:  # type: ignore[type-arg]
    """Everything the review decides, in km; no sentence."""
    d = rv.decision
    nw = d.next_week
    return (d.action, nw.km, nw.long_run_km, nw.plan_week, nw.kind, d.next_week_start, d.highest_km, d.allowed_km,
            d.ceiling_km, d.long_run_cap_km,
            [(w.action, w.run_km, w.prescribed.km, w.prescribed.long_run_km, w.done, w.spike) for w in rv.walked],
            [(w.week, w.km, w.long_run_km, w.cutback) for w in rv.upcoming],
            [(w.kind, w.day, w.value) for w in rv.warnings], rv.threshold and rv.threshold.km)


def _sentences(rv: Review) -> list[str]:
    return [*rv.summary_lines(), *(w.reason for w in rv.walked), *rv.decision.limits,
            *(w.note for w in rv.upcoming), rv.as_json()["decision"]["summary"]]


@pytest.mark.parametrize("name", sorted(STORIES))
def test_a_review_in_miles_decides_what_the_review_in_km_decides(name: str) -> None:
    sim = simulate(STORIES[name], 14)
    for n in range(1, 15):
        sunday = START + timedelta(weeks=n, days=-1)
        km, mi = sim.reviews[n - 1], _in(sim, sunday, "mi")
        assert _in(sim, sunday, "km").summary_lines() == km.summary_lines()  # km is the default, word for word
        assert _decided(mi) == _decided(km), (name, n)
        said = [s for s in _sentences(mi) if KM_WORD.search(s)]
        assert not said, (name, n, said)
        if km.decision.next_week.km > 0:
            assert f"{round(km.decision.next_week.km / KM_PER_MILE, 1):g} mi" in mi.summary_lines()[0]


def test_the_stories_reach_the_sentences_that_name_distances() -> None:
    """The sweep above is only as good as the branches it reaches: each kind of reason comes up."""
    actions = {r.decision.action for name in STORIES for r in simulate(STORIES[name], 14).reviews}
    assert {"progress", "lighter_week", "hold", "step_back", "pause_running", "restart", "resume", "ill_return",
            "easy_after_race", "spike", "see_clinician"} <= actions


def test_km_format_writes_what_the_engine_always_wrote() -> None:
    for x in (0.0, 3.0, 12.5, 27.5, 100.0, 4.4):
        assert KM.km(x) == f"{x:g} km" and KM.km(x, 1) == f"{x:.1f} km"
    mi = DistanceFormat("mi")
    assert mi.km(12.5) == "7.8 mi" and mi.km(42.195, 1) == "26.2 mi" and mi.km(32.18688) == "20 mi"
    assert mi.per_week == "mi/week" and mi.word == "miles" and mi.factor == KM_PER_MILE
    with pytest.raises(ValueError, match="km or mi"):
        DistanceFormat("furlongs")  # type: ignore[arg-type]


def test_weekly_cap_typed_in_miles_round_trips_without_drift() -> None:
    from kneecoach.plan.changes import ChangeRequest, apply_changes, make_change
    from kneecoach.assessment.kb import load_kb
    from .review_sim import marathoner_plan

    plan = marathoner_plan()
    typed = 20.0
    for _ in range(100):  # typed, stored, shown, typed back as shown ... a hundred times
        req = ChangeRequest(kind="cap_weekly_km", reason="settle", km=to_km(typed, "mi"), unit="mi")
        change = make_change(req, plan, load_kb(), set(), author_id=1, author_name="Cal")
        assert change.km == pytest.approx(32.18688, abs=1e-9)
        capped = apply_changes(plan, [change])
        shown = show_distance(max(w.km for w in capped.mileage_ramp), "mi")
        assert shown == "20.0 mi"
        typed = float(shown.split()[0])
    assert change.summary == "Weekly distance capped at 20 mi"
    assert any("capped at 20 mi by Cal" in w.note for w in capped.mileage_ramp)


@given(st.integers(min_value=1, max_value=1860))
def test_any_cap_typed_in_tenths_of_a_mile_shows_back_as_typed(tenths: int) -> None:
    typed = tenths / 10
    stored = to_km(typed, "mi")
    for _ in range(100):
        stored = to_km(float(show_distance(stored, "mi").split()[0]), "mi")
    assert show_distance(stored, "mi") == f"{typed:.1f} mi"
