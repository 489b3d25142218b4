"""Sign up, log in, log out (HTML forms).

Failed logins say only "e-mail or password is wrong" (no account probing),
are throttled in the database (:mod:`kneecoach.web.throttle`) per account and
address with a slower per-account backoff, and nothing typed into these forms
is ever logged. Sign-up answers the same whether or not the e-mail is already
registered (it never signs in; the new runner signs in next), so the form
cannot be used to learn who has an account.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kneecoach.store import repo
from kneecoach.store.models import User
from kneecoach.web.accounts import normalise_email, validate_signup
from kneecoach.web import throttle as limits
from kneecoach.web.deps import DB, FORM, end_session, optional_user, start_session
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


class Refused(Exception):
    """An attempt refused by a throttle; ``retry_after`` whole seconds until the next is allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(limits.refusal(retry_after))
        self.retry_after = retry_after


def authenticate(request: Request, db: Session, email: str, password: str) -> tuple[User | None, str | None]:
    """Check a login; returns (user, None) or (None, readable error). Shared with the JSON API.

    Raises :class:`Refused` (429 + ``Retry-After``) while a throttle rule
    blocks this account+address, this address, or (backoff) this account.
    """
    throttle: limits.DbThrottle = request.app.state.throttle
    checks = limits.login_checks(normalise_email(email), client_ip(request))
    wait, ticket = throttle.acquire(checks, db=db)  # counted before the password is checked: no racing past it
    if wait > 0:
        raise Refused(wait)
    user = repo.get_user_by_email(db, email) if email else None
    if user is None or not verify_password(user.password_hash, password):
        log.info("login failed")  # no e-mail, no password: nothing personal in logs
        return None, "E-mail or password is wrong."
    throttle.release(ticket, db=db)
    throttle.clear(checks[0][1], db=db)
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


#: What sign-up says for every valid form, new e-mail or not.
SIGNUP_DONE = "If that e-mail address was not registered yet, your account is ready: sign in with it below."


@router.post("/signup")
def signup(request: Request, form: FormData = FORM, db: Session = DB) -> Response:
    values = {k: str(form.get(k, "")) for k in ("email", "display_name", "role")}
    password = str(form.get("password", ""))
    errors = validate_signup(values["email"], values["display_name"], password, values["role"])
    throttle: limits.DbThrottle = request.app.state.throttle
    wait = throttle.acquire(limits.signup_checks(client_ip(request)), db=db)[0] if not errors else 0  # counts sign-ups
    if wait > 0:
        errors["form"] = limits.refusal(wait)
        return render(request, "signup.html", {"values": values, "errors": errors}, status_code=429,
                      headers={"Retry-After": str(wait)})
    if not errors:
        password_hash = hash_password(password)  # hashed either way: the same time for known e-mails
        if repo.get_user_by_email(db, values["email"]) is None:
            try:
                with db.begin_nested():
                    repo.create_user(db, values["email"], values["display_name"], values["role"],
                                     password_hash=password_hash)
            except (repo.RepoError, IntegrityError):
                pass  # registered by a concurrent request: answer exactly as for a known e-mail
        end_session(request, db)
        flash(request, SIGNUP_DONE)
        return RedirectResponse("/login", status_code=303)
    return render(request, "signup.html", {"values": values, "errors": errors}, status_code=400)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"values": {}, "error": None, "next": _safe_next(next)})


@router.post("/login")
def login(request: Request, form: FormData = FORM, db: Session = DB) -> Response:
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "")))
    try:
        user, error = authenticate(request, db, email, password)
    except Refused as exc:
        return render(request, "login.html", {"values": {"email": email}, "error": str(exc), "next": nxt},
                      status_code=429, headers={"Retry-After": str(exc.retry_after)})
    if user is None:
        return render(request, "login.html", {"values": {"email": email}, "error": error, "next": nxt},
                      status_code=400)
    start_session(request, db, user)
    return RedirectResponse(nxt, status_code=303)


@router.post("/logout")
def logout(request: Request, db: Session = DB) -> Response:
    end_session(request, db)
    return RedirectResponse("/", status_code=303)
