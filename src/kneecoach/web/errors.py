"""One error answer for every status: an HTML page for a browser, JSON for the API.

Registered for Starlette's ``HTTPException`` (so a URL that matches no route,
or a method a route does not take, gets the same page as the app's own
errors), for request-validation errors, and for any unhandled exception (500).
A browser (``Accept`` naming ``text/html``, not under ``/api/``) gets
``error.html``: a title, ``lang``, the navigation for a signed-in user, a way
back and the request id to quote; everything else gets
``{"detail", "status", "request_id"}``.

Someone else's id answers exactly like an id that does not exist:
:func:`kneecoach.web.deps.viewable_owner` raises the same 404 for both, and
this module renders both alike.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kneecoach.web.deps import viewer_from_cookie
from kneecoach.web.templating import render

log = logging.getLogger("kneecoach.web")

#: A heading and a plain-words explanation for each status a person may meet.
_TITLES: dict[int, tuple[str, str]] = {
    400: ("Something in the request is wrong", "The page could not use what was sent."),
    403: ("Not allowed", "You cannot do this with the account you are signed in with."),
    404: ("Page not found", "There is no page at this address, or it is not yours to see."),
    405: ("Not possible here", "This address does not accept that kind of request."),
    409: ("Already changed", "Someone or something changed this first. Reload and try again."),
    413: ("Too large", "What you sent is larger than this server accepts."),
    422: ("Please check what you entered", "Some of what was sent could not be used."),
    429: ("Too many tries", "Please wait a little, then try again."),
    500: ("Something went wrong on our side", "The error was logged. Please try again later."),
    503: ("Busy right now", "The server is busy. Please try again in a moment."),
}


def wants_html(request: Request) -> bool:
    """A browser page load: not the API, and ``Accept`` asks for HTML before (or without) JSON."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "").lower()
    html, json_ = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json_ < 0 or html < json_)


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


def error_response(request: Request, status: int, detail: Any, headers: dict[str, str] | None = None) -> Response:
    """The one error answer: ``error.html`` for a browser, JSON otherwise (same status, same headers)."""
    request_id = _request_id(request)
    out_headers = dict(headers or {})
    if request_id:
        out_headers.setdefault("X-Request-ID", request_id)
    if not wants_html(request) or "session" not in request.scope:  # no session: cannot render a page
        body = {"detail": detail, "status": status, "request_id": request_id or None}
        return JSONResponse(body, status_code=status, headers=out_headers)
    if getattr(request.state, "user", None) is None:
        try:  # a request that ran no route (unknown URL): look the viewer up for the navigation
            request.state.user = viewer_from_cookie(request)
        except Exception:  # the database itself may be the error; the page must still render
            log.warning("error page without viewer: database lookup failed")
    heading, explanation = _TITLES.get(status, (HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_
                                                else "Error", ""))
    message = detail if isinstance(detail, str) else None
    if message and status in HTTPStatus._value2member_map_ and \
            message.strip(" .").lower() == HTTPStatus(status).phrase.lower():
        message = None  # "Not Found." says nothing the heading does not
    return render(request, "error.html", {
        "status": status, "heading": heading, "explanation": explanation,
        "message": message if status != 500 else None, "request_id": request_id,
    }, status_code=status, headers=out_headers)


def _validation_message(exc: RequestValidationError) -> tuple[list[dict[str, Any]], str]:
    errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
    text = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in errors)
    return errors, text


def install(app: FastAPI) -> None:
    """Register the handlers on ``app`` (sync functions: Starlette runs them in its thread pool,
    so the viewer look-up for an unknown URL never blocks the event loop)."""

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors, text = _validation_message(exc)
        return error_response(request, 422, errors if not wants_html(request) else text)

    @app.exception_handler(Exception)
    def _server_error(request: Request, exc: Exception) -> Response:
        # The traceback goes to the server log (no request data in it); the page names the request id.
        log.error("unhandled %s on %s %s (request %s)", type(exc).__name__, request.method,
                  getattr(request.scope.get("route"), "path", "(unmatched)"), _request_id(request),
                  exc_info=exc)
        return error_response(request, 500, "Internal server error.")
