"""The CLI writes the measured angle into the profile side, and assess then uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kneecoach.cli import app
from kneecoach.engine import assess
from kneecoach.intake.load import load_example, load_profile
from kneecoach.assessment.kb import load_kb
from kneecoach.video.analysis import analyse
from kneecoach.video.report import VideoReport, apply_to_profile_data, cutoff_deg
from tests.video.synth import concat, squat_series


def _fake_report(fppa_left: float, fppa_right: float) -> VideoReport:
    clip = concat(squat_series("left", fppa=fppa_left), squat_series("right", fppa=fppa_right))
    return VideoReport(analyse(clip), cutoff_deg(load_kb()))


def test_profile_values_use_the_kb_cutoff() -> None:
    r = _fake_report(14.0, 4.0)
    assert r.cutoff_deg == load_kb().rules.valgus_angle_deg
    v = r.profile_values()
    assert v["left"] == {"valgus_angle_deg": pytest.approx(14.0, abs=0.5), "knee_falls_inward": True}
    assert v["right"]["knee_falls_inward"] is False


def test_negative_fppa_is_recorded_as_no_inward_drop() -> None:
    v = _fake_report(-6.0, 12.0).profile_values()
    assert v["left"] == {"valgus_angle_deg": 0.0, "knee_falls_inward": False}


def test_apply_keeps_other_answers() -> None:
    data = {"self_tests": {"single_leg_squat": {"left": {"painful": True}}}}
    out = apply_to_profile_data(data, {"left": {"valgus_angle_deg": 12.0, "knee_falls_inward": True}})
    assert out["self_tests"]["single_leg_squat"]["left"] == {"painful": True, "valgus_angle_deg": 12.0, "knee_falls_inward": True}


def _write_example(tmp_path: Path) -> Path:
    from kneecoach.intake.load import example_text

    p = tmp_path / "me.yaml"
    p.write_text(example_text("above_kneecap_002"), encoding="utf-8")
    data = yaml.safe_load(p.read_text())
    data.setdefault("self_tests", {})["single_leg_squat"] = {"left": {"knee_falls_inward": False, "painful": True}, "right": {"knee_falls_inward": False}}
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_cli_records_the_angle_and_assess_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kneecoach.video.report as report_mod

    seen: dict[str, object] = {}

    def fake(clip: Path, kb, *, side=None, stride=1, out_dir=None, progress=None) -> VideoReport:
        seen.update(clip=clip, side=side, stride=stride)
        return _fake_report(15.0, 5.0)

    monkeypatch.setattr(report_mod, "analyse_clip", fake)
    monkeypatch.setattr("kneecoach.video.pose.video_available", lambda: None)  # the pose model is not under test
    profile = _write_example(tmp_path)
    before = assess(load_profile(profile))
    assert not any(f.id == "knee_valgus_single_leg_squat" for f in before.findings)

    clip = tmp_path / "clip.mp4"
    res = CliRunner().invoke(app, ["selftest", "video", str(clip), "--profile", str(profile), "--format", "json", "--stride", "2"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["profile_written"] == str(profile)
    assert body["sides"]["left"]["fppa_deg"] == pytest.approx(15.0, abs=0.5)
    assert "not a diagnosis" in body["note"] and "munro2012" in body["sources"]
    assert seen["stride"] == 2

    saved = yaml.safe_load(profile.read_text())["self_tests"]["single_leg_squat"]
    assert saved["left"]["painful"] is True  # the runner's own answer is kept
    assert saved["left"]["valgus_angle_deg"] == pytest.approx(15.0, abs=0.5)
    assert saved["left"]["knee_falls_inward"] is True and saved["right"]["knee_falls_inward"] is False

    after = assess(load_profile(profile))
    hits = [f for f in after.findings if f.id == "knee_valgus_single_leg_squat"]
    assert [f.side.value for f in hits] == ["left"]


def test_cli_text_output_and_bad_profile_left_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kneecoach.video.report as report_mod

    monkeypatch.setattr(report_mod, "analyse_clip", lambda *a, **k: _fake_report(15.0, 5.0))
    monkeypatch.setattr("kneecoach.video.pose.video_available", lambda: None)
    res = CliRunner().invoke(app, ["selftest", "video", str(tmp_path / "c.mp4")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "Per leg" in text and "not a diagnosis" in text and "+15.0" in text

    bad = tmp_path / "bad.yaml"
    bad.write_text("age: -3\n")
    res = CliRunner().invoke(app, ["selftest", "video", str(tmp_path / "c.mp4"), "--profile", str(bad)])
    assert res.exit_code == 2
    assert bad.read_text() == "age: -3\n"
    res = CliRunner().invoke(app, ["selftest", "video", str(tmp_path / "c.mp4"), "--side", "middle"])
    assert res.exit_code != 0 and "left or right" in res.output


def test_example_loads() -> None:
    assert load_example("above_kneecap_002") is not None


def test_cli_without_the_extra_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kneecoach.video.pose.video_available", lambda: "Video analysis needs the optional extra: pip install 'kneecoach[video]'")
    res = CliRunner().invoke(app, ["selftest", "video", str(tmp_path / "c.mp4")])
    assert res.exit_code == 2 and "kneecoach[video]" in res.output
