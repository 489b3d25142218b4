"""Passwords, the session secret, CSRF tokens and login throttling.

Kept apart from the routes so the security decisions are in one small file a
reviewer can read end to end:

* passwords are hashed with argon2id (argon2-cffi's defaults, which follow
  RFC 9106's recommendations) and never logged or echoed back;
* the session cookie is signed by Starlette's ``SessionMiddleware``
  (itsdangerous) with a key from ``KNEECOACH_SECRET_KEY`` or a random key made
  once and kept in the user's data folder with 0600 permissions;
* every state-changing request carries a synchronizer token that lives in the
  signed session; it is compared with :func:`hmac.compare_digest`;
* login, sign-up and invite attempts are throttled in the database (shared by
  every worker and host): see :mod:`kneecoach.web.throttle`; sessions are
  revocable on the server: see :mod:`kneecoach.web.sessions`.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SECRET_ENV = "KNEECOACH_SECRET_KEY"
CSRF_SESSION_KEY = "csrf"
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()

#: A valid hash of a random password; verifying against it when the e-mail is
#: unknown keeps login timing the same for known and unknown accounts.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash (``$argon2id$...``) of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a missing/corrupt hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def data_dir() -> Path:
    """The user's kneecoach data folder (``$XDG_DATA_HOME/kneecoach``), created 0700 if absent."""
    from kneecoach.store.db import private_folder

    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return private_folder(base / "kneecoach")


def load_secret_key(folder: Path | None = None) -> str:
    """The session-signing key: ``KNEECOACH_SECRET_KEY``, else a stored random key.

    The stored key is created once with ``O_EXCL`` and mode 0600 so two
    workers starting together agree on one key and no other local user can
    read it. A key file that others can read is refused rather than used,
    because anyone holding it can forge sessions.
    """
    env = os.environ.get(SECRET_ENV)
    if env:
        if len(env) < 16:
            raise ValueError(f"{SECRET_ENV} is too short: use at least 16 random characters")
        return env
    path = (folder or data_dir()) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise PermissionError(f"{path} is readable by other users (mode {mode:o}); chmod 600 it") from None
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 16:
            raise ValueError(f"{path} holds no usable key; delete it to make a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def csrf_token(session: dict) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_matches(session: dict, presented: str | None) -> bool:
    """Constant-time comparison of a presented token with the session's token."""
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())
