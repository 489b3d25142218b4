"""Request-scoped building blocks: the database session, the signed-in user, CSRF.

Routes ask for these with ``Depends`` so the rules live here once:
a route that needs a user gets 401/redirect without one; a route that shows
someone's health data calls :func:`viewable_owner`, which answers 404 (never
403, so ids cannot be probed) unless the viewer is the owner or a clinician
the owner invited.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.db import transaction
from kneecoach.store.models import User
from kneecoach.web.security import CSRF_FORM_FIELD, CSRF_HEADER, csrf_matches
from kneecoach.web.sessions import close_session, open_session, session_user_id

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in user; pages redirect, the API answers 401."""


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Always used through :data:`DB` (``scope="function"``) so the commit
    happens *before* the response is sent. With FastAPI's default scope the
    commit would run after a redirect has reached the browser, and the page it
    loads next could read the database before the write is visible (seen as
    "signed out right after sign-up" under load).
    """
    with transaction(request.app.state.session_factory) as session:
        yield session


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
    request.state.user = user
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


def viewable_owner(owner_id: int, user: User = Depends(current_user), db: Session = DB) -> User:
    """The runner whose data the route shows, if ``user`` may see it; else 404."""
    if owner_id <= 0 or not repo.can_view(db, user.id, owner_id):
        raise HTTPException(status_code=404, detail="Not found.")
    owner = db.get(User, owner_id)
    if owner is None or owner.role != "runner":
        raise HTTPException(status_code=404, detail="Not found.")
    return owner
