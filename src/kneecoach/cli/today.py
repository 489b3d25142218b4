"""``kneecoach today``: the day's exercises, the morning check and today's run, in the terminal.

The same :func:`kneecoach.store.taps.load_today` value the web's Today page shows, so the run
decision is the same in both. Options log what the web's buttons log (ordinary diary entries):

    kneecoach today                      # what to do today
    kneecoach today --morning 2          # the morning check: knee pain 0-10 now
    kneecoach today --done clamshell --hurt glute_bridge=4 --skip step_up
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from kneecoach.cli.app import app
from kneecoach.cli.units import UnitsOpt, checked_units, resolve_unit
from kneecoach.cli.tracking import DateOpt, DbOpt, _bad_input, _day, _describe, _fail, _open, out
from kneecoach.store.db import transaction



def _parse_hurt(value: str) -> tuple[str, int]:
    ex, sep, score = value.partition("=")
    if not sep or not score.strip().lstrip("-").isdigit():
        raise _bad_input(f"--hurt takes EXERCISE=PAIN (e.g. clamshell=4), got {value!r}")
    return ex.strip(), int(score)


@app.command("today")
def today_cmd(
    morning: Annotated[int | None, typer.Option("--morning", help="Morning check: knee pain now, 0-10.")] = None,
    worse: Annotated[bool | None, typer.Option("--worse/--not-worse",
                                               help="After a painful run: worse than before that run?")] = None,
    done: Annotated[list[str] | None, typer.Option("--done", help="Exercise id done at the prescribed dose.")] = None,
    hurt: Annotated[list[str] | None, typer.Option("--hurt", help="EXERCISE=PAIN: done, and it hurt (0-10).")] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Exercise id skipped today.")] = None,
    units: UnitsOpt = None,
    day: DateOpt = None,
    db: DbOpt = None,
) -> None:
    """Today's exercises, the morning check and today's run (as planned, shorter, cross-train or rest)."""
    from kneecoach.intake.units import show_distance
    from kneecoach.plan.morning import ACTION_LABELS
    from kneecoach.store import taps

    when = _day(day)
    if when > date.today():
        raise _bad_input(f"{when.isoformat()} is in the future: Today shows a day that has come")
    checked_units(units)
    factory, owner = _open(db)
    try:
        with transaction(factory) as s:
            unit = resolve_unit(units, s, owner)
            view = taps.load_today(s, owner, when)
            if view is None:
                raise _fail("no plan stored yet: run `kneecoach assess PROFILE --save` first.")
            by_id = {e.id: e for e in taps.plan_exercises(s, owner) or []}
            if view.referral:  # a warning sign in the latest answers: nothing is logged against the plan
                done, hurt, skip, morning = [], [], [], None
            entries: list[tuple[str, str, int | None]] = [(e, "done", None) for e in done or []]
            entries += [(e, "done", p) for e, p in map(_parse_hurt, hurt or [])]
            entries += [(e, "skipped", None) for e in skip or []]
            for ex_id, status, pain in entries:
                ex = by_id.get(ex_id.strip().lower())
                if ex is None:
                    raise ValueError(f"{ex_id!r} is not one of your plan's current exercises ({', '.join(by_id)})")
                dose = ex.dose
                taps.log_exercise(
                    s, owner, when, ex.id,
                    *((dose.sets, dose.reps, dose.hold_s) if status == "done" else (None, None, None)),
                    status=status, pain=pain, note="today", today=date.today(),
                )
            if morning is not None:
                taps.log_pain(s, owner, when, "next_morning", morning, worse_than_before=worse, note="morning check",
                              today=date.today())
            if entries or morning is not None:
                view = taps.load_today(s, owner, when)
                assert view is not None
    except typer.Exit:
        raise
    except ValueError as exc:
        raise _bad_input(f"{exc} (nothing was stored)") from exc
    except Exception as exc:  # noqa: BLE001 - a sentence, not a traceback
        raise _fail(f"could not read or write the diary ({_describe(exc)}); nothing was stored") from exc
    _print(view, unit, ACTION_LABELS, show_distance)


def _print(view, unit: str, labels: dict[str, str], show_distance) -> None:  # type: ignore[no-untyped-def]
    if view.referral:
        from kneecoach.cli.app import EXIT_REFERRAL

        out.print("[bold red]Please see a clinician before following this plan.[/]", highlight=False)
        out.print(str(view.referral["message"]), highlight=False)
        if view.referral.get("action"):
            out.print(f"What to do: {view.referral['action']}", highlight=False)
        for reason in view.referral["reasons"]:
            out.print(f"- {reason}", highlight=False)
        out.print(f"[italic]{view.disclaimer}[/]", highlight=False)
        raise typer.Exit(EXIT_REFERRAL)
    week = (f"plan week 1 starts {view.plan_starts:%a %d %b} (until then, week 1 as a guide)" if view.plan_starts
            else f"week {view.plan_week}")
    out.print(f"[bold]{view.weekday_name} {view.day.isoformat()}[/] - plan version {view.plan_version}, "
              f"{week}, phase: {view.phase.name if view.phase else '-'}", highlight=False)
    run = view.run
    if view.morning is None:
        out.print("Morning check: not answered yet - `kneecoach today --morning N` (knee pain now, 0-10)"
                  + (" --worse/--not-worse (worse than before yesterday's run?)" if view.ask_second_question else ""),
                  highlight=False)
    else:
        out.print(f"Morning check: {view.morning.score}/10", highlight=False)
    dist = ""
    if run.planned_km:
        dist = f" - planned {show_distance(run.planned_km, unit)}{' (long run)' if run.long else ''}"
        if run.km is not None and run.km != run.planned_km:
            dist += f", today {show_distance(run.km, unit)}"
    out.print(f"[bold]Run[/]: {labels[run.action]}{dist}. {run.reason}", highlight=False)
    out.print(f"[bold]Exercises[/] (about {view.minutes:.0f} min):", highlight=False)
    if not view.items:
        out.print("  none today - a rest day from the exercises.", highlight=False)
    marks = {"todo": "[ ]", "done": "[x]", "hurt": "[x]", "skipped": "[-]"}
    for item in view.items:
        extra = f" (hurt {item.tap.pain}/10)" if item.status == "hurt" and item.tap else ""
        extra += " (skipped)" if item.status == "skipped" else ""
        extra += f" (entry {item.tap.entry_id})" if item.tap and item.tap.entry_id else ""
        out.print(f"  {marks[item.status]} {item.exercise.name} [{item.exercise.id}]: {item.exercise.dose.text}{extra}"
                  f" - {item.cue}", highlight=False, markup=False)
    if any(item.tap and item.tap.entry_id for item in view.items):
        out.print("  Logged by mistake? `kneecoach log edit exercise ENTRY --status skipped` corrects one, "
                  "`kneecoach log delete exercise ENTRY` removes it.", highlight=False, markup=False)
    for wk in view.adherence[-4:]:
        out.print(f"Adherence: {wk.sentence()}", highlight=False)
    out.print(f"Distances in {unit}. Pain rule sources: {', '.join(view.sources)}", highlight=False)
    out.print("See a clinician if pain is severe, wakes you at night, comes with swelling, locking or giving way, "
              "or does not settle with rest.", highlight=False)
    out.print(f"[italic]{view.disclaimer}[/]", highlight=False)


@app.command("remind")
def remind_cmd(db: DbOpt = None) -> None:
    """Send today's Web Push reminders that are due (run it every few minutes, e.g. from cron or a timer)."""
    from kneecoach.store import push

    factory, _owner = _open(db)  # migrates a database that is behind
    try:
        with transaction(factory) as s:
            report = push.send_due(s)
    except Exception as exc:  # noqa: BLE001 - a sentence, not a traceback
        raise _fail(f"could not send reminders ({_describe(exc)})") from exc
    out.print(f"Reminders: {report.sent} sent, {report.failed} failed, {report.removed} expired subscriptions removed.")
