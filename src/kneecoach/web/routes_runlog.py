"""Runs logged by hand, races and marked days: diary forms and the API (issue 21).

A treadmill run, or a runner without a watch file, would otherwise get no
weekly review at all. Hand-entered runs are stored like imported ones
(``source_format="manual"``, named "hand-entered") and count the same.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from starlette.datastructures import FormData
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kneecoach.store import run_log
from kneecoach.store.models import User
from kneecoach.tracking.diary import DAY_FLAG_LABELS as DAY_MARK_LABELS
from kneecoach.web.deps import DB, FORM, current_runner
from kneecoach.web.forms import flatten_form, parse_day
from kneecoach.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"])

class HandRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    distance: float = Field(gt=0, description="Distance in `unit`.")
    minutes: float = Field(gt=0, le=48 * 60)
    unit: Literal["km", "mi"] = "km"
    pain: int | None = Field(default=None, ge=0, le=10, description="Pain during the run, 0-10.")
    race: bool = False


class DayMarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    kind: Literal["ill", "chest_symptoms", "night_pain", "rest_pain", "swelling", "giving_way", "bone_spot_pain"]
    note: str = Field(default="", max_length=500)


class RunOut(BaseModel):
    id: int
    distance_km: float
    hand_entered: bool
    race: bool


@api.post("/runs/manual", response_model=RunOut, status_code=201, summary="Log a run by hand (counts like an import)")
def post_hand_run(body: HandRunIn, user: User = Depends(current_runner), db: Session = DB) -> RunOut:
    try:
        row = run_log.add_hand_run(db, user.id, body.day, body.distance, body.minutes, unit=body.unit,
                                   pain=body.pain, race=body.race)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return RunOut(id=row.id, distance_km=round(row.distance_m / 1000, 3), hand_entered=True, race=row.race)


@api.post("/runs/{run_id}/race", response_model=RunOut, summary="Mark one of your runs as a race (or not)")
def post_race(run_id: int, race: bool = True, user: User = Depends(current_runner), db: Session = DB) -> RunOut:
    try:
        row = run_log.set_race(db, user.id, run_id, race)
    except ValueError:
        raise HTTPException(status_code=404, detail="No such run.") from None
    return RunOut(id=row.id, distance_km=round(row.distance_m / 1000, 3),
                  hand_entered=row.source_name == run_log.HAND_ENTERED, race=row.race)


@api.post("/day-marks", status_code=201, summary="Mark a day as ill, or with a sign the review refers on")
def post_day_mark(body: DayMarkIn, user: User = Depends(current_runner), db: Session = DB) -> dict[str, int]:
    row = run_log.add_day_mark(db, user.id, body.day, body.kind, body.note)
    return {"id": row.id}


def _diary_again(request: Request, db: Session, user: User, values: dict, errors: dict) -> Response:
    from kneecoach.web.routes_pages import _diary_context

    return render(request, "diary.html", _diary_context(db, user, values, errors), status_code=400)


def _float(values: dict, key: str, errors: dict) -> float | None:
    raw = str(values.get(key, "")).replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        errors[key] = "Enter a number."
        return None


@pages.post("/diary/run")
def diary_run(request: Request, form: FormData = FORM, user: User = Depends(current_runner), db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    errors: dict[str, str] = {}
    try:
        day = parse_day(values.get("run_day"))
    except ValueError as exc:
        errors["run_day"] = str(exc)
    distance = _float(values, "distance", errors)
    minutes = _float(values, "minutes", errors)
    unit = values.get("unit") or user.distance_unit  # the runner's unit unless the form says (issue 16)
    pain_raw = values.get("run_pain", "")
    pain = None
    if pain_raw:
        try:
            pain = int(pain_raw)
        except ValueError:
            errors["run_pain"] = "Choose a score from 0 to 10."
    if not errors:
        try:
            run_log.add_hand_run(db, user.id, day, distance, minutes, unit=unit, pain=pain,  # type: ignore[arg-type]
                                 race=values.get("race") == "1")
        except ValueError as exc:
            msg = str(exc)
            field = "minutes" if msg.startswith(("minutes", "unit")) else "run_pain" if "pain" in msg else "distance"
            errors[field] = msg[:1].upper() + msg[1:]
    if errors:
        return _diary_again(request, db, user, values, errors)
    flash(request, "Run saved (entered by hand).")
    return RedirectResponse("/diary", status_code=303)


@pages.post("/diary/day")
def diary_day(request: Request, form: FormData = FORM, user: User = Depends(current_runner), db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    errors: dict[str, str] = {}
    try:
        day = parse_day(values.get("mark_day"))
    except ValueError as exc:
        errors["mark_day"] = str(exc)
    kind = values.get("kind", "")
    if kind not in DAY_MARK_LABELS:
        errors["kind"] = "Choose what happened."
    if errors:
        return _diary_again(request, db, user, values, errors)
    run_log.add_day_mark(db, user.id, day, kind, str(values.get("mark_note", ""))[:500])
    flash(request, f"{day:%d %b}: {DAY_MARK_LABELS[kind].lower()} noted. The weekly review takes it into account.")
    return RedirectResponse("/diary", status_code=303)
