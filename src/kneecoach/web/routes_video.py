"""Single-leg squat from a phone clip, on the web: upload per side, background analysis, results.

Pages: ``POST /selftests/video`` (upload), ``GET /selftests/video/{job}`` (progress, then key
frame and numbers), ``POST /selftests/video/{job}/apply`` (record in the profile, re-assess).
API: the same under ``/api/v1/selftests/video``. Jobs belong to the signed-in runner; any other
account gets 404. The clip is deleted once analysed, unless the runner ticked "keep my clip":
then it is stored in the database (``video_clips``), listed on the self-tests page, playable by
the runner and the clinicians they invited (``GET /u/{owner}/clips/{id}``), and deletable
(``POST /selftests/clips/{id}/delete``, ``DELETE /api/v1/clips/{id}``).

Uploads are checked before they are queued (a video by its bytes, 422 otherwise) and limited per
runner per hour (429 with ``Retry-After``); applying a result twice records it once; a kept clip is
served with the media type sniffed from its bytes, never the one the client sent (issue 19).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.models import User
from kneecoach.video.container import sniff_video_type
from kneecoach.web import services
from kneecoach.web import throttle as limits
from kneecoach.web.deps import DB, current_runner, viewable_owner
from kneecoach.web.templating import flash, render
from kneecoach.web.video_jobs import ClipRejected, ClipTooLarge, jobs_for

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
    out["keep"] = bool(st.get("keep"))
    out["clip_id"] = st.get("clip_id")
    if st.get("keep_error"):
        out["keep_error"] = st["keep_error"]
    if st.get("result"):
        out["images"] = {k: f"/selftests/video/{st['id']}/{k}.png" for k in st["result"].get("images", {})}
    return out


def _apply(db: Session, user: User, st: dict[str, Any]) -> dict[str, Any]:
    from kneecoach.intake.load import ProfileError, parse_profile
    from kneecoach.video.report import apply_to_profile_data

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


def _apply_once(request: Request, db: Session, user: User, job_id: str) -> tuple[dict[str, Any], bool]:
    """Record the result once: ``(values, True)`` the first time, ``(values, False)`` after that."""
    jobs = jobs_for(request.app)
    st = _job(request, user, job_id)
    if st["status"] != "done":
        raise HTTPException(status_code=409, detail="The analysis has not finished.")
    if st.get("applied") or not jobs.claim_apply(user.id, job_id):
        return st["result"]["profile_values"], False
    try:
        values = _apply(db, user, st)
    except BaseException:
        jobs.release_apply(user.id, job_id)
        raise
    jobs.mark_applied(user.id, job_id, db)
    return values, True


# ----------------------------------------------------------------------------- pages
class UploadRefused(Exception):
    """Too many clips this hour: ``retry_after`` seconds until the next is accepted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"You have uploaded {limits.VIDEO_UPLOADS.limit} clips in the last hour; "
                         f"try again in {retry_after // 60 + 1} minutes.")
        self.retry_after = retry_after


def _submit(request: Request, user: User, clip: UploadFile, side: str, keep: bool) -> str:
    """Count the upload (per runner per hour), check it is a video, queue it."""
    wait, _ticket = request.app.state.throttle.acquire(limits.video_upload_checks(user.id))
    if wait > 0:
        raise UploadRefused(wait)
    return jobs_for(request.app).submit(user.id, _side(side), clip.file, keep=keep,
                                        filename=clip.filename or "clip")


def _clip_meta(row: Any) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at.isoformat(), "side": row.side, "filename": row.filename,
            "content_type": _served_type(row), "size": row.size, "summary": row.summary,
            "url": f"/u/{row.owner_id}/clips/{row.id}"}


def _served_type(row: Any) -> str:
    """The media type a kept clip is served with: sniffed from its bytes (clips kept before issue 19
    stored the client's word), ``application/octet-stream`` when they are no known video."""
    return sniff_video_type(bytes(row.data[:64])) or "application/octet-stream"


def _clip_response(db: Session, owner_id: int, clip_id: int) -> Response:
    try:
        row = repo.get_video_clip(db, owner_id, clip_id)
    except repo.NotFound as exc:
        raise HTTPException(status_code=404, detail="No such clip.") from exc
    safe_name = "".join(c for c in row.filename if c.isalnum() or c in "._-")[:80] or "clip"
    return Response(row.data, media_type=_served_type(row),
                    headers={"Content-Disposition": f'inline; filename="{safe_name}"', "Cache-Control": "private, no-store",
                             "X-Content-Type-Options": "nosniff"})


def _delete_clip(db: Session, user: User, clip_id: int) -> None:
    try:
        repo.delete_video_clip(db, user.id, clip_id)
    except repo.NotFound as exc:
        raise HTTPException(status_code=404, detail="No such clip.") from exc


@router.post("/selftests/video")
def upload_page(request: Request, clip: UploadFile = File(...), side: str = Form("auto"),
                keep: bool = Form(False), user: User = Depends(current_runner)) -> Response:
    try:
        job_id = _submit(request, user, clip, side, keep)
    except (ClipTooLarge, ClipRejected, UploadRefused) as exc:
        flash(request, f"Not uploaded: {exc.problem if isinstance(exc, ClipRejected) else exc}", "warn")
        return RedirectResponse("/selftests#squat-video", status_code=303)
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


@router.get("/u/{owner_id}/clips/{clip_id}")
def clip_page(clip_id: int, owner: User = Depends(viewable_owner), db: Session = DB) -> Response:
    """A kept clip, for the runner and the clinicians they invited (404 for anyone else)."""
    return _clip_response(db, owner.id, clip_id)


@router.post("/selftests/clips/{clip_id}/delete")
def delete_clip_page(request: Request, clip_id: int, user: User = Depends(current_runner), db: Session = DB) -> Response:
    _delete_clip(db, user, clip_id)
    flash(request, "The clip is deleted.")
    return RedirectResponse("/selftests#squat-video", status_code=303)


@router.post("/selftests/video/{job_id}/apply")
def apply_page(request: Request, job_id: str, user: User = Depends(current_runner), db: Session = DB) -> Response:
    values, first = _apply_once(request, db, user, job_id)
    if first:
        flash(request, f"Recorded the single-leg squat angle ({', '.join(values)}); results recalculated.")
    else:
        flash(request, "This result is already recorded in your self-tests; nothing changed.")
    return RedirectResponse(f"/u/{user.id}/results", status_code=303)


# ----------------------------------------------------------------------------- API
@api.post("/selftests/video", status_code=202, summary="Upload a single-leg squat clip; analysed in the background")
def upload_api(request: Request, clip: UploadFile = File(...), side: str = Form("auto"),
               keep: bool = Form(False, description="Keep the clip after the analysis (default: deleted)"),
               user: User = Depends(current_runner)) -> JSONResponse:
    try:
        job_id = _submit(request, user, clip, side, keep)
    except ClipTooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    except ClipRejected as exc:
        raise HTTPException(status_code=422, detail={"code": exc.code, "message": exc.problem}) from exc
    except UploadRefused as exc:
        raise HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    return JSONResponse({"id": job_id, "status_url": f"/api/v1/selftests/video/{job_id}"}, status_code=202)


@api.get("/selftests/video/{job_id}", summary="State of a video analysis: progress, then results or the quality problem")
def job_api(request: Request, job_id: str, user: User = Depends(current_runner)) -> dict[str, Any]:
    return _public(_job(request, user, job_id))


@api.post("/selftests/video/{job_id}/apply", summary="Record the measured angle in the profile and re-assess")
def apply_api(request: Request, job_id: str, user: User = Depends(current_runner), db: Session = DB) -> dict[str, Any]:
    values, first = _apply_once(request, db, user, job_id)
    return {"recorded": values, "already_applied": not first}


@api.get("/users/{owner_id}/clips", summary="The runner's kept single-leg squat clips (metadata; none unless asked to keep)")
def clips_api(owner: User = Depends(viewable_owner), db: Session = DB) -> list[dict[str, Any]]:
    return [_clip_meta(row) for row in repo.list_video_clips(db, owner.id)]


@api.get("/users/{owner_id}/clips/{clip_id}", summary="One kept clip (the video bytes)")
def clip_api(clip_id: int, owner: User = Depends(viewable_owner), db: Session = DB) -> Response:
    return _clip_response(db, owner.id, clip_id)


@api.delete("/clips/{clip_id}", summary="Delete one of your kept clips")
def delete_clip_api(clip_id: int, user: User = Depends(current_runner), db: Session = DB) -> dict[str, Any]:
    _delete_clip(db, user, clip_id)
    return {"deleted": clip_id}
