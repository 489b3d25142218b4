"""A small background runner for single-leg squat video analysis (issue 9).

Deliberately separate and minimal: a thread pool in the web process, with each job's state kept as
one JSON file (``<folder>/<job_id>/state.json``, written atomically) beside its PNGs, so any worker
process can answer a status request. The lead can later move ``submit``/``_run`` onto the shared
database job table without touching the routes: they only call :meth:`VideoJobs.submit`,
:meth:`VideoJobs.state` and :meth:`VideoJobs.image`.

The uploaded clip lives in the job folder only while it is analysed and is deleted afterwards,
success or not, unless the runner ticked "keep my clip": then, once the analysis succeeded, the
clip is handed to the :data:`Keeper` (the web app stores it in the ``video_clips`` table, owned by
the runner) before it leaves the job folder. Nothing identifying is logged.

Security (issue 19): an upload is checked before it is queued (:func:`kneecoach.video.container.check_clip`:
the first bytes, then OpenCV's open where installed), and the kept clip's media type is the sniffed one,
never the client's. Erasing an account calls :meth:`VideoJobs.forget_owner`: the owner's job folders are
renamed aside (so a job still running can no longer write its state back) and deleted, and a running job
whose folder is gone discards its result and never hands the clip to the keeper. The folder being gone is
the cancellation signal, so it holds for every worker process that shares the folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from kneecoach.video.container import ClipRejected, check_clip
from kneecoach.video.quality import MAX_CLIP_BYTES, VideoQualityError

ENV_VIDEO_DIR = "KNEECOACH_VIDEO_DIR"
IMAGE_NAMES = ("chart", "key_left", "key_right")
JOB_TTL_S = 24 * 3600

#: (clip path, side or None, output folder, progress callback) -> report JSON (VideoReport.to_json()).
Analyser = Callable[[Path, str | None, Path, Callable[[float], None]], dict[str, Any]]


#: (owner id, side, file name, content type, clip path, report JSON) -> id of the kept clip.
Keeper = Callable[[int, "str | None", str, str, Path, dict[str, Any]], int]


#: Path -> media type; raises :class:`ClipRejected` for what is not a readable video.
Probe = Callable[[Path], str]

__all__ = ["ClipRejected", "ClipTooLarge", "VideoJobs", "database_keeper", "jobs_for"]


class ClipTooLarge(ValueError):
    pass


def default_analyser(clip: Path, side: str | None, out_dir: Path, progress: Callable[[float], None]) -> dict[str, Any]:
    from kneecoach.knowledge.loader import load_kb
    from kneecoach.video.report import analyse_clip

    return analyse_clip(clip, load_kb(), side=side, out_dir=out_dir, progress=progress).to_json()


def default_folder() -> Path:
    env = os.environ.get(ENV_VIDEO_DIR)
    if env:
        return Path(env)
    from kneecoach.web.security import data_dir

    return data_dir() / "video-jobs"


class VideoJobs:
    """Queue, run and report video analyses; every read is checked against the owner."""

    def __init__(self, folder: Path, analyser: Analyser | None = None, workers: int = 1,
                 keeper: Keeper | None = None, probe: Probe | None = None) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.analyser = analyser or default_analyser
        self.keeper = keeper
        self.probe = probe or check_clip
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kneecoach-video")

    # ------------------------------------------------------------------ state files
    def _dir(self, job_id: str) -> Path:
        if not job_id.isalnum() or len(job_id) > 64:
            raise KeyError(job_id)
        return self.folder / job_id

    def _write(self, job_id: str, state: dict[str, Any]) -> bool:
        """Save the state; False (nothing written) when the job folder is gone (the owner was erased)."""
        path = self._dir(job_id) / "state.json"
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, path)
        except FileNotFoundError:
            return False
        return True

    def _read(self, job_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self._dir(job_id) / "state.json").read_text(encoding="utf-8"))
        except (KeyError, FileNotFoundError, json.JSONDecodeError):
            return None

    def state(self, owner_id: int, job_id: str) -> dict[str, Any] | None:
        """The job's state for its owner; None for anyone else (no hint that it exists)."""
        st = self._read(job_id)
        if st is None or st.get("owner_id") != owner_id:
            return None
        return st

    def image(self, owner_id: int, job_id: str, name: str) -> Path | None:
        st = self.state(owner_id, job_id)
        if st is None or name not in IMAGE_NAMES or st.get("status") != "done":
            return None
        path = self._dir(job_id) / f"{name}.png"
        return path if path.is_file() else None

    # ------------------------------------------------------------------ running
    def submit(self, owner_id: int, side: str | None, upload: BinaryIO, *, keep: bool = False,
               filename: str = "clip") -> str:
        """Store the clip for the run only (``keep``: hand it to the keeper afterwards), check it, queue it.

        Raises :class:`ClipTooLarge` or :class:`ClipRejected` (nothing is kept or queued then). The
        media type stored with the job is the probe's, from the bytes.
        """
        if side not in (None, "left", "right"):
            raise ValueError("side must be left or right")
        if keep and self.keeper is None:
            raise ValueError("this server cannot keep clips (no keeper configured)")
        self._sweep()
        job_id = secrets.token_hex(16)
        d = self._dir(job_id)
        d.mkdir(mode=0o700)
        clip = d / "clip"
        size = 0
        with clip.open("wb") as fh:
            while chunk := upload.read(1 << 20):
                size += len(chunk)
                if size > MAX_CLIP_BYTES:
                    fh.close()
                    shutil.rmtree(d, ignore_errors=True)
                    raise ClipTooLarge(f"The clip is larger than {MAX_CLIP_BYTES // 2**20} MB.")
                fh.write(chunk)
        try:
            media = self.probe(clip)  # the bytes decide, not the name or the client's Content-Type
        except ClipRejected:
            shutil.rmtree(d, ignore_errors=True)
            raise
        self._write(job_id, {"id": job_id, "owner_id": owner_id, "side": side, "status": "queued",
                             "progress": 0.0, "created": time.time(), "result": None, "error": None,
                             "error_code": None, "applied": False, "keep": keep, "clip_id": None,
                             "filename": filename, "content_type": media})
        self.pool.submit(self._run, job_id)
        return job_id

    def _run(self, job_id: str) -> None:
        st = self._read(job_id)
        if st is None:
            return
        d = self._dir(job_id)
        clip = d / "clip"
        last = [0.0]

        def progress(x: float) -> None:
            if x - last[0] >= 0.05 or x >= 1.0:
                last[0] = x
                st["progress"] = round(x, 3)
                self._write(job_id, st)

        st["status"] = "running"
        self._write(job_id, st)
        try:
            out = d / "out"
            out.mkdir(exist_ok=True)
            result = self.analyser(clip, st["side"], out, progress)
            images = {}
            for key, path in (result.get("images") or {}).items():
                if key in IMAGE_NAMES and Path(path).is_file():
                    shutil.move(str(path), d / f"{key}.png")
                    images[key] = key
            result["images"] = images
            if not d.is_dir():
                return  # the owner was erased while the clip was analysed: discard everything
            if st.get("keep") and self.keeper is not None:
                try:
                    st["clip_id"] = self.keeper(st["owner_id"], st["side"], st.get("filename") or "clip",
                                                st.get("content_type") or "application/octet-stream", clip, result)
                except Exception as exc:  # noqa: BLE001 - the measurement stands even if keeping failed
                    st["keep_error"] = f"The clip could not be kept ({type(exc).__name__}); the results stand."
            st.update(status="done", progress=1.0, result=result)
        except VideoQualityError as exc:
            st.update(status="failed", error=str(exc), error_code=exc.code)
        except Exception as exc:  # noqa: BLE001 - a job must end in a state the runner can read
            st.update(status="failed", error=f"The analysis failed ({type(exc).__name__}).", error_code="internal")
        finally:
            clip.unlink(missing_ok=True)
            shutil.rmtree(d / "out", ignore_errors=True)
            if d.is_dir():
                self._write(job_id, st)

    def claim_apply(self, owner_id: int, job_id: str) -> bool:
        """Take the one right to apply this job's result; False if it was applied (or claimed) already.

        An ``applied`` marker file created with ``O_EXCL`` decides, so two requests racing (even in
        two worker processes) cannot both record the result. :meth:`release_apply` undoes a claim
        whose apply failed, :meth:`mark_applied` makes it show as applied.
        """
        if self.state(owner_id, job_id) is None:
            return False
        try:
            os.close(os.open(self._dir(job_id) / "applied", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        except FileNotFoundError:  # erased meanwhile
            return False
        return True

    def release_apply(self, owner_id: int, job_id: str) -> None:
        if self.state(owner_id, job_id) is not None:
            (self._dir(job_id) / "applied").unlink(missing_ok=True)

    def mark_applied(self, owner_id: int, job_id: str) -> None:
        st = self.state(owner_id, job_id)
        if st is not None:
            st["applied"] = True
            self._write(job_id, st)

    def forget_owner(self, owner_id: int) -> int:
        """Delete every job of ``owner_id`` (account erasure), running ones too; returns how many.

        Each folder is first renamed aside, atomically, so a job still running (in this process or
        another one sharing the folder) finds its folder gone, stops writing and keeps nothing.
        """
        gone = 0
        for d in list(self.folder.iterdir()):
            if not d.name.isalnum():
                continue
            st = self._read(d.name)
            if st is None or st.get("owner_id") != owner_id:
                continue
            tomb = self.folder / f".erased-{d.name}"
            try:
                os.replace(d, tomb)
            except FileNotFoundError:
                continue
            shutil.rmtree(tomb, ignore_errors=True)
            gone += 1
        return gone

    def _sweep(self) -> None:
        """Drop jobs older than a day (results are copied into the profile when the runner applies them)."""
        cutoff = time.time() - JOB_TTL_S
        for d in self.folder.iterdir():
            if d.name.startswith(".erased-"):  # left by an erasure that raced a running job
                shutil.rmtree(d, ignore_errors=True)
                continue
            st = self._read(d.name) if d.name.isalnum() else None
            if st is not None and st.get("created", 0) < cutoff:
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


def jobs_for(app: Any) -> VideoJobs:
    """The app's runner, made on first use (folder from ``KNEECOACH_VIDEO_DIR`` or the data folder).

    Its keeper stores kept clips in the app's database.
    """
    jobs = getattr(app.state, "video_jobs", None)
    if jobs is None:
        jobs = VideoJobs(default_folder())
        app.state.video_jobs = jobs
    if jobs.keeper is None:
        jobs.keeper = database_keeper(app)
    return jobs


def database_keeper(app: Any) -> Keeper:
    """A keeper that stores the clip in ``video_clips`` with a summary of what was measured."""

    def keep(owner_id: int, side: str | None, filename: str, content_type: str, clip: Path,
             result: dict[str, Any]) -> int:
        from kneecoach.store import repo
        from kneecoach.store.db import transaction

        summary = {"sides": result.get("sides"), "profile_values": result.get("profile_values")}
        with transaction(app.state.session_factory) as s:
            return repo.add_video_clip(s, owner_id, side=side, filename=filename, content_type=content_type,
                                       data=clip.read_bytes(), summary=summary).id

    return keep
