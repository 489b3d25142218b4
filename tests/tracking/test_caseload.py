"""Caseload rules (knowledge/data/caseload.yaml), their ranking, adherence, and clinician plan changes (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kneecoach.knowledge.predicates import check_predicate_path
from kneecoach.knowledge.caseload_rules import load_caseload_rules
from kneecoach.knowledge.schema import Predicate, When
from kneecoach.tracking.adherence import adherence_over, adherence_share
from kneecoach.tracking.caseload import CaseFacts, assess_case, rank


@pytest.fixture(scope="module")
def kb():
    from kneecoach.engine import load_kb

    return load_kb()


def _predicates(when: When):
    for node in [*when.all, *when.any]:
        if isinstance(node, Predicate):
            yield node
        else:
            yield from _predicates(node)


def test_every_caseload_rule_names_real_facts_and_sources(kb):
    rules = load_caseload_rules()
    assert len(rules) >= 8
    for rule in rules:
        for pred in _predicates(rule.when):
            assert check_predicate_path(pred, kb.rules, root=CaseFacts) is None, (rule.id, pred)
        assert rule.show is None or rule.show in CaseFacts.model_fields, rule.id
        assert set(rule.sources) <= set(kb.sources), rule.id


def test_reasons_in_words_with_values_and_need_ranking(kb):
    rules = load_caseload_rules()
    calm = CaseFacts(runner_id=1, name="Calm", adherence_pct=90, days_since_measure=3, days_inactive=1)
    hurting = CaseFacts(runner_id=2, name="Hurting", max_run_pain_14d=8, pause_running_at=7,
                        pain_at_or_over_pause=True, pain_rise=2.5, kujala=60, kujala_change=-10, kujala_fall=10,
                        adherence_pct=20, days_since_measure=30, days_inactive=2, unread_notes=2)
    row = assess_case(hurting, rules, kb.rules)
    ids = [rid for rid, _ in row.reasons]
    assert ids == ["pause_running", "pain_rising", "kujala_fall", "low_adherence", "retest_overdue", "unread_notes"]
    texts = dict(row.reasons)
    assert "8/10" in texts["pause_running"] and "2.5 points" in texts["pain_rising"] and "20 %" in texts["low_adherence"]
    assert assess_case(calm, rules, kb.rules).reasons == []
    # a Kujala fall below the MCID (rules.yaml) is not a reason
    small = calm.model_copy(update={"kujala_fall": kb.rules.retest.kujala_mcid - 1})
    assert assess_case(small, rules, kb.rules).reasons == []
    assert [r.facts.name for r in rank([calm, hurting], rules, kb.rules)] == ["Hurting", "Calm"]
    assert [r.facts.name for r in rank([hurting, calm], rules, kb.rules, sort="name")] == ["Calm", "Hurting"]
    assert [r.facts.name for r in rank([calm, hurting], rules, kb.rules, only="attention")] == ["Hurting"]


def test_no_kujala_gain_after_the_rules_weeks_is_a_reason(kb):
    rules = load_caseload_rules()
    weeks = kb.rules.retest.refer_without_gain_weeks
    stalled = CaseFacts(runner_id=3, name="Stalled", kujala_no_gain_weeks=weeks, days_since_measure=2, days_inactive=1)
    row = assess_case(stalled, rules, kb.rules)
    assert [rid for rid, _ in row.reasons] == ["kujala_no_gain"]
    assert f"{weeks} weeks" in dict(row.reasons)["kujala_no_gain"]
    early = stalled.model_copy(update={"kujala_no_gain_weeks": weeks - 1})
    assert assess_case(early, rules, kb.rules).reasons == []


def test_caseload_adherence_share():
    start = date(2026, 11, 2)
    done = [start + timedelta(days=d) for d in (0, 2, 4, 7)]
    assert adherence_share(3, 3, 7) == 1.0 and adherence_share(1, 3, 7) == pytest.approx(1 / 3)
    assert adherence_share(2, 0) is None
    assert adherence_over(done, 2, start + timedelta(days=13)) == 1.0
    assert adherence_over(done[:1], 2, start + timedelta(days=13)) == 0.25


def test_changes_apply_to_the_base_and_rebase_takes_them_out_again(kb):
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.plan.changes import ChangeRequest, apply_changes, make_change, rebase

    base = assess(load_example("runners_knee_004")).plan
    ex = next(e for p in base.phases for e in p.exercises)
    mk = lambda **kw: make_change(ChangeRequest(**kw), base, kb, set(), author_id=9, author_name="Dr K")  # noqa: E731
    changes = [mk(kind="remove_exercise", exercise_id=ex.id, reason="hurts"),
               mk(kind="cap_weekly_km", km=10, reason="taper"),
               mk(kind="add_instruction", text="ice", reason="swelling")]
    eff = apply_changes(base, changes)
    assert ex.id not in {e.id for p in eff.phases for e in p.exercises}
    assert max(w.km for w in eff.mileage_ramp) <= 10 and "From Dr K: ice" in eff.notes
    assert apply_changes(eff, changes).notes.count("From Dr K: ice") == 1  # applying twice changes nothing more
    back = rebase(eff, eff, base)
    assert back.model_dump() == base.model_dump()
    with pytest.raises(ValueError, match="reason"):
        mk(kind="hold_running", reason="  ")


def test_kb_check_reports_a_caseload_rule_naming_an_unknown_fact(tmp_path):
    import shutil

    from typer.testing import CliRunner

    from kneecoach.cli import app
    from kneecoach.knowledge.loader import packaged_data_dir

    for f in packaged_data_dir().glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    runner = CliRunner()
    assert runner.invoke(app, ["kb", "check", "--dir", str(tmp_path), "--full"]).exit_code == 0
    path = tmp_path / "caseload.yaml"
    path.write_text(path.read_text().replace("field: unread_notes,", "field: unread_notez,"))
    result = runner.invoke(app, ["kb", "check", "--dir", str(tmp_path), "--full"])
    assert result.exit_code == 1 and "unread_notez" in result.output
