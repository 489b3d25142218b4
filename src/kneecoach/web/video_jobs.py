"""Single-leg squat video analysis in the background (issue 9), on the database ``jobs`` table.

Why the database (issue 18): the job's state (queued, running with progress, done with the report,
failed with the reason) is a row of :class:`kneecoach.store.models.Job` (``kind="video"``), so any
web worker process on any host answers a status request, a second worker can take queued clips
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, via :func:`kneecoach.store.jobs.claim_next`),
and a restart re-queues a job left running (the import :class:`~kneecoach.store.jobs.JobWorker`
recovers every kind at start; after :data:`~kneecoach.store.jobs.MAX_ATTEMPTS` it fails cleanly).
The files (the clip while it is analysed, then the key-frame pictures) live in one storage folder,
``$KNEECOACH_VIDEO_DIR`` or the data folder's ``video-jobs/`` (0700), one random-named folder per
job; several hosts must share it (docs/deployment.md).

Video jobs run on their own thread (:meth:`VideoJobs.start`), not on the import worker, so a
minute of analysis never holds up a watch-file import; the import worker never claims them (no
``video`` handler is registered with :func:`kneecoach.store.jobs.register`).

The uploaded clip is deleted once analysed, success or not, unless the runner ticked "keep my
clip": then, once the analysis succeeded, it is handed to the :data:`Keeper` (the web app stores it
in ``video_clips``, owned by the runner). Nothing identifying is logged.

Security (issue 19): an upload is checked before it is queued (:func:`kneecoach.video.container.check_clip`:
the first bytes, then OpenCV's open where installed), and the kept clip's media type is the sniffed
one, never the client's. Erasing an account calls :meth:`VideoJobs.forget_owner` (the owner's
folders are renamed aside and deleted; the rows go with the account): a job still running finds its
row or folder gone, keeps nothing and writes nothing back, and the foreign key refuses a clip for a
person who no longer exists.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.store import jobs as store_jobs
from kneecoach.store.db import transaction
from kneecoach.store.models import Job
from kneecoach.video.container import ClipRejected, check_clip
from kneecoach.video.quality import MAX_CLIP_BYTES, VideoQualityError

log = logging.getLogger(__name__)

ENV_VIDEO_DIR = "KNEECOACH_VIDEO_DIR"
KIND = "video"
IMAGE_NAMES = ("chart", "key_left", "key_right")
JOB_TTL_S = 24 * 3600
#: How often the video thread looks for queued clips when nobody woke it.
POLL_S = 1.0

#: (clip path, side or None, output folder, progress callback) -> report JSON (VideoReport.to_json()).
Analyser = Callable[[Path, str | None, Path, Callable[[float], None]], dict[str, Any]]

#: (owner id, side, file name, content type, clip path, report JSON) -> id of the kept clip.
Keeper = Callable[[int, "str | None", str, str, Path, dict[str, Any]], int]

#: Path -> media type; raises :class:`ClipRejected` for what is not a readable video.
Probe = Callable[[Path], str]

__all__ = ["KIND", "ClipRejected", "ClipTooLarge", "VideoJobs", "database_keeper", "jobs_for"]


class ClipTooLarge(ValueError):
    pass


def default_analyser(clip: Path, side: str | None, out_dir: Path, progress: Callable[[float], None]) -> dict[str, Any]:
    from kneecoach.assessment.kb import load_kb
    from kneecoach.video.report import analyse_clip

    return analyse_clip(clip, load_kb(), side=side, out_dir=out_dir, progress=progress).to_json()


def default_folder() -> Path:
    env = os.environ.get(ENV_VIDEO_DIR)
    if env:
        return Path(env)
    from kneecoach.web.security import data_dir

    return data_dir() / "video-jobs"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _job_id(job_id: str) -> int | None:
    return int(job_id) if job_id.isdigit() and len(job_id) < 18 else None


class VideoJobs:
    """Queue, run and report video analyses; every read is checked against the owner.

    ``factory`` (the app's session factory) may be given later with :meth:`bind`, which is what
    :func:`jobs_for` does, so tests can build one with a fake analyser before the app is known.
    """

    def __init__(self, folder: Path, analyser: Analyser | None = None, workers: int = 1,
                 keeper: Keeper | None = None, probe: Probe | None = None,
                 factory: sessionmaker[Session] | None = None) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.analyser = analyser or default_analyser
        self.keeper = keeper
        self.probe = probe or check_clip
        self.factory = factory
        self.name = f"video-{socket.gethostname()[:24]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def bind(self, factory: sessionmaker[Session]) -> None:
        if self.factory is None:
            self.factory = factory

    def _factory(self) -> sessionmaker[Session]:
        if self.factory is None:
            raise RuntimeError("VideoJobs has no database: call bind(session_factory) first")
        return self.factory

    # ------------------------------------------------------------------ reading
    def _dir(self, job: Job) -> Path:
        name = str((job.params or {}).get("dir") or "")
        if not name.isalnum():
            raise KeyError(job.id)
        return self.folder / name

    @staticmethod
    def _view(job: Job) -> dict[str, Any]:
        params, outcome = job.params or {}, job.result or {}
        status = job.status if job.status in ("queued", "running", "done", "failed") else "failed"
        st = {"id": str(job.id), "owner_id": job.owner_id, "side": params.get("side"), "status": status,
              "progress": round((job.progress or 0) / 100, 3), "result": outcome.get("report"),
              "error": job.error, "error_code": outcome.get("error_code"),
              "applied": bool(params.get("applied")), "keep": bool(params.get("keep")),
              "clip_id": outcome.get("clip_id"), "filename": params.get("filename"),
              "content_type": params.get("content_type")}
        if outcome.get("keep_error"):
            st["keep_error"] = outcome["keep_error"]
        return st

    def _job(self, s: Session, owner_id: int, job_id: str) -> Job | None:
        number = _job_id(job_id)
        job = store_jobs.get_job(s, owner_id, number) if number is not None else None
        return job if job is not None and job.kind == KIND else None

    def state(self, owner_id: int, job_id: str) -> dict[str, Any] | None:
        """The job's state for its owner; None for anyone else (no hint that it exists)."""
        with transaction(self._factory()) as s:
            job = self._job(s, owner_id, job_id)
            return self._view(job) if job is not None else None

    def image(self, owner_id: int, job_id: str, name: str) -> Path | None:
        with transaction(self._factory()) as s:
            job = self._job(s, owner_id, job_id)
            if job is None or name not in IMAGE_NAMES or job.status != "done":
                return None
            path = self._dir(job) / f"{name}.png"
        return path if path.is_file() else None

    # ------------------------------------------------------------------ queueing
    def submit(self, owner_id: int, side: str | None, upload: BinaryIO, *, keep: bool = False,
               filename: str = "clip") -> str:
        """Store the clip in its own folder, check it, queue it; returns the job id.

        Raises :class:`ClipTooLarge` or :class:`ClipRejected` (nothing is kept or queued then). The
        media type stored with the job is the probe's, from the bytes.
        """
        if side not in (None, "left", "right"):
            raise ValueError("side must be left or right")
        if keep and self.keeper is None:
            raise ValueError("this server cannot keep clips (no keeper configured)")
        factory = self._factory()
        self._sweep()
        name = secrets.token_hex(16)
        d = self.folder / name
        d.mkdir(mode=0o700)
        clip = d / "clip"
        try:
            size = 0
            with clip.open("wb") as fh:
                while chunk := upload.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_CLIP_BYTES:
                        raise ClipTooLarge(f"The clip is larger than {MAX_CLIP_BYTES // 2**20} MB.")
                    fh.write(chunk)
            media = self.probe(clip)  # the bytes decide, not the name or the client's Content-Type
            params = {"dir": name, "side": side, "keep": keep, "filename": filename, "content_type": media,
                      "applied": False}
            with transaction(factory) as s:
                job, _created = store_jobs.enqueue(s, owner_id, KIND, params=params)
                job_id = job.id
        except BaseException:
            shutil.rmtree(d, ignore_errors=True)
            raise
        self.start()
        self._wake.set()
        return str(job_id)

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Start this process's video thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="kneecoach-video", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.run_next():
                    pass
            except Exception:  # noqa: BLE001 - database hiccup: keep the thread alive
                log.exception("video jobs: error while polling")
            self._wake.wait(POLL_S)
            self._wake.clear()

    def run_next(self) -> bool:
        """Claim and analyse one queued clip; False when there was none."""
        self._idle.clear()
        try:
            job = store_jobs.claim_next(self._factory(), self.name, [KIND])
            if job is None:
                return False
            self._run(job)
            return True
        finally:
            self._idle.set()

    def _finish(self, job_id: int, *, outcome: dict[str, Any], error: str | None) -> None:
        with transaction(self._factory()) as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(
                status="failed" if error else "done", result=outcome, error=error, progress=100 if not error else Job.progress,
                total=100, finished_at=_now(), heartbeat_at=_now()))

    def _exists(self, job_id: int) -> bool:
        with transaction(self._factory()) as s:
            return s.scalar(select(Job.id).where(Job.id == job_id)) is not None

    def _run(self, job: Job) -> None:
        try:
            d = self._dir(job)
        except KeyError:
            self._finish(job.id, outcome={"error_code": "internal"}, error="The analysis failed (no clip).")
            return
        params = dict(job.params or {})
        clip, out = d / "clip", d / "out"
        if not clip.is_file():
            self._finish(job.id, outcome={"error_code": "internal"},
                         error="The clip is no longer there (removed, or stored on another host); upload it again.")
            return
        last = [0.0]
        factory = self._factory()

        def progress(x: float) -> None:
            if x - last[0] >= 0.05 or x >= 1.0:
                last[0] = x
                with transaction(factory) as s:
                    s.execute(update(Job).where(Job.id == job.id, Job.status == "running")
                              .values(progress=int(round(min(max(x, 0.0), 1.0) * 100)), total=100, heartbeat_at=_now()))

        try:
            out.mkdir(exist_ok=True)
            report = self.analyser(clip, params.get("side"), out, progress)
            images = {}
            for key, path in (report.get("images") or {}).items():
                if key in IMAGE_NAMES and Path(path).is_file():
                    shutil.move(str(path), d / f"{key}.png")
                    images[key] = key
            report["images"] = images
            if not d.is_dir() or not self._exists(job.id):
                shutil.rmtree(d, ignore_errors=True)
                return  # the owner was erased while the clip was analysed: discard everything
            outcome: dict[str, Any] = {"report": report, "clip_id": None}
            if params.get("keep") and self.keeper is not None:
                try:
                    outcome["clip_id"] = self.keeper(job.owner_id, params.get("side"), params.get("filename") or "clip",
                                                     params.get("content_type") or "application/octet-stream", clip, report)
                except Exception as exc:  # noqa: BLE001 - the measurement stands even if keeping failed
                    outcome["keep_error"] = f"The clip could not be kept ({type(exc).__name__}); the results stand."
            self._finish(job.id, outcome=outcome, error=None)
        except VideoQualityError as exc:
            self._finish(job.id, outcome={"error_code": exc.code}, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a job must end in a state the runner can read
            self._finish(job.id, outcome={"error_code": "internal"}, error=f"The analysis failed ({type(exc).__name__}).")
        finally:
            clip.unlink(missing_ok=True)
            shutil.rmtree(out, ignore_errors=True)

    # ------------------------------------------------------------------ apply, erase, sweep
    def claim_apply(self, owner_id: int, job_id: str) -> bool:
        """Take the one right to apply this job's result; False if it was applied (or claimed) already.

        An ``applied`` marker file created with ``O_EXCL`` in the job's folder decides, so two
        requests racing (even in two worker processes) cannot both record the result.
        :meth:`release_apply` undoes a claim whose apply failed, :meth:`mark_applied` records it.
        """
        with transaction(self._factory()) as s:
            job = self._job(s, owner_id, job_id)
            if job is None or (job.params or {}).get("applied"):
                return False
            marker = self._dir(job) / "applied"
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except (FileExistsError, FileNotFoundError):
            return False
        return True

    def release_apply(self, owner_id: int, job_id: str) -> None:
        with transaction(self._factory()) as s:
            job = self._job(s, owner_id, job_id)
            if job is not None:
                (self._dir(job) / "applied").unlink(missing_ok=True)

    def mark_applied(self, owner_id: int, job_id: str, db: Session) -> None:
        """Record the apply in ``db``, the request's transaction that stores the new profile version,
        so both are committed together (and SQLite's one writer is not asked twice)."""
        job = self._job(db, owner_id, job_id)
        if job is not None:
            job.params = {**(job.params or {}), "applied": True}

    def forget_owner(self, owner_id: int) -> int:
        """Delete the files of every video job of ``owner_id`` (account erasure); returns how many.

        The rows go with the account (``erase_user``). Each folder is renamed aside first,
        atomically, so a job still running (in any process sharing the folder) finds it gone and
        keeps nothing.
        """
        with transaction(self._factory()) as s:
            rows = list(s.scalars(select(Job).where(Job.owner_id == owner_id, Job.kind == KIND)))
            folders = []
            for job in rows:
                try:
                    folders.append(self._dir(job))
                except KeyError:
                    continue
        for d in folders:
            tomb = self.folder / f".erased-{d.name}"
            try:
                os.replace(d, tomb)
            except FileNotFoundError:
                continue
            shutil.rmtree(tomb, ignore_errors=True)
        return len(rows)

    def _sweep(self) -> None:
        """Drop finished video jobs older than a day, rows and files (a result the runner wanted is
        copied into the profile when applied), and folders left by erasures or lost rows."""
        cutoff = _now() - timedelta(seconds=JOB_TTL_S)
        with transaction(self._factory()) as s:
            old = list(s.scalars(select(Job).where(Job.kind == KIND, Job.status.in_(("done", "failed")),
                                                   Job.finished_at < cutoff)))
            for job in old:
                try:
                    shutil.rmtree(self._dir(job), ignore_errors=True)
                except KeyError:
                    pass
            if old:
                s.execute(delete(Job).where(Job.id.in_([j.id for j in old])))
        for d in self.folder.iterdir():
            if d.name.startswith(".erased-") or (d.is_dir() and d.stat().st_mtime < time.time() - 2 * JOB_TTL_S):
                shutil.rmtree(d, ignore_errors=True)

    def wait(self, owner_id: int, job_id: str, timeout: float = 60.0) -> dict[str, Any] | None:
        """Block until the job ends (for tests and the CLI-like API callers that prefer to wait)."""
        end = time.time() + timeout
        while time.time() < end:
            st = self.state(owner_id, job_id)
            if st is None or st["status"] in ("done", "failed"):
                return st
            time.sleep(0.05)
        return self.state(owner_id, job_id)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until this process's video thread is between jobs (tests: "the analysis has ended")."""
        end = time.time() + timeout
        while time.time() < end:
            if self._idle.wait(max(0.0, end - time.time())):
                time.sleep(0.05)
                if self._idle.is_set():
                    return True
        return False


def jobs_for(app: Any) -> VideoJobs:
    """The app's video jobs, made on first use (folder from ``KNEECOACH_VIDEO_DIR`` or the data folder).

    Bound to the app's database; its keeper stores kept clips there.
    """
    jobs = getattr(app.state, "video_jobs", None)
    if jobs is None:
        jobs = VideoJobs(default_folder())
        app.state.video_jobs = jobs
    jobs.bind(app.state.session_factory)
    if jobs.keeper is None:
        jobs.keeper = database_keeper(app)
    return jobs


def database_keeper(app: Any) -> Keeper:
    """A keeper that stores the clip in ``video_clips`` with a summary of what was measured."""

    def keep(owner_id: int, side: str | None, filename: str, content_type: str, clip: Path,
             result: dict[str, Any]) -> int:
        from kneecoach.store import repo

        summary = {"sides": result.get("sides"), "profile_values": result.get("profile_values")}
        with transaction(app.state.session_factory) as s:
            return repo.add_video_clip(s, owner_id, side=side, filename=filename, content_type=content_type,
                                       data=clip.read_bytes(), summary=summary).id

    return keep
