"""Request body caps per route class, enforced before anything is parsed or spooled (issue 19).

Without a cap, Starlette reads a multipart body to its end (spooling it to a temporary file) before
any route or the CSRF check runs, so an anonymous client could make the server write a gigabyte
to disk per request. :class:`BodyLimitMiddleware` is a plain ASGI middleware, outside every other
layer, that

* answers 413 at once when the declared ``Content-Length`` is over the route's cap, without
  reading a byte of the body;
* counts the bytes as they stream in (chunked bodies, or a client that lies about the length) and
  stops the request with 413 as soon as the count passes the cap;
* turns a client that disconnects in the middle of its body into one quiet log line instead of a
  traceback and a 500: the access log (:mod:`kneecoach.web.ops`) records it with status 499
  ("client closed request", as nginx does), read from ``scope[ABORTED]``.

The caps are per route class (:func:`limit_for`): uploads get their stated maximum plus room for
the multipart framing; every other route (forms, JSON) gets :data:`DEFAULT_LIMIT`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from fastapi import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kneecoach.video.quality import MAX_CLIP_BYTES
from kneecoach.web.services import MAX_UPLOAD_BYTES

log = logging.getLogger("kneecoach.web.body")

MiB = 1024 * 1024
#: Forms and JSON: the largest is a full profile, a few kilobytes.
DEFAULT_LIMIT = 1 * MiB
#: Multipart framing and the small form fields around an uploaded file.
FRAMING = 1 * MiB
#: One squat clip per request.
VIDEO_LIMIT = MAX_CLIP_BYTES + FRAMING
#: Watch files and export zips: several files per request, each at most ``MAX_UPLOAD_BYTES``.
IMPORT_LIMIT = 4 * MAX_UPLOAD_BYTES + FRAMING

#: Exact paths -> cap, for the routes that take uploads; everything else gets DEFAULT_LIMIT.
ROUTE_LIMITS: dict[str, int] = {
    "/selftests/video": VIDEO_LIMIT,
    "/api/v1/selftests/video": VIDEO_LIMIT,
    "/upload": IMPORT_LIMIT,
    "/api/v1/runs": IMPORT_LIMIT,
}


#: Scope key set when the body was cut off: "too_large" or "gone" (read by the access log).
ABORTED = "kneecoach.body_aborted"


def limit_for(path: str) -> int:
    """The body cap in bytes for a request path."""
    return ROUTE_LIMITS.get(path.rstrip("/") or "/", DEFAULT_LIMIT)


def _message(limit: int) -> str:
    return f"The request is too large: at most {limit / MiB:.0f} MB is accepted here."


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the streamed body passes the cap; an HTTPException, so the app's
    own error handler answers (413, readable) when it is raised inside a route."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_message(limit), headers={"Connection": "close"})


class ClientGone(ClientDisconnect):
    """The client disconnected before it had sent its whole body."""


class BodyLimitMiddleware:
    """Caps request bodies by route class (see the module docstring)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", "/"))
        declared = _content_length(scope)
        if declared is not None and (declared < 0 or declared > limit):
            await _refuse(scope, send, 413 if declared > limit else 400,
                          _message(limit) if declared > limit else "Bad Content-Length.")
            return
        state = {"received": 0, "done": False, "gone": False, "started": False, "too_large": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    scope[ABORTED] = "too_large"
                    raise BodyTooLarge(limit)
                if not message.get("more_body", False):
                    state["done"] = True
            elif message["type"] == "http.disconnect" and not state["done"]:
                state["gone"] = True
                scope[ABORTED] = "gone"
                raise ClientGone()
            return message

        async def tracked_send(message: Message) -> None:
            if state["gone"]:
                return  # nobody is listening; an error page for a vanished client is noise
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:  # noqa: BLE001 - inner middleware may wrap ours in an ExceptionGroup: judge by the flags
            if state["too_large"]:
                if not state["started"]:
                    await _refuse(scope, send, 413, _message(limit), logged=True)
            elif not state["gone"]:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


def _route_class(path: str) -> str:
    """The first path segment only: enough to read the log, no ids in it."""
    return "/" + path.lstrip("/").split("/", 1)[0]


async def _refuse(scope: Scope, send: Send, status: int, detail: str, *, logged: bool = False) -> None:
    """A small answer sent without touching the body: JSON for the API (and the upload page's XHR,
    which asks for JSON), a line of HTML for pages.

    ``logged``: the request went through the app, so the access log has its line already.
    """
    if not logged:  # refused before the app (and its access log) saw it: one line here, route class only
        log.info("request body refused with %d (%s %s)", status, scope.get("method"), _route_class(scope.get("path", "/")))
    accept = next((v for k, v in scope.get("headers", ()) if k == b"accept"), b"")
    if scope.get("path", "").startswith("/api/") or (b"application/json" in accept and b"text/html" not in accept):
        body, ctype = json.dumps({"detail": detail}).encode(), b"application/json"
    else:
        body = (f"<!doctype html><title>{status}</title><p>{detail} "
                "<a href=\"/\">Back to kneecoach</a></p>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["DEFAULT_LIMIT", "IMPORT_LIMIT", "ROUTE_LIMITS", "VIDEO_LIMIT", "BodyLimitMiddleware", "limit_for"]
