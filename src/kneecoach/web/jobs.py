"""Uploads as background jobs: submit, wait briefly, show progress and the per-file outcome.

An upload request stores each file as a job (``kneecoach.store.jobs``) and
returns; this process's :class:`~kneecoach.store.jobs.JobWorker` imports it.
Small files finish within :data:`INLINE_WAIT_S`, so the page can show their
result at once as before; a big archive shows a progress page that refreshes
itself until the job is done. Because the job lives in the database, any
worker process can show it, and a restart re-runs it (importing is
idempotent: runs are de-duplicated by fingerprint, one transaction each).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.store import jobs
from kneecoach.store.db import transaction
from kneecoach.store.models import Job
from kneecoach.web import services

__all__ = ["IMPORT_KIND", "INLINE_WAIT_S", "job_view", "submit_upload", "wait_for", "worker_for"]

IMPORT_KIND = "import"
#: How long an upload request waits for its jobs before answering with progress pages.
INLINE_WAIT_S = 2.0


@jobs.register(IMPORT_KIND)
def _import_handler(ctx: jobs.JobContext) -> dict[str, Any]:
    """Import one uploaded file or zip; the result is the per-file outcome the page shows."""
    name = str(ctx.params.get("name") or "upload")
    ctx.progress(0, None)
    res = services.import_upload(ctx.factory, ctx.owner_id, name, ctx.input or b"", on_progress=ctx.progress)
    return {"name": res.name, "ok": res.ok, "message": res.message, "added": res.added,
            "duplicates": res.duplicates}


def worker_for(app: FastAPI) -> jobs.JobWorker:
    """This process's job worker (created and started on first use)."""
    worker: jobs.JobWorker | None = getattr(app.state, "job_worker", None)
    if worker is None:
        factory: sessionmaker[Session] = app.state.session_factory
        single = factory.kw["bind"].dialect.name == "sqlite"
        worker = jobs.JobWorker(factory, single_process=single)
        app.state.job_worker = worker
    worker.start()
    return worker


def submit_upload(app: FastAPI, owner_id: int, name: str, data: bytes) -> tuple[int, bool] | services.FileResult:
    """Queue one uploaded file; returns ``(job id, created)``, or a FileResult for a file refused outright.

    The same bytes uploaded again by the same runner return the first job
    (its result says what was imported then), so nothing is imported twice.
    """
    safe = services.safe_upload_name(name)
    if not data:
        return services.FileResult(safe, False, "The file is empty.")
    if len(data) > services.MAX_UPLOAD_BYTES:
        return services.FileResult(safe, False,
                                   f"The file is larger than {services.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    key = hashlib.sha256(data).hexdigest()
    with transaction(app.state.session_factory) as s:
        job, created = jobs.enqueue(s, owner_id, IMPORT_KIND, params={"name": safe}, input=data, dedupe_key=key)
        job_id = job.id
    worker_for(app).notify()
    return job_id, created


def wait_for(app: FastAPI, owner_id: int, job_ids: list[int], timeout_s: float = INLINE_WAIT_S) -> None:
    """Block until the jobs have ended or ``timeout_s`` passed (for the upload page's first answer)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with transaction(app.state.session_factory) as s:
            open_ = [j for j in (jobs.get_job(s, owner_id, i) for i in job_ids)
                     if j is not None and j.status in ("queued", "running")]
        if not open_:
            return
        time.sleep(0.05)


def job_view(job: Job) -> dict[str, Any]:
    """What pages and the API show of a job (never its input bytes)."""
    name = str((job.params or {}).get("name") or "")
    return {
        "id": job.id, "kind": job.kind, "name": name, "status": job.status,
        "progress": job.progress, "total": job.total, "result": job.result, "error": job.error,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def as_file_result(job: Job, *, repeat: bool = False) -> services.FileResult | None:
    """A finished import job as the upload page's per-file line (None while still running).

    ``repeat``: the runner uploaded the same bytes again and got this earlier
    job back; nothing new was added, and the line says so.
    """
    view = job_view(job)
    if job.status == "done" and job.result:
        r = job.result
        name = str(r.get("name") or view["name"])
        if repeat:
            return services.FileResult(name, True, f"Already uploaded (import #{job.id}); nothing new added. "
                                       f"Then: {r.get('message', '')}", 0, 0)
        return services.FileResult(name, bool(r.get("ok")), str(r.get("message", "")),
                                   int(r.get("added", 0)), int(r.get("duplicates", 0)))
    if job.status == "failed":
        return services.FileResult(view["name"], False, job.error or "The import failed; nothing was stored.")
    return None
