"""Background jobs kept in the database: queue, claim, progress, outcome, recovery.

Why the database and not a thread-local queue: any web worker process must be
able to show a job's progress, a job must outlive a server restart, and the
same upload submitted twice must not run twice. One generic table
(:class:`kneecoach.store.models.Job`) serves every kind of long work; a kind's
code registers a handler with :func:`register` and never touches the table.

Life of a job::

    queued --claim--> running --handler returns--> done (result JSON)
                         |------handler raises---> failed (error text)
                         '--worker died (no heartbeat)--> queued again, or
                            failed after MAX_ATTEMPTS

Claiming is safe with several workers: on PostgreSQL the candidate row is
read ``FOR UPDATE SKIP LOCKED`` (two workers never wait on or take the same
job), and on every database the claim is a conditional UPDATE (``WHERE
status = 'queued'``) whose row count must be 1. SQLite runs one in-process
worker (:class:`JobWorker`).

Handlers must be idempotent (running one twice after a crash must not store
anything twice); the import handler is, because runs are de-duplicated by
fingerprint and written in one transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.store.db import retry_locked, transaction
from kneecoach.store.models import Job

__all__ = [
    "HANDLERS",
    "MAX_ATTEMPTS",
    "JobContext",
    "JobWorker",
    "claim_next",
    "enqueue",
    "get_job",
    "recover_stale",
    "register",
    "run_next",
]

log = logging.getLogger(__name__)

#: A job whose worker vanished this many times is failed instead of retried.
MAX_ATTEMPTS = 3
#: A running job without a heartbeat for this long is taken to be abandoned.
STALE_AFTER_S = 60.0
#: Progress is written at most this often (one UPDATE per file would slow imports).
PROGRESS_EVERY_S = 0.5

_ACTIVE_OR_DONE = ("queued", "running", "done")


@dataclass
class JobContext:
    """What a handler gets: the job's inputs and a way to report progress."""

    job_id: int
    owner_id: int
    params: dict[str, Any]
    input: bytes | None
    factory: sessionmaker[Session]
    _last_write: float = 0.0

    def progress(self, done: int, total: int | None) -> None:
        """Record progress (throttled); also serves as the heartbeat.

        Progress is advisory: when the write fails (SQLite busy with other
        writers, a lost connection) the failure is logged and the job goes
        on; the next report writes it again. A progress line must never cost
        the runner the import itself (issue 24).
        """
        now = time.monotonic()
        if done != total and now - self._last_write < PROGRESS_EVERY_S:
            return
        self._last_write = now
        try:
            with transaction(self.factory) as s:
                s.execute(
                    update(Job).where(Job.id == self.job_id, Job.status == "running")
                    .values(progress=done, total=total, heartbeat_at=_now())
                )
        except SQLAlchemyError as exc:
            log.warning("job %s: progress not recorded (%s); the job goes on", self.job_id, type(exc).__name__)


Handler = Callable[[JobContext], dict[str, Any]]

#: kind -> handler. Filled by :func:`register` in the modules that own each kind.
HANDLERS: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: ``@register("import")`` makes the function the handler of that kind."""

    def deco(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return deco


def _now() -> datetime:
    return datetime.now(timezone.utc)


def enqueue(
    s: Session, owner_id: int, kind: str, *, params: dict[str, Any] | None = None,
    input: bytes | None = None, dedupe_key: str | None = None,  # noqa: A002 - the column's name
) -> tuple[Job, bool]:
    """Queue a job; returns ``(job, created)``.

    With ``dedupe_key``, a queued, running or finished job of the same owner,
    kind and key is returned instead (``created`` False): the same upload
    twice is one job. A failed one does not count, so a retry runs again.
    """
    if dedupe_key is not None:
        existing = s.scalars(
            select(Job).where(Job.owner_id == owner_id, Job.kind == kind, Job.dedupe_key == dedupe_key,
                              Job.status.in_(_ACTIVE_OR_DONE)).order_by(Job.id.desc()).limit(1)
        ).first()
        if existing is not None:
            return existing, False
    job = Job(owner_id=owner_id, kind=kind, status="queued", progress=0, params=params or {},
              input=input, dedupe_key=dedupe_key, attempts=0, created_at=_now())
    s.add(job)
    s.flush()
    return job, True


def get_job(s: Session, owner_id: int, job_id: int) -> Job | None:
    """The owner's job, or None (another runner's job is not found, not forbidden)."""
    job = s.get(Job, job_id)
    return job if job is not None and job.owner_id == owner_id else None


def claim_next(factory: sessionmaker[Session], worker: str, kinds: list[str] | None = None) -> Job | None:
    """Take the oldest queued job (of ``kinds``) for ``worker``; None when there is none."""
    with transaction(factory) as s:
        stmt = select(Job.id).where(Job.status == "queued")
        if kinds is not None:
            stmt = stmt.where(Job.kind.in_(kinds))
        stmt = stmt.order_by(Job.id).limit(1).with_for_update(skip_locked=True)
        job_id = s.scalars(stmt).first()
        if job_id is None:
            return None
        now = _now()
        res = s.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=worker, started_at=now, heartbeat_at=now,
                    attempts=Job.attempts + 1)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another worker was faster (SQLite has no row locks)
        return s.get(Job, job_id)


def _finish(factory: sessionmaker[Session], job_id: int, *, result: dict[str, Any] | None,
            error: str | None) -> None:
    """Store the outcome (retried once when SQLite is locked: the work is done, its record must land)."""

    def write() -> None:
        with transaction(factory) as s:
            s.execute(
                update(Job).where(Job.id == job_id)
                .values(status="failed" if error else "done", result=result, error=error,
                        finished_at=_now(), heartbeat_at=_now(), input=None)
            )

    retry_locked(write, attempts=3)


def run_next(factory: sessionmaker[Session], worker: str) -> bool:
    """Claim and run one job; False when the queue was empty."""
    job = claim_next(factory, worker, sorted(HANDLERS))
    if job is None:
        return False
    handler = HANDLERS[job.kind]
    ctx = JobContext(job.id, job.owner_id, dict(job.params or {}), job.input, factory)
    try:
        result = handler(ctx)
    except Exception as exc:  # noqa: BLE001 - a failing job must not kill the worker
        # Log the type only: messages may quote uploaded content.
        log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(factory, job.id, result=None, error=f"The job failed ({type(exc).__name__}); nothing from it was stored.")
    else:
        _finish(factory, job.id, result=result, error=None)
    return True


def recover_stale(factory: sessionmaker[Session], older_than_s: float = STALE_AFTER_S) -> int:
    """Re-queue running jobs whose worker stopped sending heartbeats; fail them after MAX_ATTEMPTS.

    Called when a worker starts (a restart leaves 'running' rows behind) and
    now and then while it runs. Returns how many jobs were touched.
    """
    cutoff = _now() - timedelta(seconds=older_than_s)
    touched = 0
    with transaction(factory) as s:
        stale = list(s.scalars(
            select(Job).where(Job.status == "running", Job.heartbeat_at <= cutoff).with_for_update(skip_locked=True)
        ))
        for job in stale:
            touched += 1
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.finished_at, job.input = "failed", _now(), None
                job.error = "The job was interrupted too many times; nothing from it was stored."
            else:
                job.status, job.worker = "queued", None
    return touched


class JobWorker:
    """A daemon thread that runs queued jobs one at a time.

    One per process. With SQLite that is the only worker, so at start every
    'running' job is an orphan of the previous process and is re-queued at
    once; with PostgreSQL other processes may be working, so only jobs
    without a heartbeat for :data:`STALE_AFTER_S` are.
    """

    def __init__(self, factory: sessionmaker[Session], *, single_process: bool, poll_s: float = 1.0) -> None:
        self.factory = factory
        self.single_process = single_process
        self.poll_s = poll_s
        self.name = f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            recover_stale(self.factory, 0.0 if self.single_process else STALE_AFTER_S)
            self._thread = threading.Thread(target=self._loop, name="kneecoach-jobs", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and run_next(self.factory, self.name):
                    pass
                if not self.single_process and time.monotonic() - last_recover > STALE_AFTER_S:
                    recover_stale(self.factory)
                    last_recover = time.monotonic()
            except Exception:  # noqa: BLE001 - database hiccup: keep the worker alive
                log.exception("job worker: error while polling")
            self._wake.wait(self.poll_s)
            self._wake.clear()
