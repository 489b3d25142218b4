"""``kneecoach selftest video``: measure the single-leg squat from a phone clip (needs kneecoach[video])."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kneecoach.cli.app import EXIT_BAD_INPUT, EXIT_FAILED, app

selftest_app = typer.Typer(help="Self-tests measured from a recording.", no_args_is_help=True)
app.add_typer(selftest_app, name="selftest")
console = Console()


@selftest_app.command("video")
def video(
    clip: Annotated[Path, typer.Argument(help="Phone clip of 3-5 single-leg squats per leg, filmed from the front.")],
    side: Annotated[str | None, typer.Option(help="Standing leg (left|right); found automatically when left out.")] = None,
    profile: Annotated[Path | None, typer.Option(help="Profile YAML to record valgus_angle_deg / knee_falls_inward into.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    out: Annotated[Path | None, typer.Option(help="Folder for the key-frame and chart PNGs (default: next to the clip).")] = None,
    stride: Annotated[int, typer.Option(min=1, max=4, help="Analyse every n-th frame (faster; see README for the effect).")] = 1,
) -> None:
    """Frontal plane projection angle, pelvic drop, trunk lean and depth per rep and per side."""
    from kneecoach.assessment.kb import load_kb
    from kneecoach.video.pose import video_available
    from kneecoach.video.quality import VideoQualityError

    if fmt not in ("text", "json"):
        raise typer.BadParameter("--format must be text or json")
    if side is not None and side not in ("left", "right"):
        raise typer.BadParameter("--side must be left or right")
    missing = video_available()
    if missing:
        console.print(f"[red]{escape(missing)}[/]")
        raise typer.Exit(EXIT_FAILED)
    from kneecoach.video.pose import native_logs_silenced
    from kneecoach.video.report import analyse_clip, apply_to_profile_data

    kb = load_kb()
    raw: dict[str, Any] | None = None
    if profile is not None:
        raw = _read_profile(profile)
    try:
        with native_logs_silenced():
            report = analyse_clip(clip, kb, side=side, stride=stride, out_dir=out or clip.parent)
    except VideoQualityError as exc:
        if fmt == "json":
            print(json.dumps({"error": exc.code, "message": str(exc)}))
        else:
            console.print(f"[red]Cannot measure this clip:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc  # film again: the clip is the input
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from exc

    written = False
    if profile is not None and raw is not None:
        from kneecoach.intake.load import ProfileError, parse_profile

        data = apply_to_profile_data(raw, report.profile_values())
        try:
            parse_profile(data, str(profile))
        except ProfileError as exc:  # the file stays as it was
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        profile.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        written = True

    if fmt == "json":
        payload = report.to_json()
        payload["profile_written"] = str(profile) if written else None
        print(json.dumps(payload, indent=2))
        return
    _print_text(report, profile if written else None)


def _read_profile(path: Path) -> dict[str, Any]:
    from kneecoach.intake.load import ProfileError, load_profile

    try:
        load_profile(path)  # validates before anything is analysed or written
    except ProfileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _print_text(report: Any, written: Path | None) -> None:
    from kneecoach.video.report import NOT_A_DIAGNOSIS

    a = report.analysis
    reps = Table(title="Reps", show_lines=False)
    for col in ("#", "leg", "FPPA (deg)", "pelvic drop", "trunk lean", "knee flexion"):
        reps.add_column(col, justify="right")
    for i, r in enumerate(a.reps, 1):
        reps.add_row(str(i), r.side, f"{r.fppa_deg:+.1f}", f"{r.pelvic_drop_deg:+.1f}", f"{r.trunk_lean_deg:+.1f}", f"{r.knee_flexion_deg:.0f}")
    console.print(reps)
    sides = Table(title=f"Per leg (median over reps; leg {a.side_source})")
    for col in ("leg", "reps", "FPPA", "pelvic drop", "trunk lean", "depth", f"knee inward (>= {report.cutoff_deg:g} deg)"):
        sides.add_column(col, justify="right")
    values = report.profile_values()
    for s, r in a.sides.items():
        sides.add_row(s, str(r.reps), f"{r.fppa_deg:+.1f}", f"{r.pelvic_drop_deg:+.1f}", f"{r.trunk_lean_deg:+.1f}",
                      f"{r.knee_flexion_deg:.0f}", "yes" if values[s]["knee_falls_inward"] else "no")
    console.print(sides)
    if a.fppa_symmetry_pct is not None:
        console.print(f"FPPA symmetry between legs: {a.fppa_symmetry_pct:.0f}% (100% = the same)")
    for w in a.warnings:
        console.print(f"[yellow]note:[/] {w}")
    for name, p in report.images.items():
        console.print(f"{name}: {p}")
    if written:
        console.print(f"Recorded {', '.join(values)} in {written}; run [bold]kneecoach assess {written}[/].")
    console.print(f"[dim]{NOT_A_DIAGNOSIS}[/]")
