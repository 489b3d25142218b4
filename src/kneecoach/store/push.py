"""Opt-in exercise reminders by Web Push: VAPID keys, subscriptions per device, sending when due.

Reminders help people keep up home exercises (shared/reference/clinical.md section 8), but a push
message passes through a browser vendor's push service, so the payload says only "Time for today's
exercises" and a link: never a pain score, an exercise or a plan. The payload is encrypted for the
device (RFC 8291, by pywebpush) and the request signed with the server's VAPID key (RFC 8292), made
once and kept in the database so every worker signs alike.

A subscription's endpoint must be on a known push service (or a host named in
``KNEECOACH_PUSH_HOSTS``, e.g. a test service): otherwise the server could be made to POST to any
address (a foreign endpoint is refused and nothing is stored).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kneecoach.store.models import PushSubscription, User, VapidKey

log = logging.getLogger("kneecoach.push")

#: Push services of the major browsers (host suffixes). Anything else needs KNEECOACH_PUSH_HOSTS.
PUSH_HOST_SUFFIXES = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "push.apple.com",
                      "notify.windows.com", "push.services.mozilla.com")
ENV_PUSH_HOSTS = "KNEECOACH_PUSH_HOSTS"
#: The whole payload: no health data.
PAYLOAD = {"title": "kneecoach", "body": "Time for today's exercises", "url": "/today"}
VAPID_SUB = "mailto:reminders@kneecoach.invalid"
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_B64 = re.compile(r"^[A-Za-z0-9_\-]+={0,2}$")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_keys(s: Session) -> VapidKey:
    """The server's VAPID key pair, generated on first use."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from py_vapid import Vapid

    row = s.scalars(select(VapidKey).order_by(VapidKey.id).limit(1)).first()
    if row is not None:
        return row
    v = Vapid()
    v.generate_keys()
    public = _b64url(v.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))
    row = VapidKey(private_pem=v.private_pem().decode(), public_key=public)
    s.add(row)
    s.flush()
    return row


def allowed_hosts() -> tuple[str, ...]:
    extra = tuple(h.strip().lower() for h in os.environ.get(ENV_PUSH_HOSTS, "").split(",") if h.strip())
    return PUSH_HOST_SUFFIXES + extra


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is an https URL on a known push service (or an allowed test host)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    extra = allowed_hosts()[len(PUSH_HOST_SUFFIXES):]
    netloc = parts.netloc.lower()
    if netloc in extra or host in extra:
        return endpoint
    if parts.scheme != "https" or not any(host == h or host.endswith("." + h) for h in PUSH_HOST_SUFFIXES):
        raise ValueError("that push endpoint is not on a known push service; nothing was stored")
    return endpoint


def check_time(value: str) -> str:
    if not _TIME.match(value or ""):
        raise ValueError("reminder time must be HH:MM (24-hour, UTC), e.g. 18:30")
    return value


def subscribe(s: Session, owner_id: int, endpoint: str, p256dh: str, auth: str, at: str,
              utc_offset_min: int = 0) -> PushSubscription:
    """Store (or refresh) a device's subscription and the owner's reminder time (``at`` on the runner's
    clock, ``utc_offset_min`` minutes ahead of UTC, as the browser reports it)."""
    check_endpoint(endpoint)
    check_time(at)
    if not -12 * 60 <= utc_offset_min <= 14 * 60:
        raise ValueError("the clock's offset from UTC must be between -12:00 and +14:00")
    if not (_B64.match(p256dh) and _B64.match(auth)) or len(p256dh) > 200 or len(auth) > 100:
        raise ValueError("the subscription keys are not base64url; nothing was stored")
    user = s.get(User, owner_id)
    if user is None:
        raise LookupError("no such user")
    row = s.scalars(select(PushSubscription).where(PushSubscription.owner_id == owner_id,
                                                   PushSubscription.endpoint == endpoint)).first()
    if row is None:
        row = PushSubscription(owner_id=owner_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        s.add(row)
    else:
        row.p256dh, row.auth = p256dh, auth
    user.reminder_time = at
    user.reminder_utc_offset_min = utc_offset_min
    s.flush()
    return row


def unsubscribe(s: Session, owner_id: int, endpoint: str | None = None) -> int:
    """Remove one device's subscription (or all of the owner's); the reminder stops when none is left."""
    stmt = select(PushSubscription).where(PushSubscription.owner_id == owner_id)
    if endpoint is not None:
        stmt = stmt.where(PushSubscription.endpoint == endpoint)
    rows = list(s.scalars(stmt))
    for r in rows:
        s.delete(r)
    s.flush()
    left = s.scalars(select(PushSubscription.id).where(PushSubscription.owner_id == owner_id)).first()
    user = s.get(User, owner_id)
    if left is None and user is not None:
        user.reminder_time = None
    return len(rows)


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    removed: int


Sender = Callable[..., object]


def send_due(s: Session, now: datetime | None = None, *, sender: Sender | None = None) -> SendReport:
    """Send today's reminder to every subscription whose owner's time has come and that has not had
    one today. A push service answering 404/410 means the device unsubscribed: the row is removed."""
    from pywebpush import WebPushException, webpush
    from py_vapid import Vapid

    now = now or datetime.now(timezone.utc)
    key = vapid_keys(s)
    vapid = Vapid.from_pem(key.private_pem.encode())
    send = sender or webpush
    rows = s.execute(
        select(PushSubscription, User.reminder_time, User.reminder_utc_offset_min)
        .join(User, User.id == PushSubscription.owner_id).where(User.reminder_time.is_not(None))
    ).all()
    sent = failed = removed = 0
    for sub, at, offset in rows:
        local = now + timedelta(minutes=offset or 0)  # the runner's clock: their day, their time
        today = local.date()
        if at > local.strftime("%H:%M") or sub.last_sent_on == today:
            continue
        try:
            send(subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                 data=json.dumps(PAYLOAD), vapid_private_key=vapid, vapid_claims={"sub": VAPID_SUB}, ttl=3600,
                 timeout=10)
        except WebPushException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (404, 410):
                s.delete(sub)
                removed += 1
            else:
                failed += 1
                log.warning("push failed (status %s)", status)  # no endpoint, no owner: nothing personal
            continue
        sub.last_sent_on = today
        sent += 1
    s.flush()
    return SendReport(sent, failed, removed)
