"""The terminal questionnaire writes a valid profile, and a red flag ends it with a referral."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from kneecoach.intake.load import load_profile
from kneecoach.assessment.kb import load_kb

runner = CliRunner()


def answers(kb, *, flag_yes: str | None = None, age: str = "", pain: bool = True, trauma: bool = False,
            replacement: bool = False) -> str:
    """Keystrokes for the questionnaire, in the order it asks them."""
    lines = []
    for rf in kb.red_flags.values():
        if not rf.ask or rf.show_when is not None:
            continue  # conditional questions come after age and history
        lines.append("y" if rf.id == flag_yes else "n")
        if rf.id == flag_yes:
            return "\n".join(lines) + "\n"
    lines += ["Tess", age, "y" if pain else "n"]
    if pain:
        lines += [
            "1",             # sides: left
            "3,1",           # locations: above_kneecap, around_kneecap
            "11,3",          # aggravators: landing_jumping, downhill
            "gradual",       # onset
            "n", "n", "n",   # swelling, grinding, eases when warm
            "0", "4", "3",   # pain at rest, during, after
            "",              # morning stiffness: skip
        ]
    lines += ["n"]                                    # surgery
    lines += ["y", "fall", "0.5"] if trauma else ["n"]  # injury
    lines += ["y" if replacement else "n", "n"]       # knee replacement, ACL
    lines += ["CONDITIONAL"]
    lines += [
        "30", "40",      # km now, target
        "y", "n", "n",   # hilly, banked, strength work
        "n",             # jumping sports
    ]
    if not pain:
        lines += ["n"]   # Kujala optional without pain
    else:
        lines += ["b"] * 13  # Kujala
    lines += ["25"]      # plank
    lines += ["y", "n"]  # valgus left / right
    lines += ["tight", "normal"] + ["normal", "normal"] * 3
    return "\n".join(lines) + "\n"


def with_conditional(text: str, replies: list[str]) -> str:
    """Fill the conditional safety questions' answers in at their place."""
    return text.replace("CONDITIONAL\n", "".join(r + "\n" for r in replies))


def test_intake_writes_a_profile_that_assesses(tmp_path):
    from kneecoach.cli import app
    from kneecoach.engine import assess

    kb = load_kb()
    out = tmp_path / "tess.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=with_conditional(answers(kb), []))
    assert result.exit_code == 0, result.output
    profile = load_profile(out)
    assert profile.name == "Tess"
    assert [loc.value for loc in profile.symptoms.locations] == ["above_kneecap", "around_kneecap"]
    assert profile.running.hilly_routes is True and profile.running.current_weekly_km == 30
    assert set(profile.kujala) == {i.id for i in kb.kujala.items}
    assert profile.self_tests.single_leg_squat.left.knee_falls_inward is True
    assert all(v is False for v in profile.red_flags.values())
    top = [h.id for h in assess(profile).hypotheses][:2]
    assert "weak_glutes" in top


def test_intake_red_flag_stops_with_referral(tmp_path):
    from kneecoach.cli import app

    kb = load_kb()
    out = tmp_path / "x.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=answers(kb, flag_yes="giving_way"))
    assert result.exit_code == 3
    flat = " ".join(result.output.split())  # Rich wraps long lines
    assert "see a clinician" in flat and kb.red_flags["giving_way"].reason in flat
    assert not out.exists()


def test_intake_rejects_out_of_range_and_reasks(tmp_path):
    from kneecoach.cli import app

    kb = load_kb()
    text = with_conditional(answers(kb), []).replace("\n0\n4\n3\n", "\n0\n14\n4\n3\n", 1)  # 14: out of range, then 4
    out = tmp_path / "y.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=text)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["symptoms"]["pain_during_run"] == 4


def test_conditional_questions_only_when_relevant(tmp_path):
    """Injury questions (Ottawa) and the knee-replacement infection question appear only when they apply."""
    from kneecoach.cli import app

    kb = load_kb()
    out = tmp_path / "injured.yaml"
    ottawa = [rf.id for rf in kb.red_flags.values() if rf.ask and rf.show_when and "trauma" in rf.id]
    text = with_conditional(answers(kb, trauma=True, replacement=True), ["n"] * (len(ottawa) + 1))
    result = runner.invoke(app, ["intake", "-o", str(out)], input=text)
    assert result.exit_code == 0, result.output
    asked = set(yaml.safe_load(out.read_text())["red_flags"])
    assert set(ottawa) | {"replacement_infection"} <= asked
    assert "adolescent_hip_limp" not in asked  # no age given

    plain = tmp_path / "plain.yaml"
    result = runner.invoke(app, ["intake", "-o", str(plain)], input=with_conditional(answers(kb), []))
    assert result.exit_code == 0, result.output
    asked = set(yaml.safe_load(plain.read_text())["red_flags"])
    assert not (set(ottawa) | {"replacement_infection", "adolescent_hip_limp"}) & asked


def test_adolescent_limp_question_refers(tmp_path):
    from kneecoach.cli import app

    kb = load_kb()
    out = tmp_path / "teen.yaml"
    text = with_conditional(answers(kb, age="13"), ["y"])
    result = runner.invoke(app, ["intake", "-o", str(out)], input=text)
    assert result.exit_code == 3, result.output
    flat = " ".join(result.output.split())
    assert "hip" in flat and kb.rules.urgency_action["urgent"].split(".")[0] in flat
    assert not out.exists()


def test_pain_free_runner_gets_a_prevention_profile(tmp_path):
    from kneecoach.cli import app
    from kneecoach.engine import assess

    kb = load_kb()
    out = tmp_path / "free.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=with_conditional(answers(kb, pain=False), []))
    assert result.exit_code == 0, result.output
    profile = load_profile(out)
    assert profile.pain_free and not profile.kujala
    a = assess(profile)
    assert a.pathway.id == "prevention" and a.plan is not None
    assert "calm_load" not in {p.id for p in a.plan.phases}
    assert a.plan.mileage_ramp[0].km == 30  # builds from the current distance
