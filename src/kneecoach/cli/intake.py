"""``kneecoach intake``: the questionnaire in the terminal, writing a profile file.

Questions about red flags and the Kujala items come from the knowledge base, so
the terminal asks exactly what the web form asks. Red flags are asked first: a
"yes" ends the questionnaire with the referral, before any plan is discussed.
Flags that only apply to some people (``show_when`` in red_flags.yaml: an age
range, an injury, a knee replacement) are asked as soon as the answers show
they apply. A runner with no knee pain skips the symptom questions and gets a
prevention check.
"""

from __future__ import annotations

from datetime import date

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from kneecoach.cli.app import app
from kneecoach.cli.units import UnitsOpt, checked_units
from kneecoach.intake.load import ProfileError, parse_profile
from kneecoach.intake.profile import Aggravator, PainLocation, Profile, Side
from kneecoach.intake.screen import questions_for
from kneecoach.assessment.kb import load_kb
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import RedFlag

console = Console()


def _choose_many(question: str, options: list[str], allow_empty: bool = False) -> list[str]:
    """Ask for comma-separated numbers from a numbered list, until the answer is valid."""
    console.print(f"[bold]{question}[/]")
    for n, opt in enumerate(options, 1):
        console.print(f"  {n}. {opt.replace('_', ' ')}")
    while True:
        raw = typer.prompt("Numbers, separated by commas" + (" (blank for none)" if allow_empty else ""), default="" if allow_empty else None, show_default=False)
        picks = [p.strip() for p in raw.split(",") if p.strip()]
        if not picks and allow_empty:
            return []
        if picks and all(p.isdigit() and 1 <= int(p) <= len(options) for p in picks):
            return [options[int(p) - 1] for p in dict.fromkeys(picks)]
        console.print(f"[red]Please give numbers between 1 and {len(options)}.[/]")


def _number(question: str, low: float, high: float, default: float | None = None) -> float:
    """Ask until the answer is a number in [low, high]."""
    while True:
        raw = typer.prompt(question, default=None if default is None else f"{default:g}")
        try:
            value = float(str(raw).strip())
        except ValueError:
            console.print("[red]Please type a number.[/]")
            continue
        if low <= value <= high:
            return value
        console.print(f"[red]Please give a value between {low:g} and {high:g}.[/]")


def _score(question: str, default: int = 0) -> int:
    while True:
        value = _number(f"{question} (0-10)", 0, 10, default)
        if value == int(value):
            return int(value)
        console.print("[red]Please give a whole number.[/]")


def _choice(question: str, choices: list[str], default: str | None = None) -> str:
    while True:
        raw = str(typer.prompt(f"{question} [{'/'.join(choices)}]", default=default, show_default=default is not None)).strip().lower()
        if raw in choices:
            return raw
        console.print(f"[red]Please answer one of: {', '.join(choices)}.[/]")


def _optional_float(question: str, low: float, high: float) -> float | None:
    while True:
        raw = typer.prompt(f"{question} (blank to skip)", default="", show_default=False).strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            console.print("[red]Please type a number.[/]")
            continue
        if low <= value <= high:
            return value
        console.print(f"[red]Please give a value between {low:g} and {high:g}.[/]")


def _ask_flags(questions: list[RedFlag], flags: dict[str, bool], kb: KnowledgeBase) -> None:
    """Ask each red-flag question; a "yes" ends the questionnaire with the referral and what to do.

    A triage question (``refers: false``: bone stress, an acute injury) is only recorded: the
    assessment reads the pattern of answers, so one "yes" does not end the questionnaire.
    """
    for rf in questions:
        flags[rf.id] = typer.confirm(rf.question, default=False)
        if flags[rf.id] and rf.refers:
            console.print(f"\n[bold red]Please see a clinician before starting a plan.[/] {rf.reason}")
            console.print(f"[bold]{kb.rules.urgency_action[rf.urgency]}[/]")
            console.print(kb.rules.referral_message)
            raise typer.Exit(3)


def _ask_clearance(history: dict[str, Any]) -> None:
    """After a "yes" to a triage question: has a clinician already examined the knee and cleared running?"""
    while True:
        raw = typer.prompt(
            "If a doctor or physiotherapist has examined the knee and cleared you to run, the date (YYYY-MM-DD; blank if not)",
            default="", show_default=False,
        ).strip()
        if not raw:
            return
        try:
            history["cleared_to_run"] = {"examined_on": date.fromisoformat(raw).isoformat(),
                                         "by": typer.prompt("Who cleared you", default="clinician")}
            return
        except ValueError:
            console.print("[red]Please give the date as YYYY-MM-DD.[/]")


def _partial_profile(data: dict[str, Any]) -> Profile:
    """The answers so far as a profile, to decide which conditional questions apply."""
    return parse_profile({**data, "running": {"current_weekly_km": 0, "target_weekly_km": 1}}, "intake so far")


@app.command("intake")
def intake_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile file to write.")] = Path("profile.yaml"),
    skip_tests: Annotated[bool, typer.Option("--skip-self-tests", help="Leave the self-tests for later.")] = False,
    units: UnitsOpt = None,
) -> None:
    """Answer the intake questions in the terminal; writes a profile you can assess and edit.

    Distances are asked in ``--units`` (km or mi) and written to the profile in km (``*_km`` keys).
    """
    from kneecoach.intake.units import DistanceFormat, to_km

    dist = DistanceFormat(checked_units(units) or "km")  # no stored runner yet: option > $KNEECOACH_UNITS > km
    kb = load_kb()
    if output.exists():
        console.print(f"[red]{output} exists[/]: choose another --output or delete it.")
        raise typer.Exit(2)
    console.print(f"[italic]{kb.rules.disclaimer}[/]\n")

    console.print("[bold]Safety questions first.[/]")
    flags: dict[str, bool] = {}
    _ask_flags([rf for rf in kb.red_flags.values() if rf.ask and rf.show_when is None], flags, kb)

    data: dict[str, Any] = {"name": typer.prompt("Your name or a nickname", default="runner"), "red_flags": flags}
    age = _optional_float("Your age in years", 8, 100)
    if age is not None:
        data["age"] = int(age)
    if typer.confirm("Do you have knee pain now? (answer no for a prevention check)", default=True):
        data["symptoms"] = {
            "sides": _choose_many("Which knee hurts?", [s.value for s in Side]),
            "locations": _choose_many("Where does it hurt?", [p.value for p in PainLocation]),
            "aggravators": _choose_many("What makes it worse?", [a.value for a in Aggravator], allow_empty=True),
            "onset": _choice("Did it start gradually or suddenly?", ["gradual", "sudden"], "gradual"),
            "swelling": typer.confirm("Does the knee swell?", default=False),
            "popping_or_grinding": typer.confirm("Does it pop or grind?", default=False),
            "pain_eases_when_warm": typer.confirm(
                "Is it worst at the start, easing once warmed up and coming back afterwards?", default=False
            ),
            "pain_at_rest": _score("Pain at rest"),
            "pain_during_run": _score("Pain during a usual run"),
            "pain_after_run": _score("Pain after a run"),
        }
        stiffness = _optional_float("Minutes the knee stays stiff after getting up", 0, 600)
        if stiffness is not None:
            data["symptoms"]["morning_stiffness_min"] = int(stiffness)
    history: dict[str, Any] = {}
    if typer.confirm("Have you had surgery on the leg in the last year?", default=False):
        history["surgery"] = {
            "kind": typer.prompt("What surgery"),
            "weeks_ago": _number("How many weeks ago", 0, 520),
        }
        history["full_range_of_motion"] = typer.confirm("Does the knee bend and straighten fully again?", default=True)
        history["full_extension"] = typer.confirm("Does the knee straighten as far as the other one?", default=True)
        flexion = _optional_float("How far does it bend, as a % of the other knee", 0, 150)
        if flexion is not None:
            history["knee_flexion_pct_of_other_side"] = flexion
        history["walking_normally"] = typer.confirm("Are you walking normally again?", default=True)
    if typer.confirm("Did the pain start with a fall, twist or blow to the leg?", default=False):
        history["trauma"] = {"kind": typer.prompt("What happened"), "weeks_ago": _number("How many weeks ago", 0, 520)}
    history["knee_replacement"] = typer.confirm("Have you had a knee replacement?", default=False)
    history["acl_reconstruction"] = typer.confirm("Have you had an ACL reconstruction?", default=False)
    data["history"] = history

    # Questions that only apply to some people (age, injury, knee replacement): asked now that we know.
    relevant = [rf for rf in questions_for(_partial_profile(data), kb) if rf.id not in flags]
    safety = [rf for rf in relevant if rf.refers]
    triage = [rf for rf in relevant if not rf.refers]
    if safety:
        console.print("\n[bold]A few more safety questions that apply to you.[/]")
        _ask_flags(safety, flags, kb)
    if triage:
        console.print("\n[bold]How it started, and the bone[/] (an injury or a bone stress pattern needs an examination first).")
        _ask_flags(triage, flags, kb)
        if any(flags.get(rf.id) for rf in triage):
            _ask_clearance(history)

    data["running"] = {
        # asked in the runner's unit, stored in km unrounded (shown again to a tenth, it reads as typed)
        "current_weekly_km": to_km(_number(f"{dist.word.capitalize()} a week now", 0, round(500 / dist.factor)),
                                   dist.unit),
        "target_weekly_km": to_km(_number(f"{dist.word.capitalize()} a week you want to get back to", 1,
                                          round(500 / dist.factor)), dist.unit),
        "hilly_routes": typer.confirm("Are your usual routes hilly?", default=False),
        "cambered_or_banked_routes": typer.confirm("Do you run on sloping road edges or banked tracks?", default=False),
        "does_strength_work": typer.confirm("Do you do strength work at least weekly?", default=False),
        "jumping_sports": typer.confirm("Do you also play a jumping or court sport?", default=False),
    }

    if "symptoms" in data or typer.confirm("Answer the Kujala knee score anyway (optional without pain)?", default=False):
        console.print("\n[bold]Kujala anterior knee pain scale[/] (13 questions)")
        data["kujala"] = _ask_kujala(kb)

    if not skip_tests:
        console.print("\n[bold]Self-tests[/] (blank to skip any)")
        tests = _ask_plank_and_squat(kb)
        console.print(kb.self_tests["flexibility"].instructions)
        flex: dict[str, dict[str, str]] = {}
        for muscle in ("quads", "hip_flexors", "hamstrings", "calves"):
            flex[muscle] = {
                side.value: _choice(
                    f"{muscle.replace('_', ' ').capitalize()} {side.value}", ["tight", "normal", "loose"], "normal"
                )
                for side in Side
            }
        tests["flexibility"] = flex
        data["self_tests"] = tests

    try:
        parse_profile(data, str(output))
    except ProfileError as exc:  # pragma: no cover - prompts already validate each answer
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    output.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    console.print(f"\nWrote {output}. Next: [bold]kneecoach assess {output}[/]")


def _ask_kujala(kb: KnowledgeBase) -> dict[str, str]:
    """The 13 Kujala items, each answered by its option letter."""
    kujala: dict[str, str] = {}
    for item in kb.kujala.items:
        letters = [o.id for o in item.options]
        console.print(f"[bold]{item.question}[/]  " + "  ".join(f"{o.id}) {o.text}" for o in item.options))
        kujala[item.id] = _choice("Answer", letters)
    return kujala


def _ask_plank_and_squat(kb: KnowledgeBase) -> dict[str, Any]:
    """Plank hold (optional) and the single-leg squat per side, with each test's instructions."""
    tests: dict[str, Any] = {}
    plank = _optional_float(kb.self_tests["elbow_plank"].instructions + "\nSeconds held", 0, 3600)
    if plank is not None:
        tests["plank_hold_s"] = plank
    console.print(kb.self_tests["single_leg_squat"].instructions)
    tests["single_leg_squat"] = {
        side.value: {"knee_falls_inward": typer.confirm(f"{side.value.capitalize()} knee drops inward?", default=False)}
        for side in Side
    }
    return tests


def ask_retest(kb: KnowledgeBase) -> dict[str, Any]:
    """The re-test questions in the terminal: the 13 Kujala items, then the self-tests."""
    console.print(f"[italic]{kb.rules.disclaimer}[/]\n")
    console.print("[bold]Re-test: Kujala anterior knee pain scale[/] (13 questions)")
    kujala = _ask_kujala(kb)
    tests = _ask_plank_and_squat(kb)
    reps = {side.value: _optional_float(f"Single-leg sit-to-stand reps, {side.value} leg", 0, 200) for side in Side}
    if all(v is not None for v in reps.values()):
        tests["single_leg_sit_to_stand_reps"] = {k: int(v) for k, v in reps.items() if v is not None}
    return {"kujala": kujala, "self_tests": tests, "symptoms": {"pain_at_rest": _score("Pain at rest today")}}
