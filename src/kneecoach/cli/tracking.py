"""Tracking commands: db, import, log, runs, load, review, plot.

Thin on purpose: each command opens the database (migrating it on first use,
so a fresh machine just works), finds the CLI's single local runner, calls
:mod:`kneecoach.store.repo` / :mod:`kneecoach.store.imports` /
:mod:`kneecoach.tracking.review` and prints the result. Bad input ends with a
one-line message on stderr and exit code 1; nothing is written in that case.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from kneecoach.intake.units import DistanceFormat
    from kneecoach.plan.models import Plan
    from kneecoach.tracking.activity import Activity
    from kneecoach.tracking.load import WeekLoad
    from kneecoach.tracking.review import Review

from kneecoach.cli.app import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_REFERRAL, app
from kneecoach.cli.units import UnitsOpt, checked_units, resolve_unit
from kneecoach.store import migrate, repo
from kneecoach.store.db import make_engine, make_session_factory, resolve_url, transaction

db_app = typer.Typer(help="Database: create or upgrade the tables (Alembic migrations).", no_args_is_help=True)
log_app = typer.Typer(help="Log a pain score, an exercise session, a run by hand or a marked day; "
                           "list, correct or delete diary entries.",
                      no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(log_app, name="log")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file (default: $KNEECOACH_DB or ~/.local/share/kneecoach)."),
]
DateOpt = Annotated[str | None, typer.Option("--date", help="Day as YYYY-MM-DD (default: today).")]


def _describe(exc: BaseException) -> str:
    """A one-line reason for a failure, without SQL parameters (they can hold health data)."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy DBAPIError: the driver's own message
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """One line on stderr and the exit for it: ``EXIT_FAILED`` (could not be done) unless told otherwise."""
    err.print(f"[red]Error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _bad_input(message: str) -> typer.Exit:
    """The input is wrong (exit 2): the runner can fix it and run the command again."""
    return _fail(message, EXIT_BAD_INPUT)




def _open(db: str | None) -> tuple[sessionmaker[Session], int]:
    """Migrate if needed, then return a session factory and the local runner's id."""
    url = resolve_url(db)
    try:
        if not migrate.is_current(url):
            migrate.upgrade(url)
    except Exception as exc:  # noqa: BLE001 - show a sentence, not a traceback
        raise _fail(f"cannot open or upgrade the database ({_describe(exc)})") from exc
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as s:
        owner_id = repo.get_or_create_local_runner(s).id
    return factory, owner_id


def _day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad_input(f"--date must be YYYY-MM-DD (e.g. 2026-03-31), got {value!r}") from None


# --------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create the tables or bring them up to date (safe to run any time)."""
    url = resolve_url(db)
    migrate.upgrade(url, revision)
    out.print(f"Database at revision {migrate.current(url)}.")


@db_app.command("current")
def db_current(db: DbOpt = None) -> None:
    """Show the database's migration revision and the newest one this version ships."""
    url = resolve_url(db)
    cur = migrate.current(url)
    out.print(f"current: {cur or '(empty database)'}  head: {migrate.head()}")


# --------------------------------------------------------------------------- import


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="GPX/TCX/FIT files (optionally .gz), folders or .zip exports.")],
    db: DbOpt = None,
) -> None:
    """Import runs from watch files. Duplicates are skipped; one bad file does not stop the rest."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from kneecoach.store.imports import import_path

    for p in paths:
        if not p.exists():
            raise _bad_input(f"no such file or folder: {p}")
    factory, owner = _open(db)
    with Progress(
        TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("import", total=None)

        def on_progress(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = import_path(factory, owner, paths, on_progress=on_progress)
        except Exception as exc:  # noqa: BLE001
            raise _fail(f"import failed, nothing was stored ({_describe(exc)})") from exc
    if report.files_seen == 0:
        raise _bad_input("no GPX, TCX or FIT files found there (looked inside folders and .zip archives).")
    out.print(report.summary() + ".")
    for name in report.duplicates:
        out.print(f"  duplicate: {name}", highlight=False)
    for name in report.skipped_non_running:
        out.print(f"  not a run: {name}", highlight=False)
    for name in report.speed_flagged:
        out.print(f"  [yellow]too fast for a run:[/yellow] {name} - not counted in load; if it really was a run: "
                  "`kneecoach runs --confirm ID`", highlight=False)
    for e in report.errors:
        err.print(f"  [red]error:[/red] {e.error}", highlight=False)
    if report.all_failed:
        raise typer.Exit(EXIT_FAILED)


# --------------------------------------------------------------------------- log


@log_app.command("pain")
def log_pain(
    score: Annotated[int, typer.Argument(help="0 (none) to 10 (worst imaginable).")],
    timing: Annotated[str, typer.Option("--timing", help="during | after | next_morning | daily")] = "during",
    day: DateOpt = None,
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
) -> None:
    """Log a knee pain score."""
    when = _day(day)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            repo.add_pain(s, owner, when, timing.replace("-", "_"), score, note)
    except ValueError as exc:
        raise _bad_input(str(exc)) from exc
    out.print(f"Logged pain {score}/10 ({timing}) on {when}.")


@log_app.command("exercise")
def log_exercise(
    exercise_id: Annotated[str, typer.Argument(help="Knowledge-base exercise id, e.g. clamshell.")],
    sets: Annotated[int | None, typer.Option("--sets")] = None,
    reps: Annotated[int | None, typer.Option("--reps")] = None,
    hold: Annotated[float | None, typer.Option("--hold", help="Hold time in seconds.")] = None,
    load_kg: Annotated[float | None, typer.Option("--load-kg")] = None,
    day: DateOpt = None,
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
) -> None:
    """Log an exercise session."""
    when = _day(day)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            row = repo.add_exercise(s, owner, when, exercise_id, sets, reps, hold, load_kg, note)
            ex = row.exercise_id
    except ValueError as exc:
        raise _bad_input(str(exc)) from exc
    out.print(f"Logged {ex} on {when}.")


@log_app.command("run")
def log_run(
    distance: Annotated[float, typer.Argument(help="Distance run, in the unit of --unit.")],
    minutes: Annotated[float, typer.Option("--minutes", help="How long the run took, in minutes.")],
    unit: Annotated[str | None, typer.Option("--unit", "--units", envvar="KNEECOACH_UNITS",
                                             help="km | mi (default: $KNEECOACH_UNITS, else the runner's "
                                                  "setting, else km).")] = None,
    pain: Annotated[int | None, typer.Option("--pain", help="Pain during the run, 0-10.")] = None,
    race: Annotated[bool, typer.Option("--race", help="It was a race (a planned single-run spike).")] = False,
    day: DateOpt = None,
    db: DbOpt = None,
) -> None:
    """Log a run by hand (treadmill, no watch file); it counts like an imported run."""
    from kneecoach.store import run_log

    from kneecoach.intake.units import km_to

    when = _day(day)
    checked_units(unit)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            typed = resolve_unit(unit, s, owner)
            row = run_log.add_hand_run(s, owner, when, distance, minutes, unit=typed, pain=pain, race=race)
            km = row.distance_m / 1000
    except ValueError as exc:
        raise _bad_input(str(exc)) from exc
    extra = f", pain {pain}/10" if pain is not None else ""
    out.print(f"Logged a hand-entered run of {km_to(km, typed):.2f} {typed} in {minutes:g} min on {when}{extra}"
              f"{' (race)' if race else ''}.", highlight=False)


@log_app.command("day")
def log_day(
    kind: Annotated[str, typer.Argument(
        help="ill | chest_symptoms | night_pain | rest_pain | swelling | giving_way | bone_spot_pain")],
    day: DateOpt = None,
    note: Annotated[str, typer.Option("--note")] = "",
    db: DbOpt = None,
) -> None:
    """Mark a day: ill (fever, whole-body symptoms), or a sign the review refers on."""
    from kneecoach.store import run_log

    when = _day(day)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            run_log.add_day_mark(s, owner, when, kind.replace("-", "_"), note)
    except ValueError as exc:
        raise _bad_input(str(exc)) from exc
    out.print(f"Marked {when} as {kind.replace('_', ' ')}.", highlight=False)


# --------------------------------------------------------------------------- views


@app.command("runs")
def runs_cmd(
    db: DbOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD")] = None,
    confirm: Annotated[int | None, typer.Option(
        "--confirm", help="Run id flagged as too fast for running that really was a run: count it in load.")] = None,
    race: Annotated[int | None, typer.Option("--race", help="Run id to mark as a race (a planned spike).")] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="Show the most recent N runs (without --since).")] = 50,
    all_: Annotated[bool, typer.Option("--all", help="Show every run (slow to print for thousands).")] = False,
    units: UnitsOpt = None,
) -> None:
    """List imported runs ("!" marks a run flagged as too fast for running, left out of load)."""
    from kneecoach.intake.units import km_to, pace_per_unit

    start = _day(since) if since else None
    checked_units(units)
    factory, owner = _open(db)
    if confirm is not None:
        with transaction(factory) as s:
            try:
                was_flagged = repo.confirm_run(s, owner, confirm)
            except LookupError as exc:
                raise _bad_input(str(exc)) from exc
        if was_flagged:
            out.print(f"Run {confirm} confirmed: it now counts toward load.")
        else:
            out.print(f"Run {confirm} was never flagged as too fast: it already counts toward load.")
    if race is not None:
        from kneecoach.store import run_log

        with transaction(factory) as s:
            try:
                run_log.set_race(s, owner, race)
            except (LookupError, ValueError) as exc:
                raise _bad_input(str(exc)) from exc
        out.print(f"Run {race} marked as a race.")
    with transaction(factory) as s:
        if start is not None or all_:
            rows, span = repo.run_rows(s, owner, since=start), None
        else:
            rows = repo.latest_run_rows(s, owner, last)
            span = repo.run_span(s, owner) if len(rows) == last else None
        unit = resolve_unit(units, s, owner)
        table = Table("id", "date", unit, "time", "pace", "climb m", "cadence", "HR", "file")
        for r in rows:
            mins = int(r.duration_s // 60)
            table.add_row(
                f"{r.id}!" if r.speed_unconfirmed else str(r.id),
                f"{r.start_time:%Y-%m-%d %H:%M}",
                f"{km_to(r.distance_m / 1000, unit):.2f}",
                f"{mins // 60}:{mins % 60:02d}",
                pace_per_unit(r.duration_s / (r.distance_m / 1000), unit) if r.distance_m > 0 else "-",
                f"{r.elevation_gain_m:.0f}",
                f"{r.avg_cadence_spm:.0f}" if r.avg_cadence_spm else "-",
                f"{r.avg_heart_rate_bpm:.0f}" if r.avg_heart_rate_bpm else "-",
                r.source_name + (" (race)" if r.race else ""),
            )
    out.print(table if rows else "No runs yet: try `kneecoach import FILE_OR_FOLDER`.")
    if span is not None and span[0] > len(rows):
        out.print(f"Showing the latest {len(rows)} of {span[0]} runs (since {span[1]:%Y-%m-%d}); "
                  "use --last N, --since YYYY-MM-DD or --all for more.", highlight=False)


@app.command("load")
def load_cmd(
    db: DbOpt = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1)] = 12,
    until: Annotated[str | None, typer.Option("--until", help="Last day of the window, YYYY-MM-DD (default today).")] = None,
    units: UnitsOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | csv | json (columns and keys name their unit)")]
    = "text",
) -> None:
    """Weekly load, the acute:chronic ratio and load warnings."""
    from kneecoach.intake.units import DistanceFormat
    from kneecoach.tracking.load import acwr_rolling, daily_history_km, load_warnings, weekly_load

    if fmt not in ("text", "csv", "json"):
        raise _bad_input(f"--format must be text, csv or json, got {fmt!r}")
    checked_units(units)
    factory, owner = _open(db)
    today = _day(until) if until else date.today()
    since = today - timedelta(weeks=weeks + 4)
    with transaction(factory) as s:
        unit = resolve_unit(units, s, owner)
        runs = repo.list_runs(s, owner, since=since, until=today)
        span = None if runs else repo.run_span(s, owner)
    d = DistanceFormat(unit)
    rows = weekly_load(runs, start=today - timedelta(weeks=weeks - 1), end=today) if runs else []
    if fmt != "text":
        _print_load_data(fmt, d, rows, runs, today, weeks)
        return
    if not runs:
        if span is None:
            out.print("No runs yet: try `kneecoach import FILE_OR_FOLDER`.")
        else:
            n, first, last = span
            out.print(
                f"No runs between {since} and {today}, but {n} stored run(s) from {first:%Y-%m-%d} "
                f"to {last:%Y-%m-%d}. List them with `kneecoach runs`, or see the load of that time "
                f"with `kneecoach load --until {last:%Y-%m-%d}`.",
                highlight=False,
            )
        return
    table = Table("week of", unit, "runs", "hours", f"climb m/{unit}", "longest", "change")
    for w in rows:
        table.add_row(
            f"{w.week_start}", d.num(w.distance_km, 1), str(w.runs), f"{w.duration_h:.1f}",
            f"{w.gain_per_km * d.factor:.0f}", d.num(w.longest_run_km, 1),
            "-" if w.change_pct is None else f"{w.change_pct:+.0f}%",
        )
    out.print(table)
    point = acwr_rolling(daily_history_km(runs, today, lookback_days=(weeks + 4) * 7))[-1]
    if point.ratio is None:
        out.print(f"ACWR: needs 4 weeks of history (last 7 days {d.km(point.acute_km, 1)}).")
    else:
        out.print(f"ACWR {point.ratio:.2f}: last 7 days {d.km(point.acute_km, 1)} vs {d.num(point.chronic_km, 1)} "
                  f"{d.per_week} average of the past 4 weeks (0.8-1.3 is the comfortable band).", highlight=False)
    for w in load_warnings(runs, until=today, fmt=d):
        out.print(f"[yellow]![/yellow] {w.message}", highlight=False)
    out.print(f"Distances in {d.word}.", highlight=False)


def _print_load_data(fmt: str, d: DistanceFormat, rows: list[WeekLoad], runs: list[Activity], today: date,
                     weeks: int) -> None:
    """``load -f csv`` (one row a week, every distance column named with its unit) or ``-f json``."""
    import csv
    import io
    import json

    from kneecoach.tracking.load import acwr_rolling, daily_history_km, load_warnings

    u = d.unit
    table = [{"week_start": w.week_start.isoformat(), f"distance_{u}": d.value(w.distance_km, 2), "runs": w.runs,
              "hours": round(w.duration_h, 2), f"climb_m_per_{u}": round(w.gain_per_km * d.factor, 1),
              f"longest_run_{u}": d.value(w.longest_run_km, 2),
              "change_pct": None if w.change_pct is None else round(w.change_pct, 1)} for w in rows]
    if fmt == "csv":
        buf = io.StringIO()
        cols = ["week_start", f"distance_{u}", "runs", "hours", f"climb_m_per_{u}", f"longest_run_{u}", "change_pct"]
        writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in table)
        typer.echo(buf.getvalue(), nl=False)
        return
    point = acwr_rolling(daily_history_km(runs, today, lookback_days=(weeks + 4) * 7))[-1] if runs else None
    doc = {
        "unit": u, "until": today.isoformat(), "weeks": table,
        "acwr": None if point is None else {"ratio": point.ratio, f"acute_{u}": d.value(point.acute_km, 2),
                                            f"chronic_{u}_per_week": d.value(point.chronic_km, 2)},
        "warnings": [{"day": w.day.isoformat(), "kind": w.kind, "message": w.message}
                     for w in load_warnings(runs, until=today, fmt=d)],
    }
    typer.echo(json.dumps(doc, indent=2))


def _review(s: Session, owner: int, today: date, plan: Plan | None = None, unit: str = "km"
            ) -> tuple[int, Plan, Review]:
    """The stored plan (version, plan) and the review of its completed weeks up to ``today``
    (of ``plan``, another version of it, when given), its sentences in ``unit``."""
    from kneecoach.store.review_data import load_review
    from kneecoach.tracking.review import strength_exercise_ids

    try:
        from kneecoach.assessment.kb import load_kb

        strength = strength_exercise_ids(load_kb())
    except (ImportError, OSError, ValueError):
        strength = {e.exercise_id for e in repo.list_exercise(s, owner)}
    found = load_review(s, owner, today, strength, plan, unit=unit)
    if found is None:
        raise _fail("no plan stored yet: run `kneecoach assess PROFILE --save` first.")
    return found


@app.command("review")
def review_cmd(
    db: DbOpt = None,
    apply: Annotated[bool, typer.Option("--apply", help="Save the decision as a new plan version.")] = False,
    day: DateOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json")] = "text",
    units: UnitsOpt = None,
) -> None:
    """Review the plan's completed weeks: which plan week you are in, whether it was done, and next week."""
    import json

    from kneecoach.assessment.kb import load_kb
    from kneecoach.store.loop import NoProfile, load_progress
    from kneecoach.tracking.progress import apply_progress
    from kneecoach.tracking.review import apply_review

    if fmt not in ("text", "json"):
        raise _bad_input(f"--format must be text or json, got {fmt!r}")
    today = _day(day)
    checked_units(units)
    factory, owner = _open(db)
    with transaction(factory) as s:
        unit = resolve_unit(units, s, owner)
        version, plan, rv = _review(s, owner, today, unit=unit)
        try:
            _, _, prog = load_progress(s, owner, today, load_kb())
        except NoProfile:
            prog = None
        saved = None
        if apply:
            from kneecoach.store.plan_versions import current_and_base

            # kneecoach moves its own plan on; the store puts a clinician's changes back on top
            # (repo.save_plan), so they stay until the clinician releases them (issue 17)
            base = current_and_base(s, owner)[1]
            new = apply_review(base, rv if base == plan else _review(s, owner, today, base, unit)[2])
            new = apply_progress(new, prog) if prog is not None else new
            rec = repo.save_plan(s, owner, new, reason=f"review {today}: {rv.decision.action}")
            saved = rec.version
            kept = rec.reason.partition("; ")[2]  # a clinician's changes stay until released (issue 17)
        if fmt == "json":
            doc = rv.as_json()
            from kneecoach.store.taps import adherence_json

            doc.update(disclaimer=plan.disclaimer, referral_reasons=_referral_reasons(plan), saved_plan_version=saved,
                       adherence=adherence_json(s, owner, today))
            out.print_json(json.dumps(doc))
            if rv.decision.action == "see_clinician":
                raise typer.Exit(EXIT_REFERRAL)
            return
        table = Table("week", "dates", "prescribed", "ran", "done", "max pain", "exercises", "decision")
        for w in rv.walked[-12:]:
            p = w.prescribed
            label = rv.distance.km(p.km) + (" (lighter)" if p.kind == "lighter" else " (rebuild)"
                                            if p.kind == "rebuild" else "")
            table.add_row(
                str(w.number), f"{w.start:%d %b}-{w.end:%d %b}", label, rv.distance.km(w.run_km),
                "yes" if w.done else "no", "-" if w.max_pain is None else str(w.max_pain),
                "-" if w.adherence is None else f"{w.adherence.done}/{w.adherence.prescribed}",
                w.action.replace("_", " "),
            )
        if rv.walked:
            out.print(table)
        for line in rv.summary_lines():
            out.print(f"- {line}", highlight=False)
        if prog is None:
            out.print("- Progress: no intake stored, so re-tests and phase criteria cannot be read "
                      "(kneecoach assess PROFILE --save).", highlight=False)
        else:
            out.print("[bold]Progress[/]: re-tests, phase criteria, exercise ladders, cadence", highlight=False)
            for line in prog.summary_lines():
                out.print(f"- {line}", highlight=False)
        out.print(f"Sources: {', '.join(sorted({*rv.sources, *(prog.sources if prog else [])}))}", highlight=False)
        out.print("See a clinician if: " + "; ".join(_referral_reasons(plan)) + ".", highlight=False)
        out.print(f"[italic]{plan.disclaimer}[/]", highlight=False)
        if saved is not None:
            out.print(f"Saved plan version {saved} (was {version}).")
            if kept:
                out.print(kept[:1].upper() + kept[1:], highlight=False)
    if rv.decision.action == "see_clinician":
        raise typer.Exit(EXIT_REFERRAL)  # a clinician should be seen first: the exit code says so too


def _referral_reasons(plan: Plan) -> list[str]:
    from kneecoach.store.review_data import referral_reasons

    return referral_reasons(plan)


@app.command("recheck")
def recheck_cmd(
    from_file: Annotated[Path | None, typer.Option("--from", help="Re-test answers in a YAML/JSON file "
                                                     "(kujala, self_tests); without it the questions are asked.")] = None,
    db: DbOpt = None,
    day: DateOpt = None,
) -> None:
    """Re-test: re-score the Kujala and repeat the self-tests; stored as a new dated version."""
    import json

    import yaml

    from kneecoach.intake.load import ProfileError
    from kneecoach.assessment.kb import load_kb
    from kneecoach.store.loop import NoProfile, load_progress, record_retest

    kb = load_kb()
    today = _day(day)
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8")
            answers = json.loads(text) if from_file.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise _bad_input(f"cannot read {from_file}: {exc}") from exc
    else:
        from kneecoach.cli.intake import ask_retest

        answers = ask_retest(kb)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            a, version = record_retest(s, owner, answers, kb, today)
            _, _, prog = load_progress(s, owner, today, kb)
    except ProfileError as exc:
        err.print(f"[red]Error:[/red] re-test refused, nothing stored ({exc.source}):", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except NoProfile as exc:
        raise _fail(str(exc)) from exc
    if a.referral is not None:
        out.print(f"[bold red]See a clinician first ({a.referral.urgency}).[/] {a.referral.action}", highlight=False)
    out.print(f"Re-test stored ({today}). " + (f"Plan version {version}." if version else ""), highlight=False)
    for line in prog.summary_lines():
        out.print(f"- {line}", highlight=False)
    out.print(f"[italic]{kb.rules.disclaimer}[/]", highlight=False)


@app.command("plot")
def plot_cmd(
    path: Annotated[Path, typer.Argument(help="Output file, .png or .svg.")],
    db: DbOpt = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1)] = 12,
    trends: Annotated[bool, typer.Option("--trends", help="Re-test trends (Kujala, LSI, plank) with pain "
                                                          "and weekly distance on one time axis.")] = False,
    units: UnitsOpt = None,
) -> None:
    """Chart weekly distance with pain, and the acute:chronic ratio (or, with --trends, the re-tests)."""
    checked_units(units)
    if trends:
        _plot_trends(path, db, weeks, units)
        return
    from kneecoach.tracking.diary import PainObs
    from kneecoach.tracking.load import acwr_rolling, daily_history_km, weekly_load
    from kneecoach.tracking.plots import plot_load

    if path.suffix.lower() not in {".png", ".svg"}:
        raise _bad_input(f"plot file must end in .png or .svg, got {path.name!r}")
    factory, owner = _open(db)
    today = date.today()
    start = today - timedelta(weeks=weeks)
    lookback_days = (today - start).days + 28
    since = today - timedelta(days=lookback_days)
    with transaction(factory) as s:
        # Only the window (plus the last earlier run, which marks history as
        # started before it): ten years of runs need not be read for 12 weeks.
        runs = repo.list_runs(s, owner, since=since)
        earlier = repo.last_run_before(s, owner, since)
        if earlier is not None:
            runs.insert(0, earlier)
        pain: list[PainObs] = repo.pain_obs(repo.list_pain(s, owner, since=start))
        unit = resolve_unit(units, s, owner)
    wk = weekly_load(runs, start=start, end=today)
    by_week: dict[date, list[int]] = {}
    for p in pain:
        by_week.setdefault(p.day - timedelta(days=p.day.weekday()), []).append(p.score)
    pain_by_week = {k: sum(v) / len(v) for k, v in by_week.items()}
    daily = daily_history_km(runs, today, lookback_days=lookback_days)
    points = [p for p in acwr_rolling(daily) if p.day >= start]
    plot_load(wk, pain_by_week, points, path, unit=unit)
    out.print(f"Wrote {path}")


def _plot_trends(path: Path, db: str | None, weeks: int, units: str | None = None) -> None:
    from kneecoach.assessment.kb import load_kb
    from kneecoach.store.loop import NoProfile, load_progress
    from kneecoach.tracking.load import weekly_load
    from kneecoach.tracking.plots import plot_trends

    if path.suffix.lower() not in {".png", ".svg"}:
        raise _bad_input(f"plot file must end in .png or .svg, got {path.name!r}")
    factory, owner = _open(db)
    today = date.today()
    kb = load_kb()
    with transaction(factory) as s:
        try:
            _, _, prog = load_progress(s, owner, today, kb)
        except NoProfile as exc:
            raise _fail(str(exc)) from exc
        start = min([p.day for p in prog.trend] + [today - timedelta(weeks=weeks)])
        runs = repo.list_runs(s, owner, since=start)
        pain = repo.pain_obs(repo.list_pain(s, owner, since=start))
        unit = resolve_unit(units, s, owner)
    plot_trends(prog.trend, weekly_load(runs, start=start, end=today), pain, path, unit=unit)
    out.print(f"Wrote {path}. {prog.kujala_message}", highlight=False)
