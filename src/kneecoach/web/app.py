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
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kneecoach.store.db import default_url, make_engine, make_session_factory
from kneecoach.web.body_limit import BodyLimitMiddleware
from kneecoach.web.deps import LoginRequired, csrf_guard
from kneecoach.web.security import load_secret_key
from kneecoach.web.throttle import DbThrottle
from kneecoach.web.templating import render

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
    """Start this process's background-job worker (it resumes jobs a restart interrupted) and video thread."""
    from kneecoach.web.jobs import worker_for
    from kneecoach.web.video_jobs import jobs_for

    worker = worker_for(app)  # first: it re-queues jobs (video ones too) a restart interrupted
    video = jobs_for(app)
    video.start()
    try:
        yield
    finally:
        video.stop()
        worker.stop()


def create_app(db_url: str | None = None, secret_key: str | None = None, *, https_only: bool | None = None,
               migrate: bool = True) -> FastAPI:
    """Build the web app.

    ``db_url`` defaults to ``KNEECOACH_DB`` / the user's data folder;
    ``secret_key`` to ``KNEECOACH_SECRET_KEY`` / a stored random key (see
    :func:`kneecoach.web.security.load_secret_key`). ``https_only`` marks the
    session cookie Secure; default from ``KNEECOACH_HTTPS_ONLY=1``. Behind TLS
    turn it on; on loopback it must be off or browsers drop the cookie.
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
    engine = make_engine(url)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.throttle = DbThrottle(app.state.session_factory)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/u/", "/api/", "/home", "/intake", "/selftests", "/diary", "/upload", "/account")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

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
            return JSONResponse({"detail": "Sign in first (POST /api/v1/login)."}, status_code=401)
        return RedirectResponse("/login?next=" + _safe_next(request.url.path), status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": errors}, status_code=422)
        message = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in errors)
        return render(request, "error.html", {"status": 422, "message": message}, status_code=422)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/figures.css", include_in_schema=False)
    def figures_stylesheet() -> Response:
        """Animation CSS of the exercise figures (a stylesheet, so the CSP can forbid inline styles)."""
        from kneecoach.figures.library import figures_css

        return Response(figures_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    from kneecoach.web import ops, routes_account, routes_api, routes_auth, routes_pages, routes_video

    app.include_router(routes_auth.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_api.router)
    app.include_router(routes_account.router)
    app.include_router(routes_account.api)
    app.include_router(routes_video.router)  # single-leg squat video (issue 9)
    app.include_router(routes_video.api)
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
