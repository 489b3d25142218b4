"""The morning check applies the plan's pain rule (the rule's numbers, not copies of them)."""

from __future__ import annotations

import pytest

from kneecoach.plan.models import Plan
from kneecoach.plan.morning import MorningAnswer, decide_run, needs_second_question


def _decide(plan: Plan, score: int | None, **kw):
    answer = None if score is None else MorningAnswer(score, kw.pop("worse", None))
    return decide_run(answer, kw.pop("planned", 10.0), plan.pain_rule, plan.ramp_rule, **kw)


def test_every_score_gets_a_decision_that_obeys_the_rule(plan: Plan) -> None:
    rule = plan.pain_rule
    for score in range(11):
        d = _decide(plan, score)
        if score >= rule.pause_running_at:
            assert d.action == "rest" and d.km == 0
        elif score >= rule.step_back_at:
            assert d.action == "cross_train" and d.km == 0
        elif score > rule.max_next_morning:
            assert d.action == "shorter" and d.km == pytest.approx(10.0 * plan.ramp_rule.calm_load_factor)
        else:
            assert d.action == "as_planned" and d.km == 10.0
        assert d.reason and str(score) in d.reason


def test_a_clinician_editing_the_rule_changes_the_check(plan: Plan) -> None:
    strict = plan.pain_rule.model_copy(update={"max_next_morning": 1})
    d = decide_run(MorningAnswer(2), 10.0, strict, plan.ramp_rule)
    assert d.action == "shorter"
    assert _decide(plan, 2).action == "as_planned"


def test_second_question_only_after_a_painful_run(plan: Plan) -> None:
    rule = plan.pain_rule
    assert not needs_second_question(None, rule)
    assert not needs_second_question(rule.max_during_run, rule)
    assert needs_second_question(rule.max_during_run + 1, rule)
    assert _decide(plan, 1, worse=True).action == "shorter"
    assert _decide(plan, 1, worse=False).action == "as_planned"


def test_severe_pain_in_yesterdays_run_pauses_running(plan: Plan) -> None:
    d = _decide(plan, 0, yesterday_run_pain=plan.pain_rule.pause_running_at)
    assert d.action == "cross_train" and "yesterday" in d.reason


def test_unsettled_mornings_in_a_row_pause_running(plan: Plan) -> None:
    rule = plan.pain_rule
    high = rule.max_next_morning + 1
    earlier = [None] * 5 + [high] * (rule.pause_after_unsettled_mornings - 1)
    assert _decide(plan, high, earlier_mornings=earlier).action == "cross_train"
    assert _decide(plan, high, earlier_mornings=[high, 0]).action == "shorter"


def test_no_run_day_and_unanswered_check(plan: Plan) -> None:
    d = _decide(plan, 5, planned=None, no_run_reason="Tuesday is a rest day")
    assert d.action == "no_run" and "Tuesday" in d.reason and "5/10" in d.reason
    assert _decide(plan, None).action == "unchecked"


@pytest.mark.parametrize("bad", [11, -1, True, 3.5])
def test_bad_scores_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="0 \\(none\\) to 10"):
        MorningAnswer(bad)
