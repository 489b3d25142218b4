"""Today: the runner's day on the web (page, one-tap forms, JSON API) and its read-only view for
invited clinicians.

Every write is an ordinary diary entry made through :mod:`kneecoach.store.taps` with an
idempotency key: the page renders a fresh random key into each form, the offline queue in
``today.js`` keeps the key of a queued tap, so a double submit or a replay after reconnecting is
stored once. Forms work without JavaScript (each "Done, it hurt" score is its own submit button:
one tap); with JavaScript the taps go through ``fetch`` and the page updates in place.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from datetime import date
from typing import Any, Literal

from starlette.datastructures import FormData
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kneecoach.intake.units import km_to
from kneecoach.plan.morning import ACTION_LABELS
from kneecoach.store import repo, taps
from kneecoach.store.models import User
from kneecoach.tracking.today import Today
from kneecoach.web import kb
from kneecoach.web.deps import DB, FORM, current_runner, current_user, viewable_owner
from kneecoach.web.forms import flatten_form
from kneecoach.web.templating import flash, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["today"])

#: Why to see a clinician, on every face of Today (shared/reference/clinical.md section 5).
REFERRAL_REASONS = ("pain that is severe or wakes you at night", "a knee that locks or gives way",
                    "a hot, swollen knee or fever", "numbness", "pain that keeps rising despite the pain rule")


def new_key() -> str:
    """A fresh idempotency key for one form (128 random bits)."""
    return secrets.token_urlsafe(16)


def today_json(view: Today, unit: str) -> dict[str, Any]:
    """The Today value as JSON (the API and the page's script read the same shape)."""
    run = view.run

    def dist(km: float | None) -> float | None:
        return None if km is None else round(km_to(km, unit), 1)

    return {
        "day": view.day.isoformat(), "plan_version": view.plan_version, "plan_week": view.plan_week,
        "plan_starts": view.plan_starts.isoformat() if view.plan_starts else None,
        "phase": None if view.phase is None else {"id": view.phase.id, "name": view.phase.name},
        "minutes": view.minutes, "unit": unit,
        "run": {"action": run.action, "label": run.label, "reason": run.reason, "long": run.long,
                "planned": dist(run.planned_km), "today": dist(run.km), "unit": unit},
        "morning": None if view.morning is None else {"score": view.morning.score,
                                                       "worse_than_before": view.morning.worse_than_before},
        "ask_second_question": view.ask_second_question,
        "exercises": [{"id": i.exercise.id, "name": i.exercise.name, "dose": i.exercise.dose.text, "cue": i.cue,
                       "minutes": i.minutes, "status": i.status, "pain": i.tap.pain if i.tap else None}
                      for i in view.items],
        "adherence": [{"week_start": w.week_start.isoformat(), "prescribed": w.prescribed, "done": w.done,
                       "percent": w.percent} for w in view.adherence],
        "week": [{"day": name, "exercises": names, "minutes": minutes} for name, names, minutes in view.week_layout],
        "disclaimer": view.disclaimer, "see_a_clinician_if": list(REFERRAL_REASONS), "sources": view.sources,
        "referral": view.referral,
    }


def _load(db: Session, owner_id: int, day: date | None = None) -> Today | None:
    return taps.load_today(db, owner_id, day or date.today())


def _context(view: Today | None, owner: User, viewer: User) -> dict[str, Any]:
    unit = owner.distance_unit
    keys = {}
    if view is not None:
        keys = {i.exercise.id: new_key() for i in view.items}
    return {"t": view, "owner": owner, "read_only": viewer.id != owner.id, "unit": unit, "keys": keys,
            "morning_key": new_key(), "labels": ACTION_LABELS, "km_to": km_to, "reasons": REFERRAL_REASONS,
            "scores": list(range(11))}


_STATIC = Path(__file__).parent / "static"


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so its scope covers /today."""
    return Response((_STATIC / "sw.js").read_bytes(), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache"})


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    """Web app manifest: kneecoach can be installed on a phone's home screen and opens on Today."""
    import json

    body = {"name": "kneecoach", "short_name": "kneecoach", "start_url": "/today", "scope": "/",
            "display": "standalone", "background_color": "#f6f7f9", "theme_color": "#1f6f8b",
            "description": "Your knee plan, one day at a time. Education, not a diagnosis.",
            "icons": [{"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}]}
    return Response(json.dumps(body), media_type="application/manifest+json",
                    headers={"Cache-Control": "public, max-age=3600"})


def today_context(db: Session, user: User) -> dict[str, Any]:
    """What ``_today.html`` needs for the signed-in runner (the home page shows it first)."""
    view = _load(db, user.id)
    return _context(view, user, user) if view is not None else {}


@router.get("/today")
def today_page(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    view = _load(db, user.id)
    return render(request, "today.html", _context(view, user, user))


@router.get("/u/{owner_id}/today")
def today_read_only(request: Request, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
                    db: Session = DB) -> Response:
    """The runner's day and adherence, for the runner or a clinician they invited (no buttons for others)."""
    if owner.id == user.id:
        return RedirectResponse("/today", status_code=303)
    return render(request, "today.html", _context(_load(db, owner.id), owner, user))


def wants_json(request: Request) -> bool:
    """The client asked for JSON (the page's script, the offline queue) rather than a page."""
    return "application/json" in request.headers.get("accept", "")


def _done(request: Request, db: Session, user: User, message: str, status: int, replayed: bool) -> Response:
    if wants_json(request):
        view = _load(db, user.id)
        body = {"detail": message, "replayed": replayed,
                "today": today_json(view, user.distance_unit) if view else None}
        return JSONResponse(body, status_code=status)
    flash(request, message, "ok")
    return RedirectResponse("/today", status_code=303)


def _refuse(request: Request, db: Session, user: User, message: str, status: int = 400) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    ctx = _context(_load(db, user.id), user, user)
    ctx["error"] = message
    return render(request, "today.html", ctx, status_code=status)


def _day(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("the day must be YYYY-MM-DD") from None


def _no_referral(db: Session, user: User) -> None:
    """Nothing is logged against a plan while the latest answers ask the runner to see a clinician."""
    latest = repo.latest_assessment(db, user.id)
    if latest is not None and (latest.data or {}).get("referral"):
        raise ValueError("your latest answers include a warning sign: see a clinician before following the plan")


def tap(db: Session, user: User, exercise_id: str, status: str, pain: int | None, day: date,
        key: str | None) -> taps.Logged:
    """Log one tap on one of the plan's current exercises at its prescribed dose (the form and the API)."""
    if status not in ("done", "hurt", "skipped"):
        raise ValueError("choose Done, Done it hurt, or Skipped")
    if status == "hurt" and pain is None:
        raise ValueError("say how much it hurt, 0 to 10")
    if status != "hurt" and pain is not None:
        raise ValueError("a pain score goes with 'Done, it hurt'")
    if pain is not None and not 0 <= pain <= 10:
        raise ValueError(f"pain must be from 0 (none) to 10 (worst), got {pain}")
    exercises = taps.plan_exercises(db, user.id)  # any exercise in force: one done on another day counts too
    _no_referral(db, user)
    if exercises is None:
        raise ValueError("there is no plan yet: fill in the intake first")
    ex = next((e for e in exercises if e.id == exercise_id), None)
    if ex is None:
        raise ValueError(f"{exercise_id!r} is not one of your plan's current exercises")
    d = ex.dose
    dose = (d.sets, d.reps, d.hold_s) if status != "skipped" else (None, None, None)
    return taps.log_exercise(db, user.id, day, exercise_id, *dose, status="skipped" if status == "skipped" else "done",
                             pain=pain if status == "hurt" else None, note="today", key=key,
                             known_ids=frozenset(kb.exercise_names()))


_MESSAGES = {"done": "Logged as done.", "hurt": "Logged as done, with the pain score.", "skipped": "Marked as skipped."}
_REPLAYED = "Already logged (this tap was sent before); nothing new was stored."
_REPLAYED_DELETED = "This tap was sent before and its entry has since been deleted; nothing was stored."


def _replay_message(logged: taps.Logged) -> str:
    return _REPLAYED_DELETED if logged.deleted else _REPLAYED


def _int(value: str | None, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{what} must be a whole number from 0 to 10") from None


@router.post("/today/tap")
def today_tap(request: Request, form: FormData = FORM, user: User = Depends(current_runner), db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    try:
        pain = _int(values.get("pain"), "pain")
        status = "hurt" if pain is not None else values.get("status", "")  # a score button was the tap
        logged = tap(db, user, values.get("exercise_id", ""), status, pain, _day(values.get("day")),
                     values.get("idempotency_key") or None)
    except taps.IdempotencyConflict as exc:
        db.rollback()
        return _refuse(request, db, user, str(exc).capitalize(), 409)
    except ValueError as exc:
        db.rollback()
        return _refuse(request, db, user, str(exc)[:1].upper() + str(exc)[1:] + " Nothing was stored.")
    message = _replay_message(logged) if logged.replayed else _MESSAGES[status]
    return _done(request, db, user, message, 200 if logged.replayed else 201, logged.replayed)


def morning(db: Session, user: User, score: int | None, worse: bool | None, day: date, key: str | None) -> taps.Logged:
    if score is None:
        raise ValueError("choose how the knee feels this morning, 0 to 10")
    _no_referral(db, user)
    return taps.log_pain(db, user.id, day, "next_morning", score, note="morning check", key=key,
                         worse_than_before=worse)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").lower())


@router.post("/today/morning")
def today_morning(request: Request, form: FormData = FORM, user: User = Depends(current_runner), db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    try:
        logged = morning(db, user, _int(values.get("score"), "morning pain"), _yes_no(values.get("worse")),
                         _day(values.get("day")), values.get("idempotency_key") or None)
    except taps.IdempotencyConflict as exc:
        db.rollback()
        return _refuse(request, db, user, str(exc).capitalize(), 409)
    except ValueError as exc:
        db.rollback()
        return _refuse(request, db, user, str(exc)[:1].upper() + str(exc)[1:] + ". Nothing was stored.")
    message = _replay_message(logged) if logged.replayed else "Morning check saved."
    return _done(request, db, user, message, 200 if logged.replayed else 201, logged.replayed)


# --------------------------------------------------------------------------- JSON API


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TapIn(_In):
    exercise_id: str = Field(max_length=80)
    status: Literal["done", "hurt", "skipped"]
    pain: int | None = Field(default=None, ge=0, le=10, description="Required for 'hurt'.")
    day: date | None = Field(default=None, description="Default: today (server date). Never in the future.")
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64,
                                        description="Same key again = the same tap: stored once, answered 200.")


class MorningIn(_In):
    score: int = Field(ge=0, le=10, description="Knee pain this morning, 0-10.")
    worse_than_before: bool | None = None
    day: date | None = None
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)


class LoggedOut(BaseModel):
    id: int
    replayed: bool
    detail: str
    deleted: bool = False


def _api(call) -> LoggedOut | JSONResponse:  # type: ignore[no-untyped-def]
    try:
        logged, message = call()
    except taps.IdempotencyConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    out = LoggedOut(id=logged.id, replayed=logged.replayed, detail=_replay_message(logged) if logged.replayed else message,
                    deleted=logged.deleted)
    return JSONResponse(out.model_dump(), status_code=200 if logged.replayed else 201)


@api.get("/users/{owner_id}/today", summary="The runner's day: exercises, morning check, today's run, adherence")
def get_today(day: date | None = None, owner: User = Depends(viewable_owner), db: Session = DB) -> dict[str, Any]:
    if day is not None and day > date.today():
        raise HTTPException(status_code=422, detail="that day is in the future")
    view = _load(db, owner.id, day)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    return today_json(view, owner.distance_unit)


@api.post("/today/taps", status_code=201, response_model=LoggedOut,
          summary="One tap on one of the day's exercises: done / hurt (with pain) / skipped")
def post_tap(body: TapIn, user: User = Depends(current_runner), db: Session = DB) -> Any:
    return _api(lambda: (tap(db, user, body.exercise_id, body.status, body.pain, body.day or date.today(),
                             body.idempotency_key), _MESSAGES[body.status]))


@api.post("/today/morning", status_code=201, response_model=LoggedOut,
          summary="The morning check: knee pain now (0-10), and after a painful run whether it is worse")
def post_morning(body: MorningIn, user: User = Depends(current_runner), db: Session = DB) -> Any:
    return _api(lambda: (morning(db, user, body.score, body.worse_than_before, body.day or date.today(),
                                 body.idempotency_key), "Morning check saved."))


# --------------------------------------------------------------------------- distance unit (account setting)


def set_unit(db: Session, user: User, unit: str) -> str:
    """Store the runner's distance unit ("km" or "mi"); a readable ValueError otherwise."""
    from kneecoach.intake.units import check_unit

    user.distance_unit = check_unit(unit)
    db.flush()
    return user.distance_unit


@router.post("/account/units")
def account_units(request: Request, form: FormData = FORM, user: User = Depends(current_user), db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    try:
        unit = set_unit(db, user, values.get("unit", ""))
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{exc}; nothing was changed") from None
    flash(request, f"Distances are now shown in {'miles' if unit == 'mi' else 'kilometres'}.")
    return RedirectResponse("/account", status_code=303)


class UnitIn(_In):
    unit: Literal["km", "mi"]


@api.post("/account/units", summary="Show and enter distances in km or mi (stored values stay metric)")
def api_units(body: UnitIn, user: User = Depends(current_user), db: Session = DB) -> dict[str, str]:
    return {"unit": set_unit(db, user, body.unit)}


# --------------------------------------------------------------------------- reminders (Web Push)


class PushKeys(_In):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class PushSubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime
    endpoint: str = Field(max_length=2000)
    keys: PushKeys


class SubscribeIn(_In):
    subscription: PushSubscriptionIn
    time: str = Field(description="HH:MM, 24-hour, on the runner's clock: when the daily reminder comes.")
    utc_offset_min: int = Field(default=0, description="That clock's offset from UTC in minutes (+60 for UTC+1).")


class UnsubscribeIn(_In):
    endpoint: str | None = Field(default=None, max_length=2000, description="This device; omit for every device.")


@api.get("/push/key", summary="The server's VAPID public key (applicationServerKey for pushManager.subscribe)")
def push_key(user: User = Depends(current_runner), db: Session = DB) -> dict[str, str]:
    from kneecoach.store import push

    return {"public_key": push.vapid_keys(db).public_key}


@api.post("/push/subscribe", status_code=201, summary="Opt in to a daily reminder on this device")
def push_subscribe(body: SubscribeIn, user: User = Depends(current_runner), db: Session = DB) -> dict[str, Any]:
    from kneecoach.store import push

    try:
        row = push.subscribe(db, user.id, body.subscription.endpoint, body.subscription.keys.p256dh,
                             body.subscription.keys.auth, body.time, body.utc_offset_min)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"id": row.id, "time": user.reminder_time}


@api.post("/push/unsubscribe", summary="Stop reminders on this device (or on every device)")
def push_unsubscribe(body: UnsubscribeIn, user: User = Depends(current_runner), db: Session = DB) -> dict[str, int]:
    from kneecoach.store import push

    return {"removed": push.unsubscribe(db, user.id, body.endpoint)}
