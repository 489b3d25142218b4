"""Commands ``assess``, ``example`` and ``kb check``: intake -> assessment -> plan."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from kneecoach.cli.app import app
from kneecoach.cli.units import UnitsOpt, checked_units

if TYPE_CHECKING:
    from kneecoach.engine import Assessment

# The engine, pydantic models, the knowledge loader and rich.markdown are
# imported inside the commands: these commands must start in < 0.2 s
# (benchmarks/bench_cli_startup.py), and each needs only part of them.

console = Console()
err = Console(stderr=True)

kb_app = typer.Typer(help="Inspect and validate the knowledge base (the files a clinician edits).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


class Format(str, enum.Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def fail(title: str, problems: list[str], code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {title}")
    for p in problems:
        err.print(f"  - {p}", markup=False, highlight=False)
    return typer.Exit(code)


def run_assessment(profile_path: Path | None, example: str | None, unit: str = "km") -> tuple[Assessment, object]:
    """Load the profile (file or built-in example) and assess it (the plan's notes in ``unit``); turn input
    errors into clean exits."""
    from kneecoach.engine import assess
    from kneecoach.intake.kujala import KujalaAnswerError
    from kneecoach.intake.load import ProfileError, example_names, load_example, load_profile
    from kneecoach.intake.screen import UnknownRedFlagError

    if (profile_path is None) == (example is None):
        raise fail("give a profile file or --example NAME (not both)", [f"examples: {', '.join(example_names())}"])
    try:
        profile = load_profile(profile_path) if profile_path else load_example(example or "")
        return assess(profile, unit=unit), profile
    except ProfileError as exc:
        raise fail(f"cannot read profile {exc.source}", exc.problems) from exc
    except (KujalaAnswerError, UnknownRedFlagError) as exc:
        raise fail("profile has an answer kneecoach does not know", [str(exc)]) from exc


def _write_plan_figures(assessment: Assessment, output: Path | None) -> dict[str, Path]:
    """Write the plan's exercise figures as SVG: next to ``output`` (``<stem>_figures/``), else in the user data folder."""
    from kneecoach.figures.library import write_figures

    if assessment.plan is None:
        return {}
    ids = list(dict.fromkeys(e.id for ph in assessment.plan.phases for e in ph.exercises))
    folder = output.parent / f"{output.stem}_figures" if output is not None else _data_home() / "figures"
    return write_figures(folder, ids)


def _report_path(profile: Path | None, example: str | None) -> Path:
    """Where the full report goes when the terminal shows the summary: beside the profile file,
    or, for a built-in example, in the user data folder (never into the current folder unasked)."""
    if profile is not None:
        return profile.with_name(f"{profile.stem}-report.md")
    return _data_home() / "reports" / f"{example}-report.md"


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "kneecoach"


@app.command("assess")
def assess_cmd(
    profile: Annotated[Path | None, typer.Argument(help="Profile YAML/JSON file (see `kneecoach example`).")] = None,
    example: Annotated[str | None, typer.Option("--example", "-e", help="Use a built-in example profile.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text (terminal), markdown or json.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of the screen.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Print the whole report in the terminal instead of a one-screen summary.")] = False,
    save: Annotated[bool, typer.Option("--save", help="Store profile, assessment and plan in the database.")] = False,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: KNEECOACH_DB or the user data folder).")] = None,
    units: UnitsOpt = None,
) -> None:
    """Assess a runner's profile: red-flag screen, Kujala score, findings, ranked hypotheses with sources, and the plan.

    In a terminal it prints a one-screen summary and writes the full report (Markdown) beside the
    profile file; `--full` prints everything, `-f markdown|json` print that format, `-o` writes it.
    """
    unit = checked_units(units) or "km"  # a profile file has no stored runner: option > $KNEECOACH_UNITS > km
    assessment, prof = run_assessment(profile, example, unit)
    summary = fmt is Format.text and output is None and not full
    if summary:
        output = _report_path(profile, example)
        output.parent.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Path] = {}
    if fmt is Format.json:
        text = assessment.model_dump_json(indent=2)
    else:
        from kneecoach.render.markdown import render_markdown

        figures = _write_plan_figures(assessment, output)
        links = {i: (f"{p.parent.name}/{p.name}" if output else p.resolve().as_uri()) for i, p in figures.items()}
        text = render_markdown(assessment, figures=links if output else None, unit=unit)
    if summary:
        from rich.markdown import Markdown

        from kneecoach.render.summary import render_summary

        assert output is not None
        output.write_text(text + "\n", encoding="utf-8")
        console.print(Markdown(render_summary(assessment, report=str(output), unit=unit)))
    elif output:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"Wrote {output}")
        if fmt is not Format.json and figures:
            console.print(f"Wrote {len(figures)} exercise figures to {next(iter(figures.values())).parent}")
    elif fmt is Format.text:
        from rich.markdown import Markdown

        console.print(Markdown(text))
        if figures:
            console.print("\n[bold]Exercise figures[/] (start and end positions):")
            for ex_id, uri in links.items():
                console.print(f"  [link={uri}]{ex_id}[/link]: {uri}", soft_wrap=True)  # a long URI stays clickable
    else:
        typer.echo(text)
    if save:
        from kneecoach.cli.store_bridge import save_assessment

        version = save_assessment(db, prof, assessment)
        console.print(f"Saved to the database (plan version {version}).")
    if assessment.referral:
        raise typer.Exit(3)


@app.command("example")
def example_cmd(
    name: Annotated[str, typer.Argument(help="Which example.")] = "marathoner_000",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: print).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the examples.")] = False,
    retest: Annotated[bool, typer.Option("--retest", help="The example's re-test file instead (for `kneecoach recheck --from`).")] = False,
) -> None:
    """Write a realistic example profile (or, with --retest, its re-test three weeks on) to edit into your own."""
    from kneecoach.intake.load import ProfileError, example_names, example_text, retest_example_names, retest_example_text

    if list_:
        with_retest = set(retest_example_names())
        for n in example_names():
            typer.echo(f"{n}  (has --retest)" if n in with_retest else n)
        return
    try:
        text = retest_example_text(name) if retest else example_text(name)
    except ProfileError as exc:
        raise fail("unknown example", exc.problems) from exc
    if output:
        if output.exists():
            raise fail(f"{output} exists", ["refusing to overwrite; choose another name or delete it"])
        output.write_text(text, encoding="utf-8")
        next_step = f"kneecoach recheck --from {output}" if retest else f"kneecoach assess {output}"
        console.print(f"Wrote {output}. Edit it, then run: {next_step}")
    else:
        typer.echo(text, nl=False)


@kb_app.command("check")
def kb_check(
    folder: Annotated[Path | None, typer.Option("--dir", help="Knowledge folder to check (default: the packaged one).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Check again even if these exact files passed before (ignore the cache).")] = False,
) -> None:
    """Validate every knowledge file and the references between them.

    Files whose bytes passed every check before (with the same kneecoach code) are not checked
    again unless ``--full`` is given: the answer would be the same.
    """
    from kneecoach.assessment.kb import load_checked
    from kneecoach.knowledge.loader import KnowledgeBaseError, packaged_data_dir

    target = folder or packaged_data_dir()
    try:
        kb = load_checked(target, use_cache=not full)
    except KnowledgeBaseError as exc:
        raise fail(f"knowledge base in {target} is broken", exc.problems, code=1) from exc
    caseload_problems = _caseload_problems(target, kb)
    if caseload_problems:
        raise fail(f"caseload rules in {target} are broken", caseload_problems, code=1)
    console.print(
        f"[green]OK[/] knowledge base {kb.version}: {len(kb.sources)} sources, {len(kb.claims)} claims, "
        f"{len(kb.topics)} topics, {len(kb.muscles)} muscles, {len(kb.imbalances)} imbalances, "
        f"{len(kb.findings)} finding rules, {len(kb.exercises)} exercises, {len(kb.phases)} phases, "
        f"{len(kb.red_flags)} red flags, {len(kb.pathways)} pathways, {len(kb.education)} education items, "
        f"{len(kb.adjuncts)} adjuncts, Kujala {len(kb.kujala.items)} items."
    )


def _caseload_problems(folder: Path, kb: object) -> list[str]:
    """caseload.yaml (issue 17): valid, naming caseload facts that exist, citing known sources."""
    from pydantic import ValidationError

    from kneecoach.knowledge.predicates import check_predicate_path
    from kneecoach.knowledge.caseload_rules import FILE, load_caseload_rules_from
    from kneecoach.knowledge.schema import Predicate, When
    from kneecoach.tracking.caseload import CaseFacts

    if not (folder / FILE).exists():
        return []  # optional in a custom folder: the packaged rules are used
    try:
        rules = load_caseload_rules_from(folder)
    except (ValidationError, ValueError) as exc:
        return [f"{FILE}: {exc}"]

    def preds(w: When):
        for n in [*w.all, *w.any]:
            yield from ([n] if isinstance(n, Predicate) else preds(n))

    problems = []
    for r in rules:
        problems += [f"{FILE} {r.id}: {p}" for pred in preds(r.when)
                     if (p := check_predicate_path(pred, kb.rules, root=CaseFacts, label="the caseload facts"))]  # type: ignore[attr-defined]
        if r.show and r.show not in CaseFacts.model_fields:
            problems.append(f"{FILE} {r.id}: 'show' names no caseload fact: {r.show}")
        problems += [f"{FILE} {r.id}: unknown source {s}" for s in r.sources if s not in kb.sources]  # type: ignore[attr-defined]
    return problems


@kb_app.command("figures")
def kb_figures(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the SVG files and index.html into.")],
    ids: Annotated[list[str] | None, typer.Argument(help="Only these exercise/self-test ids (default: all).")] = None,
    folder: Annotated[Path | None, typer.Option("--dir", help="Knowledge folder (default: the packaged one).")] = None,
) -> None:
    """Draw every figure (animated and as a start-to-end strip) so an author can look at them in a browser."""
    from html import escape

    from kneecoach.figures.library import all_entries, render
    from kneecoach.assessment.kb import load_checked
    from kneecoach.knowledge.loader import KnowledgeBaseError, packaged_data_dir

    target = folder or packaged_data_dir()
    try:
        kb = load_checked(target)
    except KnowledgeBaseError as exc:
        raise fail(f"knowledge base in {target} is broken", exc.problems, code=1) from exc
    entries = [e for e in all_entries(kb) if not ids or e.id in ids]
    if ids and not entries:
        raise fail("no such exercise or self-test", [", ".join(ids)])
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for e in entries:
        stem = f"{e.kind.replace('_', '-')}-{e.id}"
        for style in ("animated", "strip"):
            (out / f"{stem}-{style}.svg").write_text(render(e, style), encoding="utf-8")
        rows.append(f'<section><h2>{escape(e.name)} <small>({e.kind} {e.id})</small></h2>'
                    f'<img src="{stem}-animated.svg" alt="" style="height:220px"> '
                    f'<img src="{stem}-strip.svg" alt="" style="height:220px"></section>')
    (out / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>kneecoach figures</title>"
        "<body style='font-family:sans-serif'>" + "".join(rows) + "</body>", encoding="utf-8")
    console.print(f"Wrote {len(entries)} figures to {out} (open {out / 'index.html'})")


@kb_app.command("sources")
def kb_sources() -> None:
    """List the sources and how many claims each makes."""
    from kneecoach.assessment.kb import load_kb

    kb = load_kb()
    for s in kb.sources.values():
        n = sum(1 for c in kb.claims.values() if c.source == s.id)
        console.print(f"[bold]{s.id}[/] ({s.kind}, {n} claims): {s.title}", highlight=False)
