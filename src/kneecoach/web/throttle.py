"""Attempt limits counted in the database, so they hold across workers and hosts.

Why the database: it is the one store every ``kneecoach serve`` worker and
every host behind a load balancer already shares, so no extra service
(Redis, memcached) is needed to make ``--workers 4`` count once, not four
times. The cost is one indexed ``SELECT`` and at most one ``INSERT`` per
login, sign-up or invite attempt, which is small next to argon2.

Keys are SHA-256 digests of what is counted, so the table holds no e-mail
addresses or IP addresses. Each attempt is checked against several
:class:`Rule` s at once; the caller picks keys so that an attacker at one
address cannot lock the owner out from another:

* ``account+address``: a tight limit; this is what stops password guessing
  from one place, and it does not touch the owner at another address;
* ``account``: a *slower backoff*, not a lock: once many failures from
  anywhere pile up, one attempt is allowed every ``backoff_s`` seconds
  (doubling, capped), so a distributed guesser is slowed to a crawl while
  the owner waits seconds, never hours;
* ``address``: a broad limit against one address spraying many accounts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.store.db import transaction
from kneecoach.store.models import AuthAttempt


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` counted attempts per ``window_s`` for keys with this ``scope``.

    With ``backoff_s`` set, going over the limit does not block for the rest
    of the window: it spaces attempts ``backoff_s * 2**(over-1)`` seconds
    apart (capped at ``max_backoff_s``) after the latest one.
    """

    scope: str
    limit: int
    window_s: float
    backoff_s: float | None = None
    max_backoff_s: float = 60.0


def key_for(scope: str, *parts: str) -> str:
    """The stored key: the scope in clear (for operators) and a digest of the parts."""
    digest = hashlib.sha256("\x1f".join(p.strip().lower() for p in parts).encode("utf-8")).hexdigest()
    return f"{scope}:{digest}"[:80]


def account_key(scope: str, account: str, *parts: str) -> str:
    """A key for an account *and* something else (an address), findable from the account alone.

    The digest of the account comes first, so erasing the account can delete every such row
    (:func:`erase_account_rows`) without knowing the addresses it was used from.
    """
    first = hashlib.sha256(account.strip().lower().encode("utf-8")).hexdigest()[:24]
    rest = hashlib.sha256("\x1f".join(p.strip().lower() for p in (account, *parts)).encode("utf-8")).hexdigest()
    return f"{scope}:{first}.{rest}"[:80]


def _account_prefix(scope: str, account: str) -> str:
    return account_key(scope, account).split(".", 1)[0] + "."


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class DbThrottle:
    """Counts attempts in ``auth_attempts`` in short, committed transactions.

    Committed at once because a refused or failed request may roll its
    request transaction back, and a failed attempt must still be counted.
    Routes pass their request's session as ``db``: each step then commits
    that session instead of opening a second one, so a request holds at most
    one pooled connection (two per sign-in used to deadlock a busy worker's
    pool, issue 24). Without ``db`` each step uses its own transaction.

    :meth:`acquire` is what the routes use: it *first* stores the attempt
    (committed), *then* counts. Two workers racing on one key therefore each
    see the other's row, so concurrent requests cannot slip past a limit
    together (at worst both are refused); checking first and recording
    afterwards would let every in-flight request through.
    """

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] | None = None) -> None:
        self._factory = session_factory
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    @staticmethod
    def _wait(db: Session, checks: Sequence[tuple[Rule, str]], now: datetime, own: Sequence[int]) -> float:
        """Seconds to wait, counting the stored rows (``own`` among them) or one prospective attempt."""
        wait = 0.0
        for rule, key in checks:
            since = now - timedelta(seconds=rule.window_s)
            recent = (AuthAttempt.key == key, AuthAttempt.at > since)
            count, oldest = db.execute(select(func.count(AuthAttempt.id), func.min(AuthAttempt.at)).where(*recent)).one()
            count += 0 if own else 1  # the attempt being judged
            if count <= rule.limit:
                continue
            if rule.backoff_s is None:
                until = _aware(oldest) + timedelta(seconds=rule.window_s)
            else:
                latest = db.scalar(select(func.max(AuthAttempt.at)).where(*recent, AuthAttempt.id.not_in(own)))
                over = count - rule.limit
                step = min(rule.max_backoff_s, rule.backoff_s * 2 ** min(over - 1, 30))
                until = _aware(latest) + timedelta(seconds=step) if latest is not None else now
            wait = max(wait, (until - now).total_seconds())
        return wait

    @contextmanager
    def _step(self, db: Session | None) -> Iterator[Session]:
        """One committed step: on the caller's session (committed here) or a transaction of its own."""
        if db is None:
            with transaction(self._factory) as own:
                yield own
            return
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def retry_after(self, checks: Sequence[tuple[Rule, str]], *, db: Session | None = None) -> int:
        """Whole seconds until one more attempt would be allowed under every (rule, key); 0 when now."""
        now = self._clock()
        with self._step(db) as s:
            wait = self._wait(s, checks, now, ())
        return math.ceil(wait) if wait > 0 else 0

    def acquire(self, checks: Sequence[tuple[Rule, str]], horizon_s: float = 24 * 3600, *,
                db: Session | None = None) -> tuple[int, list[int]]:
        """Count an attempt under every key, then judge it.

        Returns ``(0, ids)`` when allowed (the stored rows; pass them to
        :meth:`release` if the attempt should not count, e.g. a correct
        password), or ``(seconds, [])`` when refused (nothing is kept, so
        hammering a refused key does not extend its wait).
        """
        now = self._clock()
        with self._step(db) as s:
            rows = [AuthAttempt(key=key, at=now) for _rule, key in checks]
            s.add_all(rows)
            s.flush()
            ids = [r.id for r in rows]
            s.execute(delete(AuthAttempt).where(AuthAttempt.at < now - timedelta(seconds=horizon_s)))
        with self._step(db) as s:
            wait = self._wait(s, checks, now, ids)
            if wait > 0:
                s.execute(delete(AuthAttempt).where(AuthAttempt.id.in_(ids)))
                refused = math.ceil(wait)
            else:
                refused = 0
        return (refused, []) if refused else (0, ids)

    def release(self, ids: Sequence[int], *, db: Session | None = None) -> None:
        """Un-count attempts taken by :meth:`acquire` (a successful login does not count against anyone)."""
        if ids:
            with self._step(db) as s:
                s.execute(delete(AuthAttempt).where(AuthAttempt.id.in_(ids)))

    def record(self, *keys: str, horizon_s: float = 24 * 3600, db: Session | None = None) -> None:
        """Count one attempt under each key without judging it; rows older than ``horizon_s`` are dropped."""
        now = self._clock()
        with self._step(db) as s:
            s.add_all(AuthAttempt(key=k, at=now) for k in keys)
            s.execute(delete(AuthAttempt).where(AuthAttempt.at < now - timedelta(seconds=horizon_s)))

    def clear(self, *keys: str, db: Session | None = None) -> None:
        """Forget a key's attempts (after a successful login from that account and address)."""
        with self._step(db) as s:
            s.execute(delete(AuthAttempt).where(AuthAttempt.key.in_(keys)))


#: The limits kneecoach uses. Tuned for people, not scripts: five wrong
#: passwords from one place in 15 minutes; past 20 failures on one account
#: from anywhere in an hour, one try every 2, 4, ... up to 60 seconds.
LOGIN_ACCOUNT_ADDRESS = Rule("login-acct-addr", limit=5, window_s=900)
LOGIN_ACCOUNT = Rule("login-acct", limit=20, window_s=3600, backoff_s=2, max_backoff_s=60)
LOGIN_ADDRESS = Rule("login-addr", limit=100, window_s=900)
SIGNUP_ADDRESS = Rule("signup-addr", limit=20, window_s=3600)
INVITE_ACCOUNT = Rule("invite-acct", limit=10, window_s=900)
INVITE_ADDRESS = Rule("invite-addr", limit=30, window_s=900)


def login_checks(email: str, address: str) -> list[tuple[Rule, str]]:
    """The (rule, key) pairs a login attempt for ``email`` from ``address`` is checked against."""
    return [
        (LOGIN_ACCOUNT_ADDRESS, account_key(LOGIN_ACCOUNT_ADDRESS.scope, email, address)),
        (LOGIN_ACCOUNT, key_for(LOGIN_ACCOUNT.scope, email)),
        (LOGIN_ADDRESS, key_for(LOGIN_ADDRESS.scope, address)),
    ]


def signup_checks(address: str) -> list[tuple[Rule, str]]:
    return [(SIGNUP_ADDRESS, key_for(SIGNUP_ADDRESS.scope, address))]


def invite_checks(user_id: int, address: str) -> list[tuple[Rule, str]]:
    return [
        (INVITE_ACCOUNT, key_for(INVITE_ACCOUNT.scope, str(user_id))),
        (INVITE_ADDRESS, key_for(INVITE_ADDRESS.scope, address)),
    ]


#: Routes that check the current password of a signed-in person (password change, erase; web and
#: API): a stolen session must not become a password oracle. Same shape as login: five wrong
#: passwords from one place in 15 minutes, then a slower per-account backoff from anywhere.
PASSWORD_ACCOUNT_ADDRESS = Rule("pwcheck-acct-addr", limit=5, window_s=900)
PASSWORD_ACCOUNT = Rule("pwcheck-acct", limit=10, window_s=3600, backoff_s=2, max_backoff_s=60)


def password_checks(user_id: int, address: str) -> list[tuple[Rule, str]]:
    """The (rule, key) pairs a current-password check of ``user_id`` from ``address`` is counted under."""
    account = f"user:{user_id}"
    return [
        (PASSWORD_ACCOUNT_ADDRESS, account_key(PASSWORD_ACCOUNT_ADDRESS.scope, account, address)),
        (PASSWORD_ACCOUNT, key_for(PASSWORD_ACCOUNT.scope, account)),
    ]


#: Squat-video uploads per runner: each one is a minute or more of the single analysis worker.
VIDEO_UPLOADS = Rule("video-upload", limit=12, window_s=3600)


def video_upload_checks(user_id: int) -> list[tuple[Rule, str]]:
    return [(VIDEO_UPLOADS, key_for(VIDEO_UPLOADS.scope, f"user:{user_id}"))]


def erase_account_rows(db: Session, email: str, user_id: int) -> int:
    """Delete every attempt row keyed by this person's e-mail or id (account erasure); returns how many.

    Runs in the caller's transaction, so the rows go with the account or not at all.
    """
    exact = [key_for(LOGIN_ACCOUNT.scope, email), key_for(PASSWORD_ACCOUNT.scope, f"user:{user_id}"),
             key_for(INVITE_ACCOUNT.scope, str(user_id)), key_for(VIDEO_UPLOADS.scope, f"user:{user_id}")]
    prefixes = [_account_prefix(LOGIN_ACCOUNT_ADDRESS.scope, email),
                _account_prefix(PASSWORD_ACCOUNT_ADDRESS.scope, f"user:{user_id}")]
    condition = AuthAttempt.key.in_(exact)
    for prefix in prefixes:
        condition = condition | AuthAttempt.key.startswith(prefix, autoescape=True)
    return int(db.execute(delete(AuthAttempt).where(condition)).rowcount or 0)


def refusal(wait_s: int) -> str:
    """The message shown with a 429."""
    return f"Too many attempts. Try again in {wait_s} second{'s' if wait_s != 1 else ''}."
