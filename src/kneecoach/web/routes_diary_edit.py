"""Correcting the diary on the web (issue 16: a logged tap is "editable afterwards").

Plain HTML forms that work without JavaScript (CSRF token like every form): an edit page for an
exercise entry and for a pain entry, prefilled, that keeps what was typed when a value is refused;
a delete that asks to confirm; and, on Today, a **Change** form and an **Undo** button under a logged
exercise (``next=/today`` brings the runner back there). With the page's script the same posts go
through ``fetch`` with ``Accept: application/json`` and Today updates in place.

All the work is :mod:`kneecoach.store.diary_edit`; only the runner edits their diary (a clinician
gets 403 from :func:`current_runner`, another runner's id is 404 like a missing one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kneecoach.store import diary_edit, repo, taps
from kneecoach.store.models import User
from kneecoach.web import kb
from kneecoach.web.deps import DB, FORM, current_runner
from kneecoach.web.forms import flatten_form
from kneecoach.web.routes_pages import PAIN_TIMING_LABELS
from kneecoach.web.routes_today import today_json, wants_json
from kneecoach.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: Where a form may send the runner back to (never an address taken from the request as is).
_NEXT = {"/today": "/today", "/diary": "/diary"}
STATUS_LABELS = {"done": "Done", "hurt": "Done, it hurt", "skipped": "Skipped"}


def _next(values: dict[str, str]) -> str:
    return _NEXT.get(values.get("next", ""), "/diary")


def _found(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except repo.NotFound:
        raise HTTPException(status_code=404, detail="No such entry in your diary.") from None


def _ok(request: Request, db: Session, user: User, message: str, to: str) -> Response:
    if wants_json(request):
        view = taps.load_today(db, user.id, date.today())
        return JSONResponse({"detail": message, "today": today_json(view, user.distance_unit) if view else None})
    flash(request, message, "ok")
    return RedirectResponse(to, status_code=303)


def exercise_changes(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The fields of an exercise form, as :func:`diary_edit.edit_exercise` keywords: a field the form
    did not send stays as it is; an empty dose clears it. Unreadable values go to ``errors``."""
    out: dict[str, Any] = {}
    if "day" in values:
        try:
            out["day"] = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = "Enter the day as YYYY-MM-DD."
    if values.get("exercise_id"):
        out["exercise_id"] = values["exercise_id"]
    for name, kind in (("sets", int), ("reps", int), ("hold_s", float), ("load_kg", float)):
        if name not in values:
            continue
        raw = values[name].strip()
        try:
            out[name] = None if raw == "" else kind(raw)
        except ValueError:
            errors[name] = "Enter a whole number." if kind is int else "Enter a number."
    if "note" in values:
        out["note"] = values["note"][:500]
    status, raw_pain = values.get("status"), (values.get("pain") or "").strip()
    pain: int | None = None
    if raw_pain:
        try:
            pain = int(raw_pain)
        except ValueError:
            errors["pain"] = "Choose a pain score from 0 to 10."
    if status is not None:
        if status not in STATUS_LABELS:
            errors["status"] = "Choose Done, Done it hurt, or Skipped."
        elif status == "hurt":
            if pain is None and "pain" not in errors:
                errors["pain"] = "Say how much it hurt, 0 to 10."
            out["status"], out["pain"] = "done", pain
        else:
            out["status"], out["pain"] = status, None
    elif raw_pain and "pain" not in errors:
        out["pain"] = pain
    return out


_FIELD_OF = (("pain score", "pain"), ("sets", "sets"), ("reps", "reps"), ("hold", "hold_s"), ("load", "load_kg"),
             ("future", "day"), ("skipped", "pain"), ("status", "status"), ("note", "note"))


def _field(message: str, default: str) -> str:
    return next((f for word, f in _FIELD_OF if word in message), default)


def _exercise_values(row: Any) -> dict[str, str]:
    def num(v: float | int | None) -> str:
        return "" if v is None else (str(int(v)) if float(v).is_integer() else str(v))

    status = "skipped" if row.status == "skipped" else ("hurt" if row.pain is not None else "done")
    return {"day": row.day.isoformat(), "exercise_id": row.exercise_id, "sets": num(row.sets), "reps": num(row.reps),
            "hold_s": num(row.hold_s), "load_kg": num(row.load_kg), "note": row.note or "", "status": status,
            "pain": "" if row.pain is None else str(row.pain)}


def _edit_page(request: Request, kind: str, entry_id: int, values: dict[str, str], errors: dict[str, str],
               status_code: int = 200, extra: dict[str, Any] | None = None) -> Response:
    return render(request, "diary_edit.html", {
        "kind": kind, "entry_id": entry_id, "values": values, "errors": errors, "timings": PAIN_TIMING_LABELS,
        "exercises": kb.exercise_names(), "status_labels": STATUS_LABELS, "today": date.today().isoformat(),
        **(extra or {})}, status_code=status_code)


def _refused(request: Request, kind: str, entry_id: int, values: dict[str, str], errors: dict[str, str],
             extra: dict[str, Any] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": " ".join(errors.values()) + " Nothing was changed.", "errors": errors},
                            status_code=400)
    return _edit_page(request, kind, entry_id, values, errors, 400, extra)


# --------------------------------------------------------------------------- exercise entries


@router.get("/diary/exercise/{entry_id}/edit")
def exercise_edit_page(request: Request, entry_id: int, user: User = Depends(current_runner),
                       db: Session = DB) -> Response:
    row = _found(lambda: diary_edit.get_exercise(db, user.id, entry_id))
    values = _exercise_values(row) | {"next": _next(dict(request.query_params))}
    return _edit_page(request, "exercise", entry_id, values, {})


@router.post("/diary/exercise/{entry_id}/edit")
def exercise_edit(request: Request, entry_id: int, form: FormData = FORM, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    _found(lambda: diary_edit.get_exercise(db, user.id, entry_id))
    errors: dict[str, str] = {}
    changes = exercise_changes(values, errors)
    if not errors:
        try:
            diary_edit.edit_exercise(db, user.id, entry_id, known_ids=frozenset(kb.exercise_names()), **changes)
        except ValueError as exc:
            db.rollback()
            msg = str(exc)
            errors[_field(msg, "exercise_id")] = msg[:1].upper() + msg[1:] + "."
    if errors:
        shown = _exercise_values(diary_edit.get_exercise(db, user.id, entry_id)) | values  # what was typed wins
        return _refused(request, "exercise", entry_id, shown, errors)
    return _ok(request, db, user, "Entry corrected.", _next(values))


@router.get("/diary/exercise/{entry_id}/delete")
def exercise_delete_page(request: Request, entry_id: int, user: User = Depends(current_runner),
                         db: Session = DB) -> Response:
    row = _found(lambda: diary_edit.get_exercise(db, user.id, entry_id))
    name = kb.exercise_names().get(row.exercise_id, row.exercise_id)
    linked = taps.linked_pain(db, row)
    return render(request, "diary_delete.html", {
        "kind": "exercise", "entry_id": entry_id, "next": _next(dict(request.query_params)),
        "what": f"{name} on {row.day.isoformat()} ({STATUS_LABELS[_exercise_values(row)['status']]}"
                + (f", pain {row.pain}/10" if row.pain is not None else "") + ")",
        "also": "Its pain score goes with it." if linked is not None else ""})


@router.post("/diary/exercise/{entry_id}/delete")
def exercise_delete(request: Request, entry_id: int, form: FormData = FORM, user: User = Depends(current_runner),
                    db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    _found(lambda: diary_edit.get_exercise(db, user.id, entry_id))
    if values.get("confirm") != "yes":  # a delete is asked first (Today's Undo sends its confirmation)
        return RedirectResponse(f"/diary/exercise/{entry_id}/delete?next={_next(values)}", status_code=303)
    diary_edit.delete_exercise(db, user.id, entry_id)
    return _ok(request, db, user, "Entry deleted." if _next(values) == "/diary" else "Undone: the entry is deleted.",
               _next(values))


# --------------------------------------------------------------------------- pain entries


def _pain_values(row: Any) -> dict[str, str]:
    return {"day": row.day.isoformat(), "timing": row.timing, "score": str(row.score), "note": row.note or ""}


def _pain_extra(db: Session, row: Any) -> dict[str, Any]:
    tap = diary_edit.tap_of_pain(db, row)
    return {"tap": None if tap is None else {"id": tap.id, "name": kb.exercise_names().get(tap.exercise_id,
                                                                                             tap.exercise_id)}}


@router.get("/diary/pain/{entry_id}/edit")
def pain_edit_page(request: Request, entry_id: int, user: User = Depends(current_runner), db: Session = DB) -> Response:
    row = _found(lambda: diary_edit.get_pain(db, user.id, entry_id))
    values = _pain_values(row) | {"next": _next(dict(request.query_params))}
    return _edit_page(request, "pain", entry_id, values, {}, extra=_pain_extra(db, row))


@router.post("/diary/pain/{entry_id}/edit")
def pain_edit(request: Request, entry_id: int, form: FormData = FORM, user: User = Depends(current_runner),
              db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    _found(lambda: diary_edit.get_pain(db, user.id, entry_id))
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "day" in values:
        try:
            changes["day"] = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = "Enter the day as YYYY-MM-DD."
    if "timing" in values:
        if values["timing"] not in PAIN_TIMING_LABELS:
            errors["timing"] = "Choose when you felt it."
        changes["timing"] = values["timing"]
    if "score" in values:
        try:
            changes["score"] = int(values["score"])
        except ValueError:
            errors["score"] = "Choose a score from 0 to 10."
    if "note" in values:
        changes["note"] = values["note"][:500]
    if not errors:
        try:
            diary_edit.edit_pain(db, user.id, entry_id, **changes)
        except ValueError as exc:
            db.rollback()
            msg = str(exc)
            errors["day" if ("future" in msg or "day there" in msg) else "score"] = msg[:1].upper() + msg[1:] + "."
    if errors:
        row = diary_edit.get_pain(db, user.id, entry_id)
        return _refused(request, "pain", entry_id, _pain_values(row) | values, errors, _pain_extra(db, row))
    return _ok(request, db, user, "Pain entry corrected.", _next(values))


@router.get("/diary/pain/{entry_id}/delete")
def pain_delete_page(request: Request, entry_id: int, user: User = Depends(current_runner),
                     db: Session = DB) -> Response:
    row = _found(lambda: diary_edit.get_pain(db, user.id, entry_id))
    tap = diary_edit.tap_of_pain(db, row)
    return render(request, "diary_delete.html", {
        "kind": "pain", "entry_id": entry_id, "next": "/diary",
        "what": f"pain {row.score}/10 on {row.day.isoformat()} ({PAIN_TIMING_LABELS.get(row.timing, row.timing)})",
        "also": "" if tap is None else "The exercise it was logged with stays, as done without pain."})


@router.post("/diary/pain/{entry_id}/delete")
def pain_delete(request: Request, entry_id: int, form: FormData = FORM, user: User = Depends(current_runner),
                db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    _found(lambda: diary_edit.get_pain(db, user.id, entry_id))
    if values.get("confirm") != "yes":
        return RedirectResponse(f"/diary/pain/{entry_id}/delete", status_code=303)
    diary_edit.delete_pain(db, user.id, entry_id)
    return _ok(request, db, user, "Pain entry deleted.", "/diary")
