"""The figure body model, the SVG renderer and kb check's figure rules."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml

from kneecoach.knowledge.figure_checks import figure_problems
from kneecoach.figures.library import all_entries, render, write_figures
from kneecoach.knowledge.figure_model import LENGTHS, placed, project, segment_length, solve
from kneecoach.knowledge.figure_spec import Figure
from kneecoach.assessment.kb import load_checked, load_kb
from kneecoach.knowledge.loader import KnowledgeBaseError, packaged_data_dir

SVG = "{http://www.w3.org/2000/svg}"


def test_standing_pose_geometry():
    body = placed({})
    p = body.points
    assert p["heel_r"][2] == pytest.approx(0.0, abs=1e-9)
    assert p["knee_r"][2] == pytest.approx(LENGTHS["shank"] + 0.045)
    assert p["pelvis"][2] == pytest.approx(LENGTHS["shank"] + LENGTHS["thigh"] + 0.045)
    assert p["head"][2] > p["neck"][2] > p["pelvis"][2]
    assert p["toe_r"][1] > p["heel_r"][1]  # faces forward (+y)


def test_joint_angles_move_the_right_way():
    sq = solve({"hip": 90, "knee": 90})
    assert sq.points["knee_r"][1] == pytest.approx(LENGTHS["thigh"])        # thigh straight forward
    assert sq.points["ankle_r"][2] == pytest.approx(sq.points["knee_r"][2] - LENGTHS["shank"])  # shin vertical
    lean = solve({"trunk": 30})
    assert lean.points["neck"][1] > 0                                       # leaning forward
    valgus = solve({"hip_abd_r": -10, "knee_valgus_r": 15})
    assert valgus.points["knee_r"][0] < solve({}).points["knee_r"][0]        # knee moves toward the midline


@pytest.mark.parametrize("pose", [{}, {"trunk": 60, "hip": 100, "knee": 120}, {"roll": -90, "hip_abd_r": 35, "hip_rot_r": 30},
                                  {"yaw": 30, "shoulder": 170, "elbow": 90, "head": 40}])
def test_segments_keep_their_lengths(pose):
    body = solve(pose)
    for seg, a, b in body.segments:
        assert np.linalg.norm(body.points[b] - body.points[a]) == pytest.approx(segment_length(seg))


def test_front_view_mirrors_the_sides():
    body = placed({})
    assert project(body.points["hip_r"], "front")[0] < project(body.points["hip_l"], "front")[0]
    assert project(body.points["hip_r"], "side") == pytest.approx(project(body.points["hip_l"], "side"))


@pytest.mark.parametrize("style", ["animated", "page", "strip", "print"])
def test_every_figure_renders_well_formed_accessible_svg(style):
    kb = load_kb()
    entries = all_entries(kb)
    assert len(entries) == len(kb.exercises) + len(kb.self_tests)  # every entry has a figure
    for e in entries:
        svg = render(e, style)
        root = ET.fromstring(svg)
        assert root.tag == SVG + "svg"
        assert root.get("role") == "img"
        assert root.find(SVG + "title").text == e.name
        desc = root.find(SVG + "desc").text
        assert e.text.strip()[:40] in desc
        assert len(root.findall(f".//{SVG}line")) >= 8
        assert ("<style>" in svg) == (style == "animated")
        if style == "strip":
            labels = "".join(t.text or "" for t in root.iter(SVG + "tspan"))
            assert e.figure.keyframes[0].label.split()[0] in labels


def test_rendering_is_deterministic():
    e = all_entries(load_kb())[0]
    assert render(e, "animated") == render(e, "animated")
    assert render(e, "strip") == render(e, "strip")


def test_self_test_shows_the_wrong_way_crossed_out():
    kb = load_kb()
    e = next(x for x in all_entries(kb) if x.id == "single_leg_squat" and x.kind == "self_test")
    svg = render(e, "strip")
    assert "#b91c1c" in svg and "drops inward" in svg
    assert kb.self_tests["single_leg_squat"].figure.view == "front"


def test_write_figures_next_to_a_document(tmp_path):
    kb = load_kb()
    written = write_figures(tmp_path / "figs", list(kb.exercises)[:3], kb=kb)
    assert len(written) == 3
    for path in written.values():
        assert path.exists() and ET.parse(path).getroot().tag == SVG + "svg"


def test_write_figures_redraws_only_what_is_missing_or_stale(tmp_path):
    import json

    from kneecoach.figures.library import MANIFEST

    kb = load_kb()
    ids = list(kb.exercises)[:3]
    folder = tmp_path / "figs"
    first = write_figures(folder, ids, kb=kb)
    kept, deleted, stale = (first[i] for i in ids)
    kept.write_text("<svg>marker: left alone</svg>", encoding="utf-8")
    deleted.unlink()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest[stale.name] = "an older knowledge base"
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    stale.write_text("<svg>old drawing</svg>", encoding="utf-8")

    again = write_figures(folder, ids, kb=kb)
    assert again == first
    assert "left alone" in kept.read_text(encoding="utf-8"), "an up-to-date figure is not redrawn"
    for path in (deleted, stale):
        assert ET.parse(path).getroot().tag == SVG + "svg" and "old drawing" not in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- kb check

@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(packaged_data_dir(), dest)
    return dest


def edit(folder: Path, name: str, fn) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_checked(folder)
    return info.value.problems


def _exercise(data, ex_id):
    return next(e for e in data if e["id"] == ex_id)


def test_missing_figure_is_named_precisely(kb_copy):
    edit(kb_copy, "exercises.yaml", lambda d: _exercise(d, "glute_bridge").pop("figure"))
    assert "exercises.yaml glute_bridge: no figure" in problems(kb_copy)


def test_self_test_without_figure(kb_copy):
    edit(kb_copy, "self_tests.yaml", lambda d: d[0].pop("figure"))
    assert "self_tests.yaml single_leg_squat: no figure" in problems(kb_copy)


def test_joint_angle_outside_human_range(kb_copy):
    edit(kb_copy, "exercises.yaml", lambda d: _exercise(d, "glute_bridge")["figure"]["keyframes"][0]["pose"].update(knee=170))
    found = problems(kb_copy)
    assert any("glute_bridge: figure keyframe 'Start: on your back, feet flat': knee_r 170 is outside" in p for p in found), found


def test_unknown_joint(kb_copy):
    edit(kb_copy, "exercises.yaml", lambda d: _exercise(d, "clamshell")["figure"]["keyframes"][0]["pose"].update(tail=3))
    assert any("clamshell: figure keyframe" in p and "unknown joint 'tail'" in p for p in problems(kb_copy))


def test_hips_must_touch_the_floor_at_the_start_of_a_bridge(kb_copy):
    edit(kb_copy, "exercises.yaml",
         lambda d: _exercise(d, "glute_bridge")["figure"]["keyframes"][0]["anchor"].update(at=[0.0, 0.25]))
    found = problems(kb_copy)
    assert any("glute_bridge" in p and "pelvis should touch floor" in p for p in found), found


def test_back_must_touch_the_wall_in_a_wall_sit(kb_copy):
    def move_wall(d):
        fig = _exercise(d, "vmo_wall_sit_leg_raise")["figure"]
        next(p for p in fig["props"] if p["kind"] == "wall")["y"] = -0.4
    edit(kb_copy, "exercises.yaml", move_wall)
    assert any("vmo_wall_sit_leg_raise" in p and "back_mid should touch wall" in p for p in problems(kb_copy))


def test_feet_must_be_on_the_floor_when_standing(kb_copy):
    edit(kb_copy, "exercises.yaml",
         lambda d: _exercise(d, "stretch_quads")["figure"]["keyframes"][0]["anchor"].update(at=[0.0, 0.2]))
    assert any("stretch_quads" in p and "heel_l should touch floor" in p for p in problems(kb_copy))


def test_contact_with_a_prop_that_does_not_exist(kb_copy):
    edit(kb_copy, "exercises.yaml",
         lambda d: _exercise(d, "bodyweight_squat")["figure"]["keyframes"][1]["contacts"].append(
             {"point": "pelvis", "prop": "sofa"}))
    assert any("bodyweight_squat" in p and "contact prop 'sofa' is not in the figure's props" in p for p in problems(kb_copy))


def test_unknown_prop_kind_is_a_schema_error(kb_copy):
    edit(kb_copy, "exercises.yaml",
         lambda d: _exercise(d, "bodyweight_squat")["figure"]["props"].append({"id": "trampoline", "kind": "trampoline"}))
    assert any("exercises.yaml bodyweight_squat: figure.props" in p for p in problems(kb_copy))


def test_highlight_of_unknown_muscle(kb_copy):
    edit(kb_copy, "exercises.yaml", lambda d: _exercise(d, "clamshell")["figure"].update(highlight=["spleen"]))
    assert "exercises.yaml clamshell: figure highlights unknown muscle 'spleen'" in problems(kb_copy)


def test_a_floating_pose_is_reported():
    fig = Figure.model_validate({"view": "side", "props": [{"id": "floor", "kind": "floor"}], "keyframes": [
        {"label": "A", "pose": {}, "contacts": [{"point": "heel_r", "prop": "floor"}]},
        {"label": "B", "pose": {}, "anchor": {"point": "pelvis", "at": [0, -0.2]}, "contacts": []}]})
    found = figure_problems(fig, "exercises.yaml x", ["quadriceps"], ["quadriceps"])
    assert any("keyframe 'B'" in p and "below the floor" in p for p in found), found
    assert any("keyframe 'B': touches nothing" in p for p in found), found


# ---------------------------------------------------------------- CLI

def test_markdown_export_writes_and_links_figures(tmp_path):
    from typer.testing import CliRunner

    from kneecoach.cli import app

    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["assess", "-e", "marathoner_000", "-f", "markdown", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines() if line.strip().startswith("![")]
    assert len(links) >= 5
    for link in links:
        assert link.startswith("plan_figures/") and (tmp_path / link).exists()
    assert "![Glute bridge: start and end positions](plan_figures/exercise-glute_bridge.svg)" in text


def test_terminal_output_links_to_figures(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kneecoach.cli import app

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["assess", "-e", "marathoner_000", "--full"])
    assert result.exit_code == 0, result.output
    assert "Exercise figures" in result.output
    uri = (tmp_path / "kneecoach" / "figures" / "exercise-glute_bridge.svg").as_uri()
    assert uri in result.output and (tmp_path / "kneecoach" / "figures" / "exercise-glute_bridge.svg").exists()


def test_kb_figures_writes_an_index(tmp_path):
    from typer.testing import CliRunner

    from kneecoach.cli import app

    result = CliRunner().invoke(app, ["kb", "figures", "-o", str(tmp_path), "clamshell", "single_leg_squat"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == [
        "exercise-clamshell-animated.svg", "exercise-clamshell-strip.svg",
        "self-test-single_leg_squat-animated.svg", "self-test-single_leg_squat-strip.svg"]
    assert "Clamshell" in (tmp_path / "index.html").read_text()


def test_kb_check_cli_names_the_entry_without_a_figure(kb_copy):
    from typer.testing import CliRunner

    from kneecoach.cli import app

    edit(kb_copy, "exercises.yaml", lambda d: _exercise(d, "reverse_lunge").pop("figure"))
    result = CliRunner().invoke(app, ["kb", "check", "--dir", str(kb_copy)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "exercises.yaml reverse_lunge: no figure" in " ".join(result.output.split())


def test_long_labels_wrap_without_losing_words():
    from kneecoach.figures.render_svg import wrap

    label = "End: 3 s down, knee over the toes, heel to the floor, then rise slowly"
    lines = wrap(label, 180, 14)
    assert 1 < len(lines) <= 3
    assert " ".join(lines).split() == label.split()
