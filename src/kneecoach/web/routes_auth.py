"""Sign up, log in, log out (HTML forms).

Failed logins say only "e-mail or password is wrong" (no account probing),
are throttled per client IP and per e-mail, and nothing typed into these
forms is ever logged.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.models import User
from kneecoach.web.accounts import normalise_email, validate_signup
from kneecoach.web.deps import DB, optional_user, start_session
from kneecoach.web.security import hash_password, needs_rehash, verify_password
from kneecoach.web.templating import flash, render

log = logging.getLogger("kneecoach.web.auth")
router = APIRouter(include_in_schema=False)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/home"


def authenticate(request: Request, db: Session, email: str, password: str) -> tuple[User | None, str | None]:
    """Check a login; returns (user, None) or (None, readable error). Shared with the JSON API."""
    throttle = request.app.state.login_throttle
    keys = (f"ip:{client_ip(request)}", f"email:{normalise_email(email)}")
    wait = throttle.retry_after(*keys)
    if wait > 0:
        return None, f"Too many failed attempts. Try again in {int(wait) + 1} seconds."
    user = repo.get_user_by_email(db, email) if email else None
    if user is None or not verify_password(user.password_hash, password):
        throttle.failed(*keys)
        log.info("login failed")  # no e-mail, no password: nothing personal in logs
        return None, "E-mail or password is wrong."
    throttle.succeeded(keys[1])
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user, None


@router.get("/")
def index(request: Request, user: User | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse("/home", status_code=303)
    return render(request, "index.html")


@router.get("/signup")
def signup_form(request: Request, user: User | None = Depends(optional_user)) -> Response:
    return render(request, "signup.html", {"values": {"role": "runner"}, "errors": {}})


@router.post("/signup")
async def signup(request: Request, db: Session = DB) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("email", "display_name", "role")}
    password = str(form.get("password", ""))
    errors = validate_signup(values["email"], values["display_name"], password, values["role"])
    throttle = request.app.state.signup_throttle
    if not errors and throttle.retry_after(f"ip:{client_ip(request)}") > 0:
        errors["form"] = "Too many sign-ups from this address; try again later."
    if not errors:
        try:
            user = repo.create_user(db, values["email"], values["display_name"], values["role"],
                                    password_hash=hash_password(password))
        except repo.RepoError as exc:
            errors["email"] = str(exc).capitalize() + "."
        else:
            throttle.failed(f"ip:{client_ip(request)}")  # counts sign-ups, not failures
            start_session(request, user)
            flash(request, "Welcome! Your account is ready.")
            return RedirectResponse("/home", status_code=303)
    return render(request, "signup.html", {"values": values, "errors": errors}, status_code=400)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"values": {}, "error": None, "next": _safe_next(next)})


@router.post("/login")
async def login(request: Request, db: Session = DB) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "")))
    user, error = authenticate(request, db, email, password)
    if user is None:
        status = 429 if error and error.startswith("Too many") else 400
        return render(request, "login.html", {"values": {"email": email}, "error": error, "next": nxt},
                      status_code=status)
    start_session(request, user)
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)
