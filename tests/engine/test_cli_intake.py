"""The terminal questionnaire writes a valid profile, and a red flag ends it with a referral."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from kneecoach.intake.load import load_profile
from kneecoach.knowledge.loader import load_kb

runner = CliRunner()


def answers(kb, *, flag_yes: str | None = None) -> str:
    lines = []
    for rf in kb.red_flags:
        lines.append("y" if rf == flag_yes else "n")
        if rf == flag_yes:
            return "\n".join(lines) + "\n"
    lines += [
        "Tess",          # name
        "1",             # sides: left
        "3,1",           # locations: above_kneecap, around_kneecap
        "10,3",          # aggravators: landing_jumping, downhill
        "n", "n",        # swelling, grinding
        "0", "4", "3",   # pain at rest, during, after
        "n",             # surgery
        "n", "n",        # knee replacement, ACL
        "30", "40",      # km now, target
        "y", "n", "n",   # hilly, banked, strength work
    ]
    lines += ["b"] * 13  # Kujala
    lines += ["25"]      # plank
    lines += ["y", "n"]  # valgus left / right
    lines += ["tight", "normal"] + ["normal", "normal"] * 3
    return "\n".join(lines) + "\n"


def test_intake_writes_a_profile_that_assesses(tmp_path):
    from kneecoach.cli import app
    from kneecoach.engine import assess

    kb = load_kb()
    out = tmp_path / "tess.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=answers(kb))
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
    text = answers(kb).replace("\n0\n4\n3\n", "\n0\n14\n4\n3\n", 1)  # 14 is out of range, then 4
    out = tmp_path / "y.yaml"
    result = runner.invoke(app, ["intake", "-o", str(out)], input=text)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["symptoms"]["pain_during_run"] == 4
