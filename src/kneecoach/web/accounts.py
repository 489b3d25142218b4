"""Sign-up checks and care-link housekeeping the store's repo does not cover.

Accounts are created and invites issued/accepted through
:mod:`kneecoach.store.repo`; this module adds the web-only parts: readable
per-field sign-up validation, listing a runner's invites, and revoking one.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kneecoach.store.models import CareLink, User

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
ROLES = ("runner", "clinician")
MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_signup(email: str, display_name: str, password: str, role: str) -> dict[str, str]:
    """Field -> message for every problem in a sign-up form (empty when fine)."""
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(normalise_email(email)) or len(email) > 254:
        errors["email"] = "Enter an e-mail address like name@example.org."
    if not display_name.strip() or len(display_name) > 100:
        errors["display_name"] = "Enter a name of 1 to 100 characters."
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"Use at least {MIN_PASSWORD} characters."
    elif len(password) > 1024:
        errors["password"] = "That password is too long (1024 characters at most)."
    if role not in ROLES:
        errors["role"] = "Choose runner or clinician/coach."
    return errors


def revoke_link(session: Session, runner: User, link_id: int) -> bool:
    """A runner withdraws an invite or a clinician's access. False if not theirs."""
    link = session.get(CareLink, link_id)
    if link is None or link.runner_id != runner.id:
        return False
    session.delete(link)
    session.flush()
    return True


def links_of_runner(session: Session, runner_id: int) -> list[CareLink]:
    return list(session.scalars(select(CareLink).where(CareLink.runner_id == runner_id).order_by(CareLink.id)))


