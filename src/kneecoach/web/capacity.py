"""What one worker process takes on at once: request threads, a database gate, a fast 503.

Why: a worker that accepts every request queues them until each one times
out (30 s at 64 clients in issue 24), which neither the runner nor a load
balancer can act on. :class:`CapacityLimit` counts the requests in flight
in this worker; past the limit it answers ``503 Service Unavailable`` with
``Retry-After`` at once, without touching the database. ``/healthz`` and
static files are never refused, so a monitor still sees a live worker.

Three numbers agree, all from ``threads``:

* FastAPI's thread pool (anyio's default limiter, 40 threads unless set
  here) runs ``def`` routes and dependencies on ``threads`` threads;
* :func:`database_gate` lets ``threads`` requests hold a database session at
  once; the others wait on the event loop, holding nothing;
* the connection pool has ``threads`` connections plus the background
  threads' (:func:`kneecoach.store.db.pool_size`), so a request past the
  gate always gets a connection at once.

Configuration: ``KNEECOACH_THREADS`` (default 16) and
``KNEECOACH_MAX_CONCURRENT`` (default four requests per thread); ``kneecoach
serve --threads/--max-concurrent`` set both for every worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import weakref
from typing import Any

import anyio

from starlette.types import ASGIApp, Receive, Scope, Send

from kneecoach.store.db import request_threads

log = logging.getLogger("kneecoach.web.capacity")

ENV_MAX_CONCURRENT = "KNEECOACH_MAX_CONCURRENT"
#: Requests in flight per thread before new ones are refused (the rest wait for a thread).
QUEUE_PER_THREAD = 4
#: Seconds a refused client is asked to wait.
RETRY_AFTER_S = 1
#: Paths answered even when the worker is full: a monitor must see a live worker.
ALWAYS_SERVED = ("/healthz", "/static/", "/figures.css")
OVERLOAD_MESSAGE = "The server is busy. Please try again in a moment."


def max_concurrent(threads: int | None = None) -> int:
    """``KNEECOACH_MAX_CONCURRENT``, else :data:`QUEUE_PER_THREAD` requests per request thread."""
    value = os.environ.get(ENV_MAX_CONCURRENT)
    if value:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{ENV_MAX_CONCURRENT} must be a whole number, not {value!r}") from None
        if number < 1:
            raise ValueError(f"{ENV_MAX_CONCURRENT} must be at least 1, not {value!r}")
        return number
    return QUEUE_PER_THREAD * (threads or request_threads())


def _size_thread_pool(threads: int) -> None:
    """Make this event loop's default thread limiter (FastAPI's thread pool) ``threads`` wide."""
    from anyio.to_thread import current_default_thread_limiter

    limiter = current_default_thread_limiter()
    if limiter.total_tokens != threads:
        limiter.total_tokens = threads


_gates_lock = threading.Lock()


def database_gate(app: Any) -> asyncio.Semaphore:
    """This worker's admission to the database: ``app.state.threads`` requests at a time.

    One semaphore per event loop (a server has one; tests may run several).
    Requests past it wait here, on the event loop, holding neither a thread
    nor a connection; :class:`CapacityLimit` bounds how many may wait.
    """
    loop = asyncio.get_running_loop()
    with _gates_lock:
        per_app = getattr(app.state, "database_gates", None)
        if per_app is None:
            per_app = app.state.database_gates = weakref.WeakKeyDictionary()
        gate = per_app.get(loop)
        if gate is None:
            gate = per_app[loop] = asyncio.Semaphore(int(getattr(app.state, "threads", None) or request_threads()))
    return gate


def commit_limiter(app: Any) -> anyio.CapacityLimiter:
    """Threads for ending requests' transactions, apart from the request thread pool.

    As wide as the database gate, so a request that has done its work never
    waits for a thread to commit and give its connection (and SQLite's
    write lock) back.
    """
    limiter = getattr(app.state, "commit_limiter", None)
    if limiter is None:
        with _gates_lock:
            limiter = getattr(app.state, "commit_limiter", None)
            if limiter is None:
                limiter = app.state.commit_limiter = anyio.CapacityLimiter(
                    int(getattr(app.state, "threads", None) or request_threads()))
    return limiter


class CapacityLimit:
    """ASGI middleware: at most ``limit`` requests in flight in this worker; the next get a fast 503."""

    def __init__(self, app: ASGIApp, *, limit: int, threads: int, retry_after_s: int = RETRY_AFTER_S) -> None:
        self.app = app
        self.limit = limit
        self.threads = threads
        self.retry_after_s = retry_after_s
        self.in_flight = 0
        self.refused = 0
        self._lock = threading.Lock()  # one loop in a server; TestClient may run requests on several

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _size_thread_pool(self.threads)
        if str(scope.get("path", "")).startswith(ALWAYS_SERVED):
            await self.app(scope, receive, send)
            return
        with self._lock:
            admitted = self.in_flight < self.limit
            if admitted:
                self.in_flight += 1
            else:
                self.refused += 1
        if not admitted:
            await self._refuse(scope, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        """503 + Retry-After, JSON for the API and plain text otherwise (no template, no database)."""
        if self.refused % 100 == 1:  # a trace for operators without a line per refused request
            log.warning("worker at its limit of %d requests in flight: answering 503 (%d so far)",
                        self.limit, self.refused)
        path = str(scope.get("path", ""))
        if path.startswith("/api/"):
            body, ctype = json.dumps({"detail": OVERLOAD_MESSAGE}).encode(), b"application/json"
        else:
            body, ctype = OVERLOAD_MESSAGE.encode(), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", ctype), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after_s).encode()), (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": body})
