"""Server-side sessions: what makes logout, password change and "log out everywhere" final.

The signed cookie (Starlette's ``SessionMiddleware``) carries a random
session token (and the CSRF token), nothing about the account: the token's
SHA-256 is a live row in ``user_sessions``, which says who is signed in. Deleting the row ends the session for every worker and
host that shares the database, so a cookie copied before logout is refused
afterwards (a signed cookie alone would stay valid until it expired).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kneecoach.store.models import UserSession

#: How long a sign-in lasts without signing in again.
SESSION_LIFETIME = timedelta(days=7)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def open_session(db: Session, user_id: int, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """Store a new session for ``user_id`` and return its token (for the cookie only)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    db.add(UserSession(user_id=user_id, token_hash=_digest(token), created_at=now, expires_at=now + lifetime))
    # Expired rows (anyone's; indexed) are cleared here, so the table stays small without a cron job.
    db.execute(delete(UserSession).where(UserSession.expires_at < now))
    db.flush()
    return token


def session_is_live(db: Session, user_id: int, token: object) -> bool:
    """True when ``token`` names an unexpired stored session of ``user_id``."""
    if not isinstance(token, str) or not token:
        return False
    row = db.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    return row is not None and row.user_id == user_id and _aware(row.expires_at) > _now()


def session_user_id(db: Session, token: object) -> int | None:
    """The user id of the unexpired stored session ``token`` names, or None (the cookie holds nothing else)."""
    if not isinstance(token, str) or not token:
        return None
    row = db.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    return row.user_id if row is not None and _aware(row.expires_at) > _now() else None


def close_session(db: Session, token: object) -> None:
    """End one session (logout). Unknown tokens are ignored."""
    if isinstance(token, str) and token:
        db.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def close_all_sessions(db: Session, user_id: int) -> int:
    """End every session of ``user_id`` (password change, reset, log out everywhere); returns how many."""
    result = db.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return int(result.rowcount or 0)


def live_session_count(db: Session, user_id: int) -> int:
    """How many unexpired sessions the user has (shown on the account page)."""
    rows = db.scalars(select(UserSession.expires_at).where(UserSession.user_id == user_id)).all()
    now = _now()
    return sum(1 for expires in rows if _aware(expires) > now)
