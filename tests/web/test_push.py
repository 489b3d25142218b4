"""Web Push reminders against a local push service that checks the VAPID signature and decrypts.

The service is a tiny HTTP server on loopback (allowed through ``KNEECOACH_PUSH_HOSTS``). It plays the
browser vendor's part: it verifies the ES256 JWT in ``Authorization: vapid t=..., k=...`` against the
server's published key, and decrypts the aes128gcm body with the subscriber's private key, as the
browser would. The payload must carry no health data.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kneecoach.store import push
from kneecoach.store.db import transaction


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class PushService:
    """Receives pushes like a browser vendor's service would, and checks them."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.errors: list[str] = []
        self.subscriber = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.server_key: str | None = None
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    service.check(self.headers, body, f"http://{self.headers['Host']}")
                    self.send_response(201)
                except Exception as exc:  # noqa: BLE001 - recorded for the test to show
                    service.errors.append(repr(exc))
                    self.send_response(400)
                self.end_headers()

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def subscription(self) -> dict:
        pub = self.subscriber.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": f"http://{self.host}/push/device-1", "expirationTime": None,
                "keys": {"p256dh": _b64e(pub), "auth": _b64e(self.auth)}}

    def check(self, headers, body: bytes, origin: str) -> None:
        auth = headers["Authorization"]
        assert auth.startswith("vapid "), auth
        fields = dict(part.strip().split("=", 1) for part in auth[len("vapid "):].split(","))
        token, k = fields["t"], fields["k"]
        assert k == self.server_key, "signed with a key the server did not publish"
        head, claims, sig = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _b64d(k))
        raw = _b64d(sig)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
        c = json.loads(_b64d(claims))
        assert c["aud"] == origin and c["exp"] > datetime.now(timezone.utc).timestamp()
        assert headers["Content-Encoding"] == "aes128gcm"
        plain = http_ece.decrypt(body, private_key=self.subscriber, auth_secret=self.auth, version="aes128gcm")
        self.received.append(json.loads(plain))

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture()
def service(monkeypatch: pytest.MonkeyPatch):
    svc = PushService()
    monkeypatch.setenv(push.ENV_PUSH_HOSTS, svc.host)
    yield svc
    svc.close()


def test_reminder_is_signed_encrypted_and_carries_no_health_data(app, browser, service) -> None:
    browser.signup("push@example.org", "Pat")
    assert browser.intake().status_code == 303
    token = browser.c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    service.server_key = browser.c.get("/api/v1/push/key").json()["public_key"]
    foreign = dict(service.subscription, endpoint="https://attacker.example/collect")
    r = browser.c.post("/api/v1/push/subscribe", json={"subscription": foreign, "time": "07:30"}, headers=h)
    assert r.status_code == 422 and "not on a known push service" in r.text
    bad_time = browser.c.post("/api/v1/push/subscribe", json={"subscription": service.subscription, "time": "25:00"},
                              headers=h)
    assert bad_time.status_code == 422
    with transaction(app.state.session_factory) as s:
        assert s.query(push.PushSubscription).count() == 0
    far = browser.c.post("/api/v1/push/subscribe", json={"subscription": service.subscription, "time": "07:30",
                                                         "utc_offset_min": 2000}, headers=h)
    assert far.status_code == 422
    # 07:30 on a clock one hour ahead of UTC is 06:30 UTC.
    r = browser.c.post("/api/v1/push/subscribe", json={"subscription": service.subscription, "time": "07:30",
                                                       "utc_offset_min": 60}, headers=h)
    assert r.status_code == 201
    now = datetime.combine(date.today(), datetime.min.time(), timezone.utc) + timedelta(hours=6, minutes=45)
    with transaction(app.state.session_factory) as s:
        early = push.send_due(s, now - timedelta(hours=1))
        assert early.sent == 0
        report = push.send_due(s, now)
    assert report.sent == 1 and service.errors == []
    assert service.received == [push.PAYLOAD]
    text = json.dumps(service.received).lower()
    assert not any(w in text for w in ("pain", "/10", "clamshell", " km", "score", "bridge"))
    with transaction(app.state.session_factory) as s:
        assert push.send_due(s, now + timedelta(minutes=5)).sent == 0  # once a day
    ics = browser.c.get(f"/u/{browser.user_id}/plan.ics").text
    assert "BEGIN:VALARM" in ics and "TRIGGER;RELATED=START:PT7H30M" in ics and "Time for today's exercises" in ics
    r = browser.c.post("/api/v1/push/unsubscribe", json={"endpoint": service.subscription["endpoint"]}, headers=h)
    assert r.json() == {"removed": 1}
    with transaction(app.state.session_factory) as s:
        assert push.send_due(s, now + timedelta(days=1)).sent == 0
    assert "BEGIN:VALARM" not in browser.c.get(f"/u/{browser.user_id}/plan.ics").text
