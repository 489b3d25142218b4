"""Account and data rights: password change, log out everywhere, export, FHIR, erasure.

HTML pages under ``/account`` and the same actions in the JSON API under
``/api/v1/account``. Every action here acts on the signed-in person only,
except the FHIR export, which a linked clinician may also fetch through
:func:`~kneecoach.web.deps.viewable_owner`. Destructive actions need the
current password again: a stolen, still-open session alone cannot change the
password or erase the account, and those password checks are throttled like sign-in (per account
and address, 429 with ``Retry-After``), so a stolen session cannot be used to guess the password.
Erasure goes through :func:`kneecoach.web.erasure.erase_account` (video jobs and files, throttle
rows, then every row).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kneecoach.render.fhir import bundle_for_owner
from kneecoach.store.models import User
from kneecoach.store.portability import export_zip
from kneecoach.web import throttle as limits
from kneecoach.web.accounts import MIN_PASSWORD
from kneecoach.web.deps import DB, FORM, current_user, end_session, start_session, viewable_owner
from kneecoach.web.erasure import erase_account
from kneecoach.web.routes_auth import Refused, client_ip
from kneecoach.web.security import hash_password, verify_password
from kneecoach.web.sessions import close_all_sessions, live_session_count
from kneecoach.web.templating import flash, render

log = logging.getLogger("kneecoach.web.account")
router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"])

ERASE_WORD = "erase"
FHIR_MEDIA = "application/fhir+json"


def password_problems(current_ok: bool, new: str, confirm: str) -> dict[str, str]:
    """Field -> message for a password change form (empty when fine)."""
    errors: dict[str, str] = {}
    if not current_ok:
        errors["current_password"] = "Your current password is wrong."
    if len(new) < MIN_PASSWORD:
        errors["new_password"] = f"Use at least {MIN_PASSWORD} characters."
    elif len(new) > 1024:
        errors["new_password"] = "That password is too long (1024 characters at most)."
    if new != confirm:
        errors["confirm_password"] = "The two new passwords differ."
    return errors


def check_current_password(request: Request, db: Session, user: User, password: str) -> bool:
    """Verify the signed-in person's current password, counted by the throttle.

    Counted in the request's own session (one connection per request), committed at once when wrong.
    Raises :class:`~kneecoach.web.routes_auth.Refused` while this account (from this address, or
    from anywhere with the slower backoff) has had too many wrong tries. A right password is not
    counted and clears this address's count, as for sign-in.
    """
    throttle: limits.DbThrottle = request.app.state.throttle
    checks = limits.password_checks(user.id, client_ip(request))
    wait, ticket = throttle.acquire(checks, db=db)  # counted before the check, so parallel guesses cannot race past
    if wait > 0:
        raise Refused(wait)
    if not verify_password(user.password_hash, password):
        log.info("current password wrong")
        db.commit()  # the wrong try stays counted even when the route then answers with an error (rollback)
        return False
    throttle.release(ticket, db=db)
    throttle.clear(checks[0][1], db=db)
    return True


def _api_refused(exc: Refused) -> HTTPException:
    return HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)})


def change_password(request: Request, db: Session, user: User, new: str) -> None:
    """Store the new hash and end every session, then sign this client in again (fresh session)."""
    user.password_hash = hash_password(new)
    close_all_sessions(db, user.id)
    start_session(request, db, user)
    log.info("password changed")


def _zip_response(db: Session, user: User) -> Response:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    return Response(export_zip(db, user.id), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="kneecoach-export-{stamp}.zip"'})


def _fhir_response(db: Session, owner: User) -> Response:
    bundle = bundle_for_owner(db, owner.id)
    return Response(bundle.model_dump_json(by_alias=True, exclude_none=True), media_type=FHIR_MEDIA,
                    headers={"Content-Disposition": f'attachment; filename="kneecoach-fhir-{owner.id}.json"'})


def _account_page(request: Request, db: Session, user: User, errors: dict[str, str] | None = None,
                  status_code: int = 200, erase_error: str | None = None,
                  headers: dict[str, str] | None = None) -> Response:
    return render(request, "account.html", {"errors": errors or {}, "erase_error": erase_error,
                                            "sessions": live_session_count(db, user.id), "erase_word": ERASE_WORD},
                  status_code=status_code, headers=headers)


# --------------------------------------------------------------------------- HTML


@router.get("/account")
def account(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    return _account_page(request, db, user)


@router.post("/account/password")
def account_password(request: Request, form: FormData = FORM, user: User = Depends(current_user),
                     db: Session = DB) -> Response:
    current, new, confirm = (str(form.get(k, "")) for k in ("current_password", "new_password", "confirm_password"))
    try:
        current_ok = check_current_password(request, db, user, current)
    except Refused as exc:
        return _account_page(request, db, user, {"current_password": str(exc)}, status_code=429,
                             headers={"Retry-After": str(exc.retry_after)})
    errors = password_problems(current_ok, new, confirm)
    if errors:
        return _account_page(request, db, user, errors, status_code=400)
    change_password(request, db, user, new)
    flash(request, "Password changed. Every other browser and device is signed out.")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/logout-everywhere")
def account_logout_everywhere(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    close_all_sessions(db, user.id)
    end_session(request, db)
    flash(request, "You are signed out on every browser and device.")
    return RedirectResponse("/login", status_code=303)


@router.get("/account/export.zip")
def account_export(user: User = Depends(current_user), db: Session = DB) -> Response:
    return _zip_response(db, user)


@router.get("/u/{owner_id}/fhir.json")
def owner_fhir(owner: User = Depends(viewable_owner), db: Session = DB) -> Response:
    return _fhir_response(db, owner)


@router.post("/account/erase")
def account_erase(request: Request, form: FormData = FORM, user: User = Depends(current_user),
                  db: Session = DB) -> Response:
    failed = f"Nothing was deleted: type '{ERASE_WORD}' and your current password."
    if str(form.get("confirm", "")).strip().lower() != ERASE_WORD:
        return _account_page(request, db, user, status_code=400, erase_error=failed)
    try:
        if not check_current_password(request, db, user, str(form.get("password", ""))):
            return _account_page(request, db, user, status_code=400, erase_error=failed)
    except Refused as exc:
        return _account_page(request, db, user, status_code=429, erase_error=f"Nothing was deleted. {exc}",
                             headers={"Retry-After": str(exc.retry_after)})
    erase_account(request.app, db, user)
    request.session.clear()
    flash(request, "Your account and all its data are deleted.")
    return RedirectResponse("/", status_code=303)


# --------------------------------------------------------------------------- JSON API


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=1024)
    confirm: str = Field(description=f"Must be '{ERASE_WORD}'.")


@api.post("/account/password", status_code=204, summary="Change the password; ends every other session")
def api_password(body: PasswordIn, request: Request, user: User = Depends(current_user), db: Session = DB) -> None:
    try:
        current_ok = check_current_password(request, db, user, body.current_password)
    except Refused as exc:
        raise _api_refused(exc) from exc
    errors = password_problems(current_ok, body.new_password, body.new_password)
    if errors:
        raise HTTPException(status_code=403 if "current_password" in errors else 422,
                            detail="; ".join(f"{k}: {v}" for k, v in errors.items()))
    change_password(request, db, user, body.new_password)


@api.post("/account/logout-everywhere", status_code=204, summary="End every session of this account")
def api_logout_everywhere(request: Request, user: User = Depends(current_user), db: Session = DB) -> None:
    close_all_sessions(db, user.id)
    end_session(request, db)


@api.get("/account/export", summary="Everything stored about you: a zip of JSON files and a README")
def api_export(user: User = Depends(current_user), db: Session = DB) -> Response:
    return _zip_response(db, user)


@api.get("/users/{owner_id}/fhir", summary="FHIR R4 Bundle: Kujala, scores, plan, referral")
def api_fhir(owner: User = Depends(viewable_owner), db: Session = DB) -> Response:
    return _fhir_response(db, owner)


@api.post("/account/erase", status_code=204, summary="Delete the account and all its data (needs the password)")
def api_erase(body: EraseIn, request: Request, user: User = Depends(current_user), db: Session = DB) -> None:
    if body.confirm.strip().lower() != ERASE_WORD:
        raise HTTPException(status_code=422, detail=f"confirm: type '{ERASE_WORD}' to delete the account.")
    try:
        if not check_current_password(request, db, user, body.password):
            raise HTTPException(status_code=403, detail="password: wrong password; nothing was deleted.")
    except Refused as exc:
        raise _api_refused(exc) from exc
    erase_account(request.app, db, user)
    request.session.clear()
