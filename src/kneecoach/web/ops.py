"""Operations: ``/healthz`` and JSON access logs with a request id.

The access log is one JSON object per request on the ``kneecoach.access``
logger: time, request id, method, a *route template* (``/u/{owner_id}/plan``,
never the filled-in path, and never a query string, body or form field),
status and duration. So the log tells an operator what happened and how
fast (and which worker process served it), and holds no health data, no e-mail address and no user id. The request
id comes from a valid incoming ``X-Request-ID`` (set by a reverse proxy) or
is made here, and is echoed in the response so a user's report can be
matched to a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text

access_log = logging.getLogger("kneecoach.access")
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "/static/*" if request.url.path.startswith("/static/") else "(unmatched)"


def access_record(request: Request, status: int, duration_ms: float, request_id: str) -> dict[str, object]:
    """The JSON fields logged for one request (kept in one place so a test can check them)."""
    return {
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": request.method,
        "route": _route_template(request),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "pid": os.getpid(),  # which worker served it, when several run
    }


def install(app: FastAPI) -> None:
    """Add the access-log middleware and the ``/healthz`` route to ``app``."""

    @app.middleware("http")
    async def access_logging(request: Request, call_next) -> Response:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = request_id
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = 499 if request.scope.get("kneecoach.body_aborted") == "gone" else response.status_code
            response.headers[REQUEST_ID_HEADER] = request_id
            return response
        except Exception:
            # A body cut off by kneecoach.web.body_limit: 413, or 499 for a client that went away.
            status = {"too_large": 413, "gone": 499}.get(request.scope.get("kneecoach.body_aborted"), 500)
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                record = access_record(request, status, (time.perf_counter() - started) * 1000, request_id)
                access_log.info(json.dumps(record, separators=(",", ":")))

    @app.get("/healthz", include_in_schema=False)
    async def healthz(request: Request) -> Response:
        """200 when the database answers a trivial query, else 503 (for load balancers and monitors).

        The query runs on a one-thread executor of its own, not on the request
        thread pool, and is given :data:`HEALTH_TIMEOUT_S`: a worker whose
        request threads are all busy still answers its monitor at once.
        """
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(_health_executor, _ping, request.app.state.engine),
                                   HEALTH_TIMEOUT_S)
        except Exception as exc:  # any driver error or a timeout means "not ready"
            access_log.warning(json.dumps({"event": "healthz_failed", "error": type(exc).__name__}))
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})


#: Seconds ``/healthz`` waits for the database before answering 503.
HEALTH_TIMEOUT_S = 5.0
_health_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kneecoach-healthz")


def _ping(engine: Engine) -> None:
    """One trivial query on a pooled connection (the pool keeps spare ones for this thread)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def log_config() -> dict[str, object]:
    """uvicorn's logging config plus the ``kneecoach`` loggers: one JSON line per request on stdout.

    uvicorn's own access log is turned off by ``kneecoach serve`` because it
    prints the full path with its query string (owner ids, dates); the
    ``kneecoach.access`` lines replace it.
    """
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["kneecoach_json"] = {"format": "%(message)s"}
    config["formatters"]["kneecoach_text"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["kneecoach_access"] = {"class": "logging.StreamHandler", "formatter": "kneecoach_json",
                                              "stream": "ext://sys.stdout"}
    config["handlers"]["kneecoach"] = {"class": "logging.StreamHandler", "formatter": "kneecoach_text",
                                       "stream": "ext://sys.stderr"}
    config["loggers"]["kneecoach.access"] = {"handlers": ["kneecoach_access"], "level": "INFO", "propagate": False}
    config["loggers"]["kneecoach"] = {"handlers": ["kneecoach"], "level": "INFO", "propagate": False}
    return config
