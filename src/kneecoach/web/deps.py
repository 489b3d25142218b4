"""Request-scoped building blocks: the database session, the signed-in user, CSRF.

Routes ask for these with ``Depends`` so the rules live here once:
a route that needs a user gets 401/redirect without one; a route that shows
someone's health data calls :func:`viewable_owner`, which answers 404 (never
403, so ids cannot be probed) unless the viewer is the owner or a clinician
the owner invited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
import anyio.to_thread
from starlette.datastructures import FormData

from kneecoach.store import care, repo
from kneecoach.store.db import transaction
from kneecoach.store.models import User
from kneecoach.web.capacity import commit_limiter, database_gate
from kneecoach.web.security import CSRF_FORM_FIELD, CSRF_HEADER, csrf_matches
from kneecoach.web.sessions import close_session, open_session, session_user_id

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Viewer:
    """What every page's frame needs about the signed-in user, copied out of the ORM row.

    Pages and error pages render after a dependency may have raised, when the
    request's database session is already rolled back and closed; an ORM
    ``User`` then is detached and expired, and reading ``user.role`` in
    ``base.html`` raised ``DetachedInstanceError`` (a 500 instead of the 404
    for someone else's id, issue 23). A plain frozen copy cannot go stale.
    """

    id: int
    role: str
    display_name: str
    email: str
    distance_unit: str = "km"
    """The viewer's unit (issue 16): every page shows distances in it."""

    @classmethod
    def of(cls, user: User) -> "Viewer":
        return cls(id=user.id, role=user.role, display_name=user.display_name, email=user.email,
                   distance_unit=user.distance_unit)


def viewer_from_cookie(request: Request) -> Viewer | None:
    """The signed-in viewer for a request that ran no route (Starlette's own 404/405, a 500).

    Opens its own short read-only transaction, since no route dependency opened one, and asks
    what :func:`optional_user` asks: the live server-side session the cookie's id names, so an
    ended session never shows a signed-in navigation.
    """
    if "session" not in request.scope or not isinstance(request.session.get("sid"), str):
        return None
    factory = getattr(request.app.state, "session_factory", None)
    if factory is None:
        return None
    with transaction(factory) as db:
        user_id = session_user_id(db, request.session["sid"])
        user = db.get(User, user_id) if user_id is not None else None
        return None if user is None else Viewer.of(user)


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user; pages redirect, the API answers 401."""


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Always used through :data:`DB` (``scope="function"``) so the commit
    happens *before* the response is sent. With FastAPI's default scope the
    commit would run after a redirect has reached the browser, and the page it
    loads next could read the database before the write is visible (seen as
    "signed out right after sign-up" under load).

    A request first passes this worker's database gate
    (:func:`kneecoach.web.capacity.database_gate`), which lets as many
    requests use the database at once as there are request threads, and so
    pooled connections. A request holds its connection from its first query
    to the commit, across several hops to the thread pool; without the gate
    more requests than connections could each hold one while waiting for a
    thread, and the threads wait for connections (the pool deadlock of issue
    24). Waiting at the gate costs no thread and no connection. The session
    is made here (no connection yet); commit or rollback and close run in
    one hop to a thread, shielded from cancellation, on threads of their own
    (:func:`~kneecoach.web.capacity.commit_limiter`): a commit never queues
    behind new requests, so a SQLite write lock is held for milliseconds.
    """
    async with database_gate(request.app):
        session = request.app.state.session_factory()
        ok = False
        try:
            yield session
            ok = True
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_end_transaction, session, ok, limiter=commit_limiter(request.app))


def _end_transaction(session: Session, commit: bool) -> None:
    """Commit (or roll back) and close: the end of a request's unit of work, on a request thread."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def csrf_guard(request: Request) -> None:
    """Refuse a state-changing request without the session's CSRF token (403).

    Installed as an app-wide dependency so no POST route can forget it. The
    token comes from the ``X-CSRF-Token`` header (fetch/XHR and the JSON API)
    or the ``csrf_token`` form field (plain HTML forms). Reading the form here
    is cheap: Starlette caches the parsed form for the route.
    """
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if not presented:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            presented = value if isinstance(value, str) else None
    if not csrf_matches(request.session, presented):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token. Reload the page and try again.")


#: ``db: Session = DB``: the request's database session, committed before the response is sent.
DB = Depends(db_session, scope="function")


async def form_body(request: Request) -> FormData:
    """The request's parsed form, read on the event loop (reading a body is the only async work).

    Why a dependency: routes that read a free-form form can then be plain
    ``def`` routes, which FastAPI runs on the thread pool, so their database
    calls and password hashing never block the event loop (issue 24). The
    parse is cached by Starlette, so :func:`csrf_guard` reading it too costs
    nothing more.
    """
    return await request.form()


#: ``form: FormData = FORM``: the request's form fields, for a plain ``def`` route.
FORM = Depends(form_body)


def optional_user(request: Request, db: Session = DB) -> User | None:
    """The signed-in user, or None.

    The signed cookie carries only a random session id (and the CSRF token);
    who is signed in is looked up from the live server-side session it names
    (see :mod:`kneecoach.web.sessions`). Nothing derived from the account (its
    id, its password hash) is in the cookie. A cookie whose session was ended
    (logout, password change, erased account) is cleared, so a replayed copy is
    refused.
    """
    token = request.session.get("sid")
    if token is None:
        return None
    user_id = session_user_id(db, token)
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        request.session.clear()
        return None
    request.state.user = Viewer.of(user)  # for templates: safe after the session closes
    return user


def start_session(request: Request, db: Session, user: User) -> None:
    """Sign ``user`` in: a fresh stored session (new token, new CSRF token) to defeat session fixation."""
    end_session(request, db)
    request.session["sid"] = open_session(db, user.id)


def end_session(request: Request, db: Session) -> None:
    """Sign out this browser/client: the stored session is deleted, the cookie emptied."""
    close_session(db, request.session.get("sid"))
    request.session.clear()


def current_user(user: User | None = Depends(optional_user)) -> User:
    if user is None:
        raise LoginRequired()
    return user


def current_runner(user: User = Depends(current_user)) -> User:
    if user.role != "runner":
        raise HTTPException(status_code=403, detail="This page is for runners.")
    return user


def current_clinician(user: User = Depends(current_user)) -> User:
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="This page is for clinicians/coaches.")
    return user


def viewable_owner(owner_id: int, request: Request, user: User = Depends(current_user), db: Session = DB) -> User:
    """The runner whose data the route shows, if ``user`` may see it; else 404.

    Every use by someone other than the runner leaves an access-log row (who, what, when, route)
    in the same transaction as the route's own work, so no read goes unrecorded.
    """
    if owner_id <= 0 or not repo.can_view(db, user.id, owner_id):
        raise HTTPException(status_code=404, detail="Not found.")
    owner = db.get(User, owner_id)
    if owner is None or owner.role != "runner":
        raise HTTPException(status_code=404, detail="Not found.")
    if user.id != owner.id:
        action = "read" if request.method in SAFE_METHODS else "change"
        care.log_access(db, owner.id, user, action, access_what(request), request.url.path)
    return owner


def changeable_owner(owner_id: int, request: Request, user: User = Depends(current_user), db: Session = DB) -> User:
    """The runner whose plan a clinician changes: 404 unless linked, 403 without consent to changes.

    Consent is read from the database on every request, so a withdrawal holds at once on every worker.
    """
    if user.role != "clinician":
        raise HTTPException(status_code=404, detail="Not found.")
    owner = viewable_owner(owner_id, request, user, db)
    if not care.can_change(db, user.id, owner.id):
        raise HTTPException(status_code=403, detail=f"{owner.display_name} has not given you consent to change "
                            "their plan. They can give it on their home page.")
    return owner


def access_what(request: Request) -> str:
    """What a route shows, in a word or two, from its path template (``/u/{owner_id}/plan.pdf`` -> ``plan.pdf``)."""
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    tail = template.split("{owner_id}", 1)[-1].strip("/")
    return tail.replace("/", " ") or "overview"
