"""The clinician's workspace (issue 17): plan changes, the caseload, a runner's timeline.

Reading goes through :func:`~kneecoach.web.deps.viewable_owner` (404 unless linked, access logged);
every change route through :func:`~kneecoach.web.deps.changeable_owner` (also 403 without the
runner's consent to changes). Changes are checked by :mod:`kneecoach.plan.changes` and stored as
plan versions by :mod:`kneecoach.store.plan_versions`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.datastructures import FormData
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kneecoach.plan.changes import KINDS, ChangeError, ChangeRequest, GateBlocked, make_change
from kneecoach.store import care, plan_versions
from kneecoach.store.models import User
from kneecoach.store.repo import NotFound
from kneecoach.web import kb, services
from kneecoach.web.deps import DB, FORM, changeable_owner, current_user, viewable_owner
from kneecoach.web.templating import flash, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"])


def _finding_ids(db: Session, owner_id: int) -> set[str]:
    data = services.latest_assessment_json(db, owner_id) or {}
    return {f.get("id") for f in data.get("findings", []) if isinstance(f, dict) and f.get("id")}


def search_exercises(q: str, limit: int = 12) -> list[Any]:
    """Knowledge-base exercises whose name, id, phase or targets contain every word of ``q``."""
    words = [w for w in q.lower().split() if w]
    found = []
    for ex in kb.kb().exercises.values():
        hay = " ".join([ex.id, ex.name, ex.phase, *ex.targets]).lower().replace("_", " ")
        if all(w in hay for w in words):
            found.append(ex)
    return found[:limit]


def _change_context(db: Session, owner: User, user: User, q: str = "", error: str | None = None,
                    blocked: list[str] | None = None, values: dict | None = None) -> dict:
    try:
        current, _base = plan_versions.current_and_base(db, owner.id)
    except NotFound:
        current = None
    in_plan = {e.id for p in current.phases for e in p.exercises} if current else set()
    finding_ids = _finding_ids(db, owner.id)
    results = [(ex, plan_gates(current, ex.id, finding_ids)) for ex in search_exercises(q)] if current else []
    return {
        "owner": owner, "read_only": True, "plan": current, "q": q, "results": results, "in_plan": in_plan,
        "consent": (consent := care.can_change(db, user.id, owner.id)), "can_change": consent, "error": error, "blocked": blocked or [],
        "values": values or {}, "versions": plan_versions.history(db, owner.id),
    }


def plan_gates(plan: Any, exercise_id: str, finding_ids: set[str]) -> list[str]:
    from kneecoach.plan.changes import gate_reasons

    return gate_reasons(kb.kb(), plan, finding_ids, exercise_id)


@router.get("/u/{owner_id}/plan/change")
def change_page(request: Request, q: str = "", owner: User = Depends(viewable_owner),
                user: User = Depends(current_user), db: Session = DB) -> Response:
    """The clinician's plan editor: the plan's exercises, a knowledge-base search with figures, the changes."""
    if user.role != "clinician":
        return RedirectResponse(f"/u/{owner.id}/plan", status_code=303)
    return render(request, "plan_change.html", _change_context(db, owner, user, q[:100]))


def _opt_int(values: dict, key: str) -> int | None:
    raw = str(values.get(key, "") or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ChangeError(f"{key.replace('_', ' ')}: enter a whole number.") from None


def _opt_float(values: dict, key: str) -> float | None:
    raw = str(values.get(key, "") or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ChangeError(f"{key.replace('_', ' ')}: enter a number.") from None


def _request_from(values: dict, unit: str = "km") -> ChangeRequest:
    """The form as a change request; a weekly cap typed in ``unit`` (the clinician's) becomes km, unrounded."""
    from kneecoach.intake.units import to_km

    cap = _opt_float(values, "km")
    return ChangeRequest(
        kind=str(values.get("kind", "")), reason=str(values.get("reason", "")),
        exercise_id=str(values.get("exercise_id", "") or "") or None, phase_id=str(values.get("phase_id", "") or "") or None,
        sets=_opt_int(values, "sets"), reps=_opt_int(values, "reps"), hold_s=_opt_int(values, "hold_s"),
        days_per_week=_opt_int(values, "days_per_week"), km=None if cap is None else to_km(cap, unit), unit=unit,
        text=str(values.get("text", "") or "") or None,
        override_reason=str(values.get("override_reason", "") or "") or None,
    )


def apply_request(db: Session, owner: User, user: User, values: dict, unit: str = "km") -> Any:
    """Check and store one change; returns the new plan record. Raises ChangeError / NotFound.

    ``unit``: what a weekly cap was typed in (the page: the clinician's unit; the API: km, as its field says).
    """
    current, _base = plan_versions.current_and_base(db, owner.id)
    change = make_change(_request_from(values, unit), current, kb.kb(), _finding_ids(db, owner.id),
                         author_id=user.id, author_name=user.display_name)
    return plan_versions.add_change(db, owner.id, user, change)


@router.post("/u/{owner_id}/plan/changes")
def change_post(request: Request, form: FormData = FORM, owner: User = Depends(changeable_owner), user: User = Depends(current_user),
                      db: Session = DB) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        rec = apply_request(db, owner, user, values, user.distance_unit)  # typed in the clinician's unit
    except GateBlocked as exc:
        return render(request, "plan_change.html", _change_context(db, owner, user, values.get("q", ""), str(exc),
                                                                   exc.reasons, values), status_code=400)
    except (ChangeError, NotFound) as exc:
        return render(request, "plan_change.html", _change_context(db, owner, user, values.get("q", ""), str(exc),
                                                                   values=values), status_code=400)
    flash(request, f"Saved as plan version {rec.version}. {owner.display_name} sees the change and your reason.")
    return RedirectResponse(f"/u/{owner.id}/plan/change", status_code=303)


@router.post("/u/{owner_id}/plan/changes/{change_id}/release")
def release_post(change_id: str, request: Request, form: FormData = FORM, owner: User = Depends(changeable_owner),
                       user: User = Depends(current_user), db: Session = DB) -> Response:
    try:
        rec = plan_versions.release_change(db, owner.id, user, change_id[:40], str(form.get("reason", "")))
    except NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except ChangeError as exc:
        return render(request, "plan_change.html", _change_context(db, owner, user, error=str(exc)), status_code=400)
    flash(request, f"Released; plan version {rec.version} follows kneecoach's plan again for that part.")
    return RedirectResponse(f"/u/{owner.id}/plan/change", status_code=303)


# --------------------------------------------------------------------------- API


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="One of: " + ", ".join(KINDS))
    reason: str = Field(min_length=1, max_length=1000)
    exercise_id: str | None = Field(default=None, max_length=80)
    phase_id: str | None = Field(default=None, max_length=80)
    sets: int | None = None
    reps: int | None = None
    hold_s: int | None = None
    days_per_week: int | None = None
    km: float | None = None
    text: str | None = Field(default=None, max_length=1000)
    override_reason: str | None = Field(default=None, max_length=1000,
                                        description="Needed to add an exercise a contraindication gate rules out.")


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class VersionOut(BaseModel):
    version: int
    created_at: str
    author: str = Field(description="'kneecoach' or the clinician's name.")
    author_id: int | None
    reason: str


def _version_out(r: Any) -> VersionOut:
    return VersionOut(version=r.version, created_at=r.created_at.isoformat(), author=r.author_name or "kneecoach",
                      author_id=r.author_id, reason=r.reason)


@api.post("/users/{owner_id}/plan/changes", status_code=201, summary="Change the runner's plan (needs their consent)")
def change_api(body: ChangeIn, owner: User = Depends(changeable_owner), user: User = Depends(current_user),
               db: Session = DB) -> dict[str, Any]:
    try:
        rec = apply_request(db, owner, user, body.model_dump())
    except GateBlocked as exc:
        raise HTTPException(status_code=409, detail={"message": str(exc), "gates": exc.reasons}) from None
    except (ChangeError, NotFound) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    change = rec.data["clinician_changes"][-1]
    return {"version": rec.version, "change": change}


@api.post("/users/{owner_id}/plan/changes/{change_id}/release", status_code=201,
          summary="Release a change: kneecoach's plan applies again for that part")
def release_api(change_id: str, body: ReleaseIn, owner: User = Depends(changeable_owner),
                user: User = Depends(current_user), db: Session = DB) -> dict[str, Any]:
    try:
        rec = plan_versions.release_change(db, owner.id, user, change_id[:40], body.reason)
    except NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except ChangeError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"version": rec.version}


@api.get("/users/{owner_id}/plan/versions", response_model=list[VersionOut],
         summary="Every plan version, newest first, with its author and reason")
def versions_api(owner: User = Depends(viewable_owner), db: Session = DB) -> list[VersionOut]:
    return [_version_out(r) for r in plan_versions.history(db, owner.id)]


# --------------------------------------------------------------------------- timeline


@router.get("/u/{owner_id}/timeline")
def timeline_page(request: Request, weeks: int = 12, owner: User = Depends(viewable_owner),
                  user: User = Depends(current_user), db: Session = DB) -> Response:
    """One page per runner: the charts, then pain, load, sessions, re-tests, plan versions and notes by day."""
    from datetime import timedelta

    from kneecoach.store.timeline import timeline

    weeks = min(max(weeks, 1), 104)
    unit = user.distance_unit  # the viewer's unit (issue 16)
    review = services.review_view(db, owner.id, unit=unit)
    _prog, progress_svg = services.progress_view(db, owner.id, unit=unit)
    assessment = services.latest_assessment_json(db, owner.id) or {}
    return render(request, "timeline.html", {
        "owner": owner, "read_only": user.id != owner.id, "weeks": weeks,
        "events": timeline(db, owner.id, date.today() - timedelta(weeks=weeks), unit=unit),
        "review_svg": review.svg if review else "", "progress_svg": progress_svg,
        "referral": assessment.get("referral"),
    })


# --------------------------------------------------------------------------- caseload


def caseload_rows(db: Session, user: User, sort: str = "need", only: str | None = None,
                  route: str = "/home") -> list[Any]:
    """The clinician's runners ranked by need (see :mod:`kneecoach.tracking.caseload`).

    Showing the numbers beside each name reads every listed runner's data, so each gets an
    access-log row ("caseload"), written in one statement.
    """
    from kneecoach.knowledge.caseload_rules import load_caseload_rules
    from kneecoach.store.caseload import caseload_facts
    from kneecoach.tracking.caseload import rank

    facts = caseload_facts(db, user.id, date.today(), kb.kb())
    care.log_access_many(db, [f.runner_id for f in facts], user, "caseload", route)
    return rank(facts, load_caseload_rules(), kb.kb().rules, sort=sort, only=only)


def caseload_context(request: Request, db: Session, user: User) -> dict[str, Any]:
    from kneecoach.knowledge.caseload_rules import load_caseload_rules
    from kneecoach.tracking.caseload import SORTS

    sort = request.query_params.get("sort", "need")
    sort = sort if sort in SORTS else "need"
    rules = load_caseload_rules()
    only = request.query_params.get("only") or None
    if only not in {"attention", *(r.id for r in rules)}:
        only = None
    return {"rows": caseload_rows(db, user, sort, only, request.url.path), "sort": sort, "only": only, "sorts": SORTS,
            "rules": rules, "code_error": None}


class CaseOut(BaseModel):
    runner_id: int
    name: str
    score: int
    reasons: list[dict[str, str]]
    facts: dict[str, Any]


@api.get("/caseload", response_model=list[CaseOut],
         summary="The clinician's runners ranked by need, with reasons and numbers (sort, only)")
def caseload_api(request: Request, user: User = Depends(current_user), db: Session = DB) -> list[CaseOut]:
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="The caseload is for clinicians/coaches.")
    ctx = caseload_context(request, db, user)
    return [CaseOut(runner_id=r.facts.runner_id, name=r.facts.name, score=r.score,
                    reasons=[{"rule": rid, "text": text} for rid, text in r.reasons],
                    facts=r.facts.model_dump(exclude={"runner_id", "name"})) for r in ctx["rows"]]


__all__ = ["api", "caseload_context", "router", "search_exercises"]
