"""Single-leg squat from a phone clip, on the web: upload per side, background analysis, results.

Pages: ``POST /selftests/video`` (upload), ``GET /selftests/video/{job}`` (progress, then key
frame and numbers), ``POST /selftests/video/{job}/apply`` (record in the profile, re-assess).
API: the same under ``/api/v1/selftests/video``. Jobs belong to the signed-in runner; any other
account gets 404. The clip is deleted once analysed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.models import User
from kneecoach.web import services
from kneecoach.web.deps import DB, current_runner
from kneecoach.web.templating import flash, render
from kneecoach.web.video_jobs import ClipTooLarge, jobs_for

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"])


def _side(value: str | None) -> str | None:
    if value in (None, "", "auto"):
        return None
    if value not in ("left", "right"):
        raise HTTPException(status_code=422, detail="side must be left, right or auto")
    return value


def _job(request: Request, user: User, job_id: str) -> dict[str, Any]:
    st = jobs_for(request.app).state(user.id, job_id)
    if st is None:
        raise HTTPException(status_code=404, detail="No such analysis.")
    return st


def _public(st: dict[str, Any]) -> dict[str, Any]:
    out = {k: st[k] for k in ("id", "side", "status", "progress", "result", "error", "error_code", "applied")}
    if st.get("result"):
        out["images"] = {k: f"/selftests/video/{st['id']}/{k}.png" for k in st["result"].get("images", {})}
    return out


def _apply(db: Session, user: User, st: dict[str, Any]) -> dict[str, Any]:
    from kneecoach.intake.load import ProfileError, parse_profile
    from kneecoach.video.report import apply_to_profile_data

    if st["status"] != "done":
        raise HTTPException(status_code=409, detail="The analysis has not finished.")
    base = repo.latest_profile(db, user.id)
    if base is None:
        raise HTTPException(status_code=409, detail="Fill in the intake first.")
    data = apply_to_profile_data(base.model_dump(mode="json"), st["result"]["profile_values"])
    try:
        profile = parse_profile(data, "video self-test")
    except ProfileError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    services.assess_and_store(db, user.id, profile, reason="self-tests (video)")
    return st["result"]["profile_values"]


# ----------------------------------------------------------------------------- pages
@router.post("/selftests/video")
async def upload_page(request: Request, clip: UploadFile = File(...), side: str = Form("auto"),
                      user: User = Depends(current_runner)) -> Response:
    try:
        job_id = jobs_for(request.app).submit(user.id, _side(side), clip.file)
    except ClipTooLarge as exc:
        flash(request, str(exc), "warn")
        return RedirectResponse("/selftests", status_code=303)
    return RedirectResponse(f"/selftests/video/{job_id}", status_code=303)


@router.get("/selftests/video/{job_id}")
def job_page(request: Request, job_id: str, user: User = Depends(current_runner)) -> Response:
    st = _job(request, user, job_id)
    return render(request, "video_job.html", {"job": _public(st)})


@router.get("/selftests/video/{job_id}/{name}.png")
def job_image(request: Request, job_id: str, name: str, user: User = Depends(current_runner)) -> Response:
    path = jobs_for(request.app).image(user.id, job_id, name)
    if path is None:
        raise HTTPException(status_code=404, detail="No such picture.")
    return FileResponse(path, media_type="image/png")


@router.post("/selftests/video/{job_id}/apply")
def apply_page(request: Request, job_id: str, user: User = Depends(current_runner), db: Session = DB) -> Response:
    st = _job(request, user, job_id)
    values = _apply(db, user, st)
    jobs_for(request.app).mark_applied(user.id, job_id)
    flash(request, f"Recorded the single-leg squat angle ({', '.join(values)}); results recalculated.")
    return RedirectResponse(f"/u/{user.id}/results", status_code=303)


# ----------------------------------------------------------------------------- API
@api.post("/selftests/video", status_code=202, summary="Upload a single-leg squat clip; analysed in the background")
async def upload_api(request: Request, clip: UploadFile = File(...), side: str = Form("auto"),
                     user: User = Depends(current_runner)) -> JSONResponse:
    try:
        job_id = jobs_for(request.app).submit(user.id, _side(side), clip.file)
    except ClipTooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    return JSONResponse({"id": job_id, "status_url": f"/api/v1/selftests/video/{job_id}"}, status_code=202)


@api.get("/selftests/video/{job_id}", summary="State of a video analysis: progress, then results or the quality problem")
def job_api(request: Request, job_id: str, user: User = Depends(current_runner)) -> dict[str, Any]:
    return _public(_job(request, user, job_id))


@api.post("/selftests/video/{job_id}/apply", summary="Record the measured angle in the profile and re-assess")
def apply_api(request: Request, job_id: str, user: User = Depends(current_runner), db: Session = DB) -> dict[str, Any]:
    values = _apply(db, user, _job(request, user, job_id))
    jobs_for(request.app).mark_applied(user.id, job_id)
    return {"recorded": values}
