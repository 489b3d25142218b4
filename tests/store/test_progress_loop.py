"""The re-assessment loop: re-test rules, MCID wording, ladders, criteria-based phases, cadence,
and an 8-week scenario through the store (intake -> diary + runs -> re-test -> adapt)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.engine import assess
from kneecoach.intake.load import ProfileError, example_text, load_example, parse_profile
from kneecoach.intake.retest import apply_retest
from kneecoach.assessment.kb import load_kb
from kneecoach.store import repo
from kneecoach.store.db import transaction
from kneecoach.store.loop import load_progress, record_retest
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.diary import ExerciseObs, PainObs
from kneecoach.tracking.progress import (
    TrendPoint,
    cadence_report,
    kujala_change_message,
    ladder_proposals,
    no_gain_referral,
    phase_progress,
    progress_context,
    retest_due,
)

KB = load_kb()
DAY = date(2026, 11, 30)
ALL_A = {i.id: "a" for i in KB.kujala.items}


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def chain():
    profile = load_example("chain_check_001")
    return profile, assess(profile).plan


# --------------------------------------------------------------------------- re-tests


@pytest.mark.parametrize("days_ago, due", [(10, False), (20, False), (21, True), (40, True)])
def test_retest_due_every_three_weeks(chain, days_ago, due):
    profile, _ = chain
    result = retest_due([(_at(DAY - timedelta(days=days_ago)), "intake", profile)], DAY, KB)
    assert result.due is due and KB.rules.retest.every_days == 21
    assert ("due" in result.message) and (("kneecoach recheck" in result.message) is due)


@pytest.mark.parametrize("first, last, words", [
    (60, 70, "a change you would notice (better)"),
    (70, 60, "a change you would notice (worse)"),
    (60, 67, "within the noise"),
])
def test_kujala_change_is_read_against_the_mcid(first, last, words):
    pts = [TrendPoint(DAY - timedelta(days=21), "intake", first, {}, None, None),
           TrendPoint(DAY, "retest", last, {}, None, None)]
    msg = kujala_change_message(pts, KB)
    assert words in msg and "crossley2004" in msg


@pytest.mark.parametrize("first, last, days, refers", [
    (60, 64, 42, True),    # 6 weeks, +4: less than a person notices
    (60, 55, 56, True),    # worse after 8 weeks
    (60, 68, 42, False),   # +8: a change a person notices
    (60, 62, 41, False),   # not yet 6 weeks
    (93, 93, 70, False),   # a first score within 8 of 100 leaves no room for such a gain
    (92, 92, 70, True),
])
def test_no_kujala_gain_after_six_weeks_refers(first, last, days, refers):
    assert KB.rules.retest.refer_without_gain_weeks == 6 and KB.rules.retest.kujala_mcid == 8
    pts = [TrendPoint(DAY - timedelta(days=days), "intake", first, {}, None, None),
           TrendPoint(DAY - timedelta(days=days // 2), "retest", None, {}, None, None),
           TrendPoint(DAY, "retest", last, {}, None, None)]
    msg = no_gain_referral(pts, KB)
    assert bool(msg) is refers
    if refers:
        assert msg.startswith("See a clinician") and f"from {first} to {last}" in msg and "crossley2004" in msg


def test_a_stalled_kujala_leads_the_progress_and_the_review_page(factory: sessionmaker[Session]):
    start = DAY - timedelta(weeks=7)
    data = yaml.safe_load(example_text("chain_check_001"))
    data["kujala"] = {**data["kujala"], "stairs": "c", "squatting": "c", "running": "c"}  # room to improve
    profile = parse_profile(data, "scenario")
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        a = assess(profile, KB)
        prec = repo.save_profile(s, owner, profile, taken_at=_at(start))
        arec = repo.save_assessment(s, owner, prec.id, a.model_dump(mode="json"), a.kb_version)
        repo.save_plan(s, owner, a.plan, "intake", assessment_id=arec.id)
        # seven weeks on, the same answers: no gain
        record_retest(s, owner, {"kujala": data["kujala"], "self_tests": data["self_tests"]}, KB, DAY - timedelta(days=1))
        _, _, prog = load_progress(s, owner, DAY, KB)
    assert prog.trend[0].kujala == prog.trend[-1].kujala <= 100 - KB.rules.retest.kujala_mcid
    assert prog.refer.startswith("See a clinician") and prog.summary_lines()[0] == prog.refer


def test_a_single_score_has_no_trend():
    assert "one score so far" in kujala_change_message([TrendPoint(DAY, "intake", 70, {}, None, None)], KB)


def test_retest_with_missing_or_invalid_answers_names_each_field(chain):
    profile, _ = chain
    answers = {"kujala": {**ALL_A, "limp": "z"}, "self_tests": {"plank_hold_s": 40}}
    answers["kujala"].pop("stairs")
    with pytest.raises(ProfileError) as info:
        apply_retest(profile, answers, KB)
    assert "kujala.stairs: required field is missing" in info.value.problems
    assert any(p.startswith("kujala.limp: 'z' is not an option") for p in info.value.problems)
    with pytest.raises(ProfileError) as info:
        apply_retest(profile, {"kujala": ALL_A, "self_tests": {"plank_hold_s": -3}}, KB)
    assert any(p.startswith("self_tests.plank_hold_s") for p in info.value.problems)


def test_pain_free_runner_may_skip_kujala_at_retest():
    profile = load_example("prevention_check")
    new = apply_retest(profile, {"self_tests": {"plank_hold_s": 50}}, KB)
    assert new.self_tests.plank_hold_s == 50 and new.pain_free


# --------------------------------------------------------------------------- ladders


def _sessions(ex: str, days: list[date], reps: int = 12, sets: int = 3) -> list[ExerciseObs]:
    return [ExerciseObs(d, ex, sets=sets, reps=reps) for d in days]


def test_ladder_moves_up_after_two_full_dose_sessions(chain):
    _, plan = chain
    ex = _sessions("glute_bridge", [DAY - timedelta(days=3), DAY - timedelta(days=1)])
    props = {p.exercise_id: p for p in ladder_proposals(plan, ex, [PainObs(DAY, "during", 2)], DAY, KB)}
    bridge = props["glute_bridge"]
    assert (bridge.current, bridge.proposed, bridge.direction) == (0, 1, "up")
    assert bridge.proposed_name == "Single-leg glute bridge"
    assert props["clamshell"].direction == "stay"  # not logged


def test_ladder_moves_down_when_pain_is_above_the_rule(chain):
    _, plan = chain
    plan = plan.model_copy(update={"rungs": {"glute_bridge": 2}})
    ex = _sessions("glute_bridge", [DAY - timedelta(days=3), DAY - timedelta(days=1)])
    props = {p.exercise_id: p for p in ladder_proposals(plan, ex, [PainObs(DAY, "during", 5)], DAY, KB)}
    assert (props["glute_bridge"].proposed, props["glute_bridge"].direction) == (1, "down")


def test_short_sets_do_not_count_as_full_dose(chain):
    _, plan = chain
    ex = _sessions("glute_bridge", [DAY - timedelta(days=3), DAY - timedelta(days=1)], reps=8)
    props = {p.exercise_id: p for p in ladder_proposals(plan, ex, [], DAY, KB)}
    assert props["glute_bridge"].direction == "stay"


@settings(max_examples=80, deadline=None)
@given(
    pains=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 10)), max_size=8),
    sessions=st.lists(st.integers(0, 20), max_size=8),
    rung=st.integers(0, 2),
)
def test_never_moved_up_when_pain_was_above_the_rule_in_the_window(chain, pains, sessions, rung):
    _, plan = chain
    plan = plan.model_copy(update={"rungs": {e.id: rung for p in plan.phases for e in p.exercises}})
    pain = [PainObs(DAY - timedelta(days=d), "during", s) for d, s in pains]
    ex = [ExerciseObs(DAY - timedelta(days=d), e.id, sets=5, reps=30)
          for d in sessions for p in plan.phases for e in p.exercises]
    window = KB.rules.ladder.window_days
    over = any(s > plan.pain_rule.max_during_run for d, s in pains if d < window)
    for prop in ladder_proposals(plan, ex, pain, DAY, KB):
        if over:
            assert prop.proposed <= prop.current, prop


# --------------------------------------------------------------------------- criteria-based phases


def test_phase_criteria_met_not_met_and_not_recorded(chain):
    profile, plan = chain
    hist = [(_at(DAY - timedelta(days=30)), "intake", profile)]
    ctx = progress_context(hist, [], [], DAY, KB)
    phases, current = phase_progress(plan, ctx, KB)
    by_id = {p.id: p for p in phases}
    assert by_id["calm_load"].criteria[0].status == "not_recorded"  # no diary yet: a question, not a failure
    assert {c.id: c.status for c in by_id["activate"].criteria}["knee_stays_out"] == "not_met"  # right knee drops
    assert current == "calm_load"
    pain = [PainObs(DAY - timedelta(days=i), "during", 2) for i in range(5)]
    ex = _sessions("clamshell", [DAY - timedelta(days=i) for i in (1, 3, 5, 8)], reps=15)
    ctx = progress_context(hist, pain, ex, DAY, KB)
    phases, current = phase_progress(plan, ctx, KB)
    by_id = {p.id: p for p in phases}
    assert by_id["calm_load"].done
    assert {c.id: c.status for c in by_id["activate"].criteria} == {"knee_stays_out": "not_met", "full_dose_two_weeks": "met"}
    assert current == "activate"


# --------------------------------------------------------------------------- cadence


def _run(d: date, km: float, minutes: float, cadence: float | None) -> Activity:
    return Activity(start=_at(d), duration_s=minutes * 60, distance_m=km * 1000, avg_cadence_spm=cadence)


def test_no_cadence_in_the_files_means_no_target():
    rep = cadence_report([_run(DAY, 5, 30, None)], DAY, KB, opted_in=True)
    assert rep.target_spm is None and "cannot suggest a target" in rep.message


def test_no_runs_at_all_says_so_not_step_rates():
    rep = cadence_report([], DAY, KB, opted_in=True)
    assert rep.target_spm is None and "no runs yet" in rep.message and "records a step rate" not in rep.message
    later = cadence_report([_run(DAY + timedelta(days=3), 5, 30, 170)], DAY, KB, opted_in=True)
    assert "no runs yet" in later.message  # a run after the day reviewed is not yet a run


def test_cadence_target_is_usual_easy_rate_plus_the_rule_and_tracked():
    runs = [_run(DAY - timedelta(days=20 + i), 8, 48, 160 + (i % 2)) for i in range(6)]  # easy
    runs += [_run(DAY - timedelta(days=20 + i), 5, 22, 176) for i in range(3)]  # faster runs: not "easy"
    runs += [_run(DAY - timedelta(days=i), 6, 36, c) for i, c in ((1, 173), (3, 171), (5, 165))]
    rep = cadence_report(runs, DAY, KB, opted_in=True)
    assert rep.usual_spm == pytest.approx(160, abs=1.5)
    assert rep.target_spm == pytest.approx(round(rep.usual_spm * 1.075))
    assert (rep.recent_runs, rep.recent_on_target) == (3, 2)
    assert "2 of 3 runs" in rep.message
    off = cadence_report(runs, DAY, KB, opted_in=False)
    assert off.target_spm is None and "Opt in" in off.message


# --------------------------------------------------------------------------- 8 simulated weeks


def test_eight_weeks_intake_diary_runs_retest_adapt(factory: sessionmaker[Session]):
    """Intake -> 4 weeks of diary and runs -> re-test with better Kujala and symmetry -> the phase
    advances, an exercise moves up a rung (applied by the review), the cadence target is tracked."""
    from kneecoach.tracking.progress import apply_progress

    start = DAY - timedelta(weeks=8)
    data = yaml.safe_load(example_text("chain_check_001"))
    data["running"]["cadence_retraining"] = True
    data["kujala"] = {**data["kujala"], "stairs": "c", "squatting": "c", "running": "c"}  # a worse start
    profile = parse_profile(data, "scenario")
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        a = assess(profile, KB)
        prec = repo.save_profile(s, owner, profile, taken_at=_at(start))
        arec = repo.save_assessment(s, owner, prec.id, a.model_dump(mode="json"), a.kb_version)
        repo.save_plan(s, owner, a.plan, "intake", assessment_id=arec.id)
        runs = []
        for week in range(8):
            for k in range(3):
                d = start + timedelta(days=7 * week + 2 * k)
                cadence = 160.0 if week < 5 else 173.0  # the higher step rate is taken up in week 6
                runs.append(_run(d, 6 + week * 0.3, 38, cadence))
                repo.add_pain(s, owner, d, "during", 3 if week < 2 else 1)
                for ex in ("glute_bridge", "clamshell", "wall_squat_pain_free", "step_up"):
                    dose = KB.exercises[ex].dose
                    repo.add_exercise(s, owner, d, ex, sets=dose.sets, reps=dose.reps_max or dose.reps)
        repo.add_runs(s, owner, runs)

    with transaction(factory) as s:
        _, plan0, before = load_progress(s, owner, start + timedelta(days=13), KB)
    assert before.current_phase == "activate"  # the right knee still drops inward

    retest = {"kujala": {**data["kujala"], "stairs": "a", "squatting": "a", "running": "a", "jumping": "a"},
              "self_tests": {**data["self_tests"],
                             "single_leg_squat": {"left": {"knee_falls_inward": False}, "right": {"knee_falls_inward": False}},
                             "single_leg_sit_to_stand_reps": {"left": 12, "right": 12}}}
    with transaction(factory) as s:
        record_retest(s, owner, retest, KB, DAY - timedelta(days=1))
        version, plan, after = load_progress(s, owner, DAY, KB)

    kinds = [p.kind for p in after.trend]
    assert kinds == ["intake", "retest"]
    assert after.trend[-1].kujala - after.trend[0].kujala >= KB.rules.retest.kujala_mcid
    assert "a change you would notice (better)" in after.kujala_message
    assert after.trend[-1].lsi["sit-to-stand"] == 100 and after.trend[0].lsi["sit-to-stand"] < 90
    order = [p.id for p in sorted(plan.phases, key=lambda p: p.order)]
    assert order.index(after.current_phase) > order.index("activate"), after.current_phase
    bridge = next(r for r in after.rungs if r.exercise_id == "glute_bridge")
    assert bridge.direction == "up"
    assert after.cadence.target_spm == pytest.approx(172) and after.cadence.recent_on_target >= 3
    applied = apply_progress(plan, after)
    assert applied.rungs["glute_bridge"] == 1 and applied.current_phase == after.current_phase
    assert applied.cadence_target_spm == pytest.approx(172)
    assert not after.due.due  # the re-test was yesterday


def test_cadence_target_only_for_kneecap_pain():
    from kneecoach.tracking.progress import progress

    data = yaml.safe_load(example_text("it_band_003"))  # pain on the outside of the knee
    data["running"]["cadence_retraining"] = True
    profile = parse_profile(data, "itb")
    plan = assess(profile, KB).plan
    runs = [_run(DAY - timedelta(days=i), 8, 48, 162) for i in range(4)]
    prog = progress(plan, [(_at(DAY - timedelta(days=3)), "intake", profile)], runs, [], [], DAY, KB)
    assert prog.cadence.target_spm is None and "around or behind the kneecap" in prog.cadence.message


def test_pdf_carries_the_trend_chart_and_criteria(factory: sessionmaker[Session]):
    import io

    from pypdf import PdfReader

    from kneecoach.render.pdf import plan_to_pdf

    profile = load_example("chain_check_001")
    with transaction(factory) as s:
        owner = repo.get_or_create_local_runner(s).id
        a = assess(profile, KB)
        prec = repo.save_profile(s, owner, profile, taken_at=_at(DAY - timedelta(days=30)))
        arec = repo.save_assessment(s, owner, prec.id, a.model_dump(mode="json"), a.kb_version)
        repo.save_plan(s, owner, a.plan, "intake", assessment_id=arec.id)
        record_retest(s, owner, {"kujala": ALL_A, "self_tests": {"single_leg_sit_to_stand_reps": {"left": 10, "right": 10}}},
                      KB, DAY)
        _, plan, prog = load_progress(s, owner, DAY, KB)
    pdf = plan_to_pdf(plan, "Riley", progress=prog)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Progress: re-tests and trends" in text and "Kujala 94 -> 100" in text and "within the noise" in text
    assert "LSI sit-to-stand %" in text and "(current)" in text
