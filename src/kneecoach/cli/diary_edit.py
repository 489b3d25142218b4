"""Correcting the diary from the terminal: ``kneecoach log list | edit | delete`` (issue 16).

Thin over :mod:`kneecoach.store.diary_edit`, like the web's Change/Undo and the API's PATCH/DELETE:
``log list`` shows the last 30 days with their ids, ``log edit exercise ID --sets 3`` changes only the
options given, ``log delete pain ID`` asks first unless ``--yes``. Exit codes follow
:mod:`kneecoach.cli.app`: 2 for a bad value, 1 for an id that is not in the local diary.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from kneecoach.cli.app import EXIT_FAILED
from kneecoach.cli.tracking import DbOpt, _bad_input, _day, _fail, _open, log_app, out
from kneecoach.store.db import transaction

edit_app = typer.Typer(help="Correct a diary entry: `log edit exercise ID --sets 3`, `log edit pain ID --score 2`.",
                       no_args_is_help=True)
log_app.add_typer(edit_app, name="edit")

KindArg = Annotated[str, typer.Argument(help="exercise | pain", metavar="KIND")]
IdArg = Annotated[str, typer.Argument(help="The id shown by `kneecoach log list`, or 'last' for the newest entry.",
                                      metavar="ID")]


def _entry_id(s: Any, owner: int, kind: str, value: str) -> int:
    """An id from ``log list``, or ``last``: the newest entry of that kind."""
    from kneecoach.store import diary_edit

    if value.strip().lower() == "last":
        return diary_edit.newest_id(s, owner, "exercise" if kind == "exercise" else "pain")
    try:
        return int(value)
    except ValueError:
        raise _bad_input(f"the entry must be an id from `kneecoach log list` or 'last', got {value!r}") from None


def _kind(kind: str) -> str:
    if kind not in ("exercise", "pain"):
        raise _bad_input(f"the kind of entry must be exercise or pain, got {kind!r}")
    return kind


def _run(factory: Any, call: Any) -> Any:
    """Run ``call(session)`` in one transaction: a missing id exits 1, a bad value exits 2 (nothing changed)."""
    from kneecoach.store import repo

    try:
        with transaction(factory) as s:
            return call(s)
    except repo.NotFound as exc:
        raise _fail(f"{exc} (see `kneecoach log list`)", EXIT_FAILED) from exc
    except ValueError as exc:
        raise _bad_input(f"{exc}; nothing was changed") from exc


@log_app.command("list")
def log_list(
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How many days back (default 30).")] = 30,
    db: DbOpt = None,
) -> None:
    """List recent diary entries (exercises and pain scores) with the ids `log edit` and `log delete` take."""
    from kneecoach.store import diary_edit

    factory, owner = _open(db)
    with transaction(factory) as s:
        exercises, pains = diary_edit.recent(s, owner, date.today(), days)
        ex_rows = [(str(r.id), r.day.isoformat(), r.exercise_id, _dose(r.sets, r.reps, r.hold_s, r.load_kg),
                    _status(r.status, r.pain), "yes" if r.edited_at else "") for r in exercises]
        pain_rows = [(str(r.id), r.day.isoformat(), r.timing, f"{r.score}/10", r.note or "",
                      "yes" if r.edited_at else "") for r in pains]
    if not ex_rows and not pain_rows:
        out.print(f"No diary entries in the last {days} days.")
        return
    for title, cols, rows in ((f"Exercise, last {days} days", ("id", "day", "exercise", "dose", "how", "corrected"),
                               ex_rows),
                              (f"Pain, last {days} days", ("id", "day", "when", "score", "note", "corrected"),
                               pain_rows)):
        if not rows:
            out.print(f"{title}: none.")
            continue
        table = Table(title=title, title_justify="left")
        for col in cols:
            table.add_column(col)
        for row in rows:
            table.add_row(*row)
        out.print(table)
    out.print("Correct one: kneecoach log edit exercise ID --sets 3 · remove one: kneecoach log delete pain ID")


def _dose(sets: int | None, reps: int | None, hold: float | None, load: float | None) -> str:
    parts = [f"{sets} x {reps}" if sets and reps else str(sets or reps or "")]
    if hold:
        parts.append(f"{hold:g} s")
    if load:
        parts.append(f"@ {load:g} kg")
    return " ".join(p for p in parts if p)


def _status(status: str, pain: int | None) -> str:
    if status == "skipped":
        return "skipped"
    return "done" if pain is None else f"done, it hurt ({pain}/10)"


@edit_app.command("exercise")
def edit_exercise(
    entry: IdArg,
    sets: Annotated[int | None, typer.Option("--sets")] = None,
    reps: Annotated[int | None, typer.Option("--reps")] = None,
    hold: Annotated[float | None, typer.Option("--hold", help="Hold time in seconds.")] = None,
    load_kg: Annotated[float | None, typer.Option("--load-kg")] = None,
    status: Annotated[str | None, typer.Option("--status", help="done | hurt | skipped (hurt needs --pain).")] = None,
    pain: Annotated[int | None, typer.Option("--pain", help="'Done, it hurt' score, 0-10.")] = None,
    no_pain: Annotated[bool, typer.Option("--no-pain", help="Remove the pain score (and its pain entry).")] = False,
    exercise: Annotated[str | None, typer.Option("--exercise", help="Another exercise id.")] = None,
    day: Annotated[str | None, typer.Option("--date", help="Move it to this day (YYYY-MM-DD).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: DbOpt = None,
) -> None:
    """Correct an exercise entry: only the options given change (its pain entry follows a pain change)."""
    from kneecoach.store import diary_edit

    changes: dict[str, Any] = {}
    for name, value in (("sets", sets), ("reps", reps), ("hold_s", hold), ("load_kg", load_kg),
                        ("exercise_id", exercise), ("note", note)):
        if value is not None:
            changes[name] = value
    if day is not None:
        changes["day"] = _day(day)
    if pain is not None and no_pain:
        raise _bad_input("give --pain or --no-pain, not both")
    if status is not None:
        if status not in ("done", "hurt", "skipped"):
            raise _bad_input(f"--status must be done, hurt or skipped, got {status!r}")
        if status == "hurt" and pain is None:
            raise _bad_input("--status hurt needs --pain 0-10")
        changes["status"] = "skipped" if status == "skipped" else "done"
        if status == "done" and pain is None:
            changes["pain"] = None
    if pain is not None:
        changes["pain"] = pain
    if no_pain:
        changes["pain"] = None
    if not changes:
        raise _bad_input("nothing to change: give at least one option (see --help)")
    factory, owner = _open(db)

    def call(s: Any) -> str:
        entry_id = _entry_id(s, owner, "exercise", entry)
        diary_edit.edit_exercise(s, owner, entry_id, **changes)
        row = diary_edit.get_exercise(s, owner, entry_id)
        return (f"Corrected exercise entry {row.id}: {row.exercise_id} on {row.day.isoformat()}, "
                f"{_dose(row.sets, row.reps, row.hold_s, row.load_kg) or 'no dose'}, {_status(row.status, row.pain)}.")

    out.print(_run(factory, call), highlight=False)


@edit_app.command("pain")
def edit_pain(
    entry: IdArg,
    score: Annotated[int | None, typer.Option("--score", help="0 (none) to 10 (worst imaginable).")] = None,
    timing: Annotated[str | None, typer.Option("--timing", help="during | after | next_morning | daily")] = None,
    day: Annotated[str | None, typer.Option("--date", help="Move it to this day (YYYY-MM-DD).")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: DbOpt = None,
) -> None:
    """Correct a pain entry: only the options given change (an "it hurt" tap's score follows)."""
    from kneecoach.store import diary_edit

    changes: dict[str, Any] = {}
    if score is not None:
        changes["score"] = score
    if timing is not None:
        changes["timing"] = timing.replace("-", "_")
    if day is not None:
        changes["day"] = _day(day)
    if note is not None:
        changes["note"] = note
    if not changes:
        raise _bad_input("nothing to change: give at least one option (see --help)")
    factory, owner = _open(db)

    def call(s: Any) -> str:
        entry_id = _entry_id(s, owner, "pain", entry)
        diary_edit.edit_pain(s, owner, entry_id, **changes)
        row = diary_edit.get_pain(s, owner, entry_id)
        return f"Corrected pain entry {row.id}: {row.score}/10 ({row.timing}) on {row.day.isoformat()}."

    out.print(_run(factory, call), highlight=False)


@log_app.command("delete")
def log_delete(
    kind: KindArg,
    entry: IdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete a diary entry (an "it hurt" exercise takes its pain entry with it); asks first unless --yes."""
    from kneecoach.store import diary_edit

    kind = _kind(kind)
    factory, owner = _open(db)
    getter = diary_edit.get_exercise if kind == "exercise" else diary_edit.get_pain

    def describe(s: Any) -> tuple[int, str]:
        entry_id = _entry_id(s, owner, kind, entry)
        row = getter(s, owner, entry_id)
        if kind == "exercise":
            return entry_id, f"{row.exercise_id} on {row.day.isoformat()} ({_status(row.status, row.pain)})"
        return entry_id, f"pain {row.score}/10 ({row.timing}) on {row.day.isoformat()}"

    entry_id, what = _run(factory, describe)
    if not yes and not typer.confirm(f"Delete {what}?", default=False):
        raise _bad_input("nothing was deleted")
    remover = diary_edit.delete_exercise if kind == "exercise" else diary_edit.delete_pain
    gone = _run(factory, lambda s: remover(s, owner, entry_id))
    extra = " and its pain entry" if kind == "exercise" and gone.pain_id is not None else ""
    out.print(f"Deleted {what}{extra}.", highlight=False)
