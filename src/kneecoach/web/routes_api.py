"""JSON API under ``/api/v1``: the same operations as the pages, for scripts and apps.

Auth is the same signed session cookie as the website plus CSRF on writes:

1. ``GET /api/v1/csrf`` -> ``{"csrf_token": ...}`` (and a session cookie);
2. ``POST /api/v1/login`` with header ``X-CSRF-Token`` and JSON
   ``{"email", "password"}`` -> a fresh session and a new ``csrf_token``;
3. every later POST sends the cookie and ``X-CSRF-Token``.

Reads of a runner's data take the owner's id (``/api/v1/users/{owner_id}/...``),
checked exactly like the pages: the runner themself or an invited clinician;
everyone else gets 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from kneecoach.intake.profile import Profile
from kneecoach.store import diary_edit, repo, taps
from kneecoach.store.models import User
from kneecoach.web import kb, services
from kneecoach.web.deps import (
    DB,
    current_runner,
    current_user,
    end_session,
    start_session,
    viewable_owner,
)
from kneecoach.web.routes_auth import Refused, authenticate
from kneecoach.web.security import csrf_token

router = APIRouter(prefix="/api/v1", tags=["api"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class CsrfOut(BaseModel):
    csrf_token: str


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: str
    distance_unit: str = Field("km", description='"km" or "mi": how this account reads distances (stored values '
                                                 'and every *_km field stay kilometres).')


class LoginOut(CsrfOut):
    user: MeOut


class PainIn(_In):
    day: date
    timing: Literal["during", "after", "next_morning", "daily"]
    score: int = Field(ge=0, le=10)
    note: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64,
                                        description="Optional: the same key again stores nothing new (answer 200).")


class ExerciseIn(_In):
    day: date
    exercise_id: str = Field(max_length=80)
    sets: int | None = Field(default=None, ge=0, le=100)
    reps: int | None = Field(default=None, ge=0, le=1000)
    hold_s: float | None = Field(default=None, ge=0, le=3600)
    load_kg: float | None = Field(default=None, ge=0, le=1000)
    note: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64,
                                        description="Optional: the same key again stores nothing new (answer 200).")


class CreatedOut(BaseModel):
    id: int
    replayed: bool = Field(default=False, description="True when the idempotency key was seen before: nothing new stored.")
    deleted: bool = Field(default=False, description="True when that earlier entry was deleted since: nothing stored, "
                                                     "id is 0.")


class PlanOut(BaseModel):
    version: int
    plan: dict[str, Any]
    schedule: list[dict[str, Any]]


class FileOut(BaseModel):
    name: str
    ok: bool
    message: str
    added: int
    duplicates: int


class UploadOut(BaseModel):
    files: list[FileOut]


class RunOut(BaseModel):
    id: int
    start: str
    distance_km: float = Field(description="Kilometres, whatever the reader's unit (see /me distance_unit).")
    duration_s: float
    elevation_gain_m: float
    source_format: str = Field(description='"manual" for a run typed in by hand (it counts like an import).')
    race: bool = False


def _me(user: User) -> MeOut:
    return MeOut(id=user.id, email=user.email, display_name=user.display_name, role=user.role,
                 distance_unit=user.distance_unit)


@router.get("/csrf", response_model=CsrfOut, summary="Get the CSRF token for this session")
def get_csrf(request: Request) -> CsrfOut:
    return CsrfOut(csrf_token=csrf_token(request.session))


@router.post("/login", response_model=LoginOut, summary="Sign in; returns a new CSRF token")
def api_login(body: LoginIn, request: Request, db: Session = DB) -> LoginOut:
    try:
        user, error = authenticate(request, db, body.email, body.password)
    except Refused as exc:
        raise HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    if user is None:
        raise HTTPException(status_code=401, detail=error)
    start_session(request, db, user)
    return LoginOut(csrf_token=csrf_token(request.session), user=_me(user))


@router.post("/logout", status_code=204, summary="End the session")
def api_logout(request: Request, db: Session = DB) -> None:
    end_session(request, db)


@router.get("/me", response_model=MeOut)
def me(user: User = Depends(current_user)) -> MeOut:
    return _me(user)


@router.post("/profile", summary="Submit a full profile; returns the assessment (and stores profile, assessment, plan)")
def submit_profile(body: dict[str, Any], user: User = Depends(current_runner),
                   db: Session = DB) -> dict[str, Any]:
    try:
        profile = Profile.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=[
            {"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()
        ]) from None
    assessment = services.assess_and_store(db, user.id, profile, reason="api")
    return assessment.model_dump(mode="json")


@router.get("/users/{owner_id}/profile", summary="The runner's latest profile")
def get_profile(owner: User = Depends(viewable_owner), db: Session = DB) -> dict[str, Any]:
    profile = repo.latest_profile(db, owner.id)
    if profile is None:
        raise HTTPException(status_code=404, detail="No profile yet.")
    return profile.model_dump(mode="json")


@router.get("/users/{owner_id}/assessment", summary="The runner's latest assessment")
def get_assessment(owner: User = Depends(viewable_owner), db: Session = DB) -> dict[str, Any]:
    data = services.latest_assessment_json(db, owner.id)
    if data is None:
        raise HTTPException(status_code=404, detail="No assessment yet.")
    return data


@router.get("/users/{owner_id}/plan", response_model=PlanOut, summary="The current plan with its weekly schedule")
def get_plan(start: date | None = None, owner: User = Depends(viewable_owner),
             db: Session = DB) -> PlanOut:
    if start is not None and start.weekday() != 0:
        raise HTTPException(status_code=422, detail="start must be a Monday")
    view = services.plan_view(db, owner.id, start)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    version, plan, weeks, _start = view
    schedule = [
        {
            "week": w.week, "km": w.km, "long_run_km": w.long_run_km, "cutback": w.cutback,
            "phase": w.phase.id if w.phase else None,
            "days": [
                {"date": d.date.isoformat() if d.date else None, "weekday": d.name,
                 "run_km": d.run.km if d.run else None, "long_run": bool(d.run and d.run.long),
                 "exercises": [e.id for e in d.exercises]}
                for d in w.days
            ],
        }
        for w in weeks
    ]
    return PlanOut(version=version, plan=plan.model_dump(mode="json"), schedule=schedule)


@router.post("/runs", response_model=UploadOut, summary="Upload GPX/TCX/FIT files or zip exports (multipart 'files')")
def upload_runs(request: Request, files: list[UploadFile] = File(...),
                user: User = Depends(current_runner), db: Session = DB) -> UploadOut:
    """A plain ``def`` route: parsing and storing run on the thread pool, never on the event loop.

    The request's session (used only to find the user) is committed first, so
    the imports' own transactions are the request's only connection.
    """
    db.commit()
    if len(files) > services.MAX_UPLOAD_FILES:
        raise HTTPException(status_code=413, detail=f"At most {services.MAX_UPLOAD_FILES} files per request.")
    out = []
    for f in files:
        data = f.file.read(services.MAX_UPLOAD_BYTES + 1)
        r = services.import_upload(request.app.state.session_factory, user.id, f.filename or "", data)
        out.append(FileOut(**r.__dict__))
    return UploadOut(files=out)


@router.get("/users/{owner_id}/runs", response_model=list[RunOut], summary="The runner's runs, oldest first")
def list_runs(owner: User = Depends(viewable_owner), db: Session = DB) -> list[RunOut]:
    return [
        RunOut(id=r.id, start=r.start_time.isoformat(), distance_km=round(r.distance_m / 1000, 3),
               duration_s=r.duration_s, elevation_gain_m=r.elevation_gain_m, source_format=r.source_format,
               race=r.race)
        for r in repo.run_rows(db, owner.id)
    ]


@router.post("/pain", response_model=CreatedOut, status_code=201, summary="Log a pain score (0-10)")
def log_pain(body: PainIn, response: Response, user: User = Depends(current_runner), db: Session = DB) -> CreatedOut:
    try:
        logged = taps.log_pain(db, user.id, body.day, body.timing, body.score, note=body.note, key=body.idempotency_key)
    except taps.IdempotencyConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if logged.replayed:
        response.status_code = 200  # the same key again: the entry already stored, nothing new
    return CreatedOut(id=logged.id, replayed=logged.replayed, deleted=logged.deleted)


@router.post("/exercise", response_model=CreatedOut, status_code=201, summary="Log an exercise session")
def log_exercise(body: ExerciseIn, response: Response, user: User = Depends(current_runner),
                 db: Session = DB) -> CreatedOut:
    try:
        logged = taps.log_exercise(db, user.id, body.day, body.exercise_id, body.sets, body.reps, body.hold_s,
                                   body.load_kg, note=body.note, known_ids=frozenset(kb.exercise_names()),
                                   key=body.idempotency_key)
    except taps.IdempotencyConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if logged.replayed:
        response.status_code = 200
    return CreatedOut(id=logged.id, replayed=logged.replayed, deleted=logged.deleted)


# --------------------------------------------------------------------------- correcting the diary (issue 16)


class ExercisePatch(_In):
    """Only the fields sent change; ``null`` clears a dose, or the pain score."""

    day: date | None = None
    exercise_id: str | None = Field(default=None, max_length=80)
    sets: int | None = Field(default=None, ge=0, le=100)
    reps: int | None = Field(default=None, ge=0, le=1000)
    hold_s: float | None = Field(default=None, ge=0, le=3600)
    load_kg: float | None = Field(default=None, ge=0, le=1000)
    note: str | None = Field(default=None, max_length=500)
    status: Literal["done", "skipped"] | None = Field(default=None, description="'skipped' clears the pain score.")
    pain: int | None = Field(default=None, ge=0, le=10,
                             description="'Done, it hurt' score; its diary pain entry follows (null removes both).")


class PainPatch(_In):
    """Only the fields sent change."""

    day: date | None = None
    timing: Literal["during", "after", "next_morning", "daily"] | None = None
    score: int | None = Field(default=None, ge=0, le=10)
    note: str | None = Field(default=None, max_length=500)


class ExerciseEntryOut(BaseModel):
    id: int
    day: date
    exercise_id: str
    sets: int | None
    reps: int | None
    hold_s: float | None
    load_kg: float | None
    note: str
    status: str
    pain: int | None
    pain_id: int | None = Field(description="The diary pain entry of a 'Done, it hurt' tap.")
    edited: bool


class PainEntryOut(BaseModel):
    id: int
    day: date
    timing: str
    score: int
    note: str
    exercise_entry_id: int | None = Field(description="The 'Done, it hurt' tap this score belongs to, if any.")
    edited: bool


class DeletedOut(BaseModel):
    deleted: int
    pain_id: int | None = Field(default=None, description="The linked pain entry removed with it (or cleared).")


def _changes(body: BaseModel, *, not_null: tuple[str, ...]) -> dict[str, Any]:
    """The fields the client sent (``null`` included, where a field may be cleared)."""
    sent = {name: getattr(body, name) for name in body.model_fields_set}
    for name in not_null:
        if name in sent and sent[name] is None:
            raise HTTPException(status_code=422, detail=f"{name} cannot be empty; nothing was changed")
    return sent


def _diary_call(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except repo.NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"{exc}; nothing was changed") from None


def _exercise_out(db: Session, row: Any) -> ExerciseEntryOut:
    linked = taps.linked_pain(db, row)
    return ExerciseEntryOut(id=row.id, day=row.day, exercise_id=row.exercise_id, sets=row.sets, reps=row.reps,
                            hold_s=row.hold_s, load_kg=row.load_kg, note=row.note, status=row.status, pain=row.pain,
                            pain_id=None if linked is None else linked.id, edited=row.edited_at is not None)


def _pain_out(db: Session, row: Any) -> PainEntryOut:
    tap = diary_edit.tap_of_pain(db, row)
    return PainEntryOut(id=row.id, day=row.day, timing=row.timing, score=row.score, note=row.note,
                        exercise_entry_id=None if tap is None else tap.id, edited=row.edited_at is not None)


@router.patch("/exercise/{entry_id}", response_model=ExerciseEntryOut,
              summary="Correct a logged exercise (status, pain, dose, day); only the fields sent change")
def patch_exercise(entry_id: int, body: ExercisePatch, user: User = Depends(current_runner),
                   db: Session = DB) -> ExerciseEntryOut:
    sent = _changes(body, not_null=("day", "exercise_id", "note", "status"))
    _diary_call(lambda: diary_edit.edit_exercise(db, user.id, entry_id, known_ids=frozenset(kb.exercise_names()),
                                                 **sent))
    return _exercise_out(db, diary_edit.get_exercise(db, user.id, entry_id))


@router.delete("/exercise/{entry_id}", response_model=DeletedOut,
               summary="Delete a logged exercise (and the pain entry of a 'Done, it hurt' tap)")
def remove_exercise(entry_id: int, user: User = Depends(current_runner), db: Session = DB) -> DeletedOut:
    gone = _diary_call(lambda: diary_edit.delete_exercise(db, user.id, entry_id))
    return DeletedOut(deleted=gone.id, pain_id=gone.pain_id)


@router.patch("/pain/{entry_id}", response_model=PainEntryOut,
              summary="Correct a pain entry (score, timing, day, note); only the fields sent change")
def patch_pain(entry_id: int, body: PainPatch, user: User = Depends(current_runner), db: Session = DB) -> PainEntryOut:
    sent = _changes(body, not_null=("day", "timing", "score", "note"))
    _diary_call(lambda: diary_edit.edit_pain(db, user.id, entry_id, **sent))
    return _pain_out(db, diary_edit.get_pain(db, user.id, entry_id))


@router.delete("/pain/{entry_id}", response_model=DeletedOut, summary="Delete a pain entry")
def remove_pain(entry_id: int, user: User = Depends(current_runner), db: Session = DB) -> DeletedOut:
    gone = _diary_call(lambda: diary_edit.delete_pain(db, user.id, entry_id))
    return DeletedOut(deleted=gone.id)


@router.get("/users/{owner_id}/review", summary="The weekly review: reviewed plan week, decision, strength, warnings")
def get_review(owner: User = Depends(viewable_owner), user: User = Depends(current_user),
               db: Session = DB) -> dict[str, Any]:
    """The same document as ``kneecoach review -f json``: ``*_km`` numbers in km, sentences in the viewer's unit
    (``"unit"``), and for miles the distances again under ``*_mi`` keys."""
    view = services.review_view(db, owner.id, unit=user.distance_unit)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet, so nothing to review against.")
    out = {**view.review.as_json(), "disclaimer": view.disclaimer, "referral_reasons": view.referral_reasons}
    # Exercise sessions done of those prescribed, per week (issue 16; the same numbers as Today).
    out["adherence"] = taps.adherence_json(db, owner.id, date.today())
    return out


@router.post("/retest", status_code=201, summary="Store a re-test (all 13 Kujala answers and the self-tests); "
             "returns the new assessment and plan version")
def post_retest(body: dict[str, Any], user: User = Depends(current_runner), db: Session = DB) -> dict[str, Any]:
    from kneecoach.intake.load import ProfileError
    from kneecoach.store.loop import NoProfile, record_retest

    try:
        a, version = record_retest(db, user.id, body, kb.kb(), date.today())
    except ProfileError as exc:
        raise HTTPException(status_code=422, detail=exc.problems) from None
    except NoProfile as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return {"plan_version": version, "assessment": a.model_dump(mode="json")}


@router.get("/users/{owner_id}/progress", summary="Re-test due, trends, phase criteria, ladder proposals, cadence")
def get_progress(owner: User = Depends(viewable_owner), db: Session = DB) -> dict[str, Any]:
    prog, _ = services.progress_view(db, owner.id)
    if prog is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    from dataclasses import asdict

    out = _jsonable(asdict(prog))
    out["current_phase"] = prog.current_phase
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4) if value == value else None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
