"""The FastAPI application factory.

``create_app`` wires configuration (database URL, session key), middleware
(signed session cookie, security headers), the app-wide CSRF guard and the
routers. Nothing is global, so tests build as many isolated apps as they like,
and ``kneecoach serve --workers N`` builds one per worker via
:func:`app_from_env`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kneecoach.store.db import default_url, make_engine, make_session_factory, request_threads
from kneecoach.web.busy_retry import RetryWhenLocked
from kneecoach.web.capacity import CapacityLimit
from kneecoach.web.capacity import max_concurrent as capacity_limit
from kneecoach.web.body_limit import BodyLimitMiddleware
from kneecoach.web.deps import LoginRequired, csrf_guard
from kneecoach.web.security import load_secret_key
from kneecoach.web.throttle import DbThrottle

log = logging.getLogger("kneecoach.web")

HERE = Path(__file__).parent
ENV_DB = "KNEECOACH_DB"
ENV_HTTPS_ONLY = "KNEECOACH_HTTPS_ONLY"
SESSION_COOKIE = "kc_session"
SESSION_MAX_AGE_S = 7 * 24 * 3600

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def _prepare_database(url: str) -> None:
    """Bring the schema up to date with the store's Alembic migrations.

    ``create_all`` is only a fallback for a checkout whose migrations are not
    written yet; it never runs against a database the migrations manage.
    """
    from sqlalchemy import inspect

    from kneecoach.store.models import Base

    try:
        from kneecoach.store.migrate import upgrade
    except ImportError:  # pragma: no cover - store layer not installed
        upgrade = None
    if upgrade is not None:
        upgrade(url)
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("users"):
            Base.metadata.create_all(engine)
    finally:
        engine.dispose()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start this process's background-job worker (it resumes jobs a restart interrupted) and video thread.

    Starting (a recovery query) and stopping (a join) block, so both run on a thread.
    """
    from starlette.concurrency import run_in_threadpool

    from kneecoach.web.jobs import worker_for
    from kneecoach.web.video_jobs import jobs_for

    worker = await run_in_threadpool(worker_for, app)  # first: it re-queues jobs (video ones too) a restart interrupted
    video = jobs_for(app)
    await run_in_threadpool(video.start)
    try:
        yield
    finally:
        await run_in_threadpool(video.stop)
        await run_in_threadpool(worker.stop)


def create_app(db_url: str | None = None, secret_key: str | None = None, *, https_only: bool | None = None,
               migrate: bool = True, threads: int | None = None, max_concurrent: int | None = None,
               pool_timeout_s: float = 30.0) -> FastAPI:
    """Build the web app.

    ``db_url`` defaults to ``KNEECOACH_DB`` / the user's data folder;
    ``secret_key`` to ``KNEECOACH_SECRET_KEY`` / a stored random key (see
    :func:`kneecoach.web.security.load_secret_key`). ``https_only`` marks the
    session cookie Secure; default from ``KNEECOACH_HTTPS_ONLY=1``. Behind TLS
    turn it on; on loopback it must be off or browsers drop the cookie.

    ``threads`` (default ``KNEECOACH_THREADS``, 16) sizes both the request
    thread pool and the connection pool; ``max_concurrent`` (default
    ``KNEECOACH_MAX_CONCURRENT``, four per thread) is how many requests this
    worker takes at once before answering 503 (see :mod:`kneecoach.web.capacity`).
    """
    url = db_url or default_url()
    key = secret_key or load_secret_key()
    if https_only is None:
        https_only = os.environ.get(ENV_HTTPS_ONLY, "") in {"1", "true", "yes"}
    if migrate:
        _prepare_database(url)

    app = FastAPI(
        lifespan=_lifespan,
        title="kneecoach",
        version="1",
        description="Runners' knee pain: intake, self-tests, explained hypotheses and a plan. "
        "Education, not a diagnosis. API auth: session cookie from POST /api/v1/login plus the "
        "X-CSRF-Token header on every POST (token from GET /api/v1/csrf or the login reply).",
        dependencies=[Depends(csrf_guard)],
        docs_url=None,
        redoc_url=None,
    )
    threads = threads or request_threads()
    engine = make_engine(url, threads=threads, pool_timeout_s=pool_timeout_s)
    app.state.threads = threads
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.throttle = DbThrottle(app.state.session_factory)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/u/", "/api/", "/home", "/intake", "/selftests", "/diary", "/upload", "/account", "/today", "/caseload")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(RetryWhenLocked)  # inside the session cookie, so a retry starts from the same session
    app.add_middleware(CapacityLimit, limit=max_concurrent or capacity_limit(threads), threads=threads)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=https_only,
    )

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Sign in first (POST /api/v1/login).", "status": 401,
                                 "request_id": getattr(request.state, "request_id", None)}, status_code=401)
        return RedirectResponse("/login?next=" + _safe_next(request.url.path), status_code=303)

    from kneecoach.web import errors

    errors.install(app)  # one error page/JSON for every status, Starlette's own 404/405 included

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/figures.css", include_in_schema=False)
    def figures_stylesheet() -> Response:
        """Animation CSS of the exercise figures (a stylesheet, so the CSP can forbid inline styles)."""
        from kneecoach.figures.library import figures_css

        return Response(figures_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    from kneecoach.web import (ops, routes_account, routes_api, routes_auth, routes_care, routes_clinician,
                               routes_diary_edit, routes_pages, routes_runlog, routes_today, routes_video)

    app.include_router(routes_auth.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_api.router)
    app.include_router(routes_account.router)
    app.include_router(routes_account.api)
    app.include_router(routes_video.router)  # single-leg squat video (issue 9)
    app.include_router(routes_video.api)
    app.include_router(routes_today.router)  # the runner's day (issue 16)
    app.include_router(routes_today.api)
    app.include_router(routes_diary_edit.router)  # correcting a logged tap or diary entry (issue 16)
    app.include_router(routes_runlog.pages)  # runs logged by hand, races, marked days (issue 21)
    app.include_router(routes_runlog.api)
    app.include_router(routes_care.router)  # clinician's workspace (issue 17)
    app.include_router(routes_care.api)
    app.include_router(routes_clinician.router)
    app.include_router(routes_clinician.api)
    ops.install(app)
    # Outermost (added last): an oversized body is refused before any layer reads it, and a client
    # gone mid-body never reaches the access-log middleware as a 500 (issue 19).
    app.add_middleware(BodyLimitMiddleware)
    return app


def _safe_next(path: str) -> str:
    """Only same-site relative paths survive as a post-login redirect (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else "/home"


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory kneecoach.web.app:app_from_env`` (several workers).

    Configuration comes from ``KNEECOACH_DB`` and ``KNEECOACH_SECRET_KEY``
    so every worker process builds the same app.
    """
    return create_app(os.environ.get(ENV_DB) or None)
