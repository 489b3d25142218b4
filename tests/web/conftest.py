"""Fixtures for the web tests: an isolated app per test on a temporary SQLite file.

Argon2 is made cheap here (the production parameters take ~0.3 s per hash,
which would dominate the suite); hashes still use argon2id.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kneecoach.web import security
from kneecoach.web.app import create_app

PASSWORD = "correct horse battery staple"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_DUMMY_HASH", hasher.hash("dummy-password"))


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'web.db'}"


@pytest.fixture()
def app(db_url: str):
    return create_app(db_url, secret_key="test-secret-key-" + "x" * 32)


class Browser:
    """A TestClient with helpers for the CSRF token and common flows."""

    def __init__(self, app, address: str = "testclient") -> None:
        with warnings.catch_warnings():  # Starlette nudges towards httpx2; the pinned httpx is fine
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        self.c = TestClient(app, base_url="http://testserver", client=(address, 50000))
        self.user_id: int | None = None

    def token(self, path: str = "/login") -> str:
        r = self.c.get(path)
        m = TOKEN_RE.search(r.text)
        if m is None:  # JSON pages: use the API endpoint
            return self.c.get("/api/v1/csrf").json()["csrf_token"]
        return m.group(1)

    def post(self, path: str, data: dict | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token("/home" if self.user_id else "/login"))
        return self.c.post(path, data=data, follow_redirects=False, **kw)

    def signup(self, email: str, name: str = "Runner", role: str = "runner") -> int:
        r = self.post("/signup", {"email": email, "display_name": name, "password": PASSWORD, "role": role})
        assert r.status_code == 303 and r.headers["location"] == "/login", r.text[:500]
        r = self.post("/login", {"email": email, "password": PASSWORD})
        assert r.status_code == 303, r.text[:500]
        me = self.c.get("/api/v1/me").json()
        self.user_id = me["id"]
        return me["id"]

    def intake(self, **extra: str):
        data = {
            "symptoms.sides": "left",
            "symptoms.locations": "around_kneecap",
            "symptoms.aggravators": "stairs_down",
            "symptoms.pain_during_run": "3",
            "running.current_weekly_km": "20",
            "running.target_weekly_km": "40",
            "running.runs_per_week": "3",
        }
        data.update(extra)
        return self.post("/intake", data)


@pytest.fixture()
def browser(app) -> Iterator[Browser]:
    yield Browser(app)


@pytest.fixture()
def make_browser(app):
    return lambda: Browser(app)


def make_gpx(start_iso: str = "2026-11-02T07:00:00", km: float = 5.0, minutes: float = 30.0,
             name: str = "run") -> bytes:
    """A straight-line GPX run of about ``km`` kilometres, built with gpxpy (one point every 10 s)."""
    from datetime import datetime, timedelta, timezone

    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack(name=name)
    track.type = "running"
    gpx.tracks.append(track)
    seg = gpxpy.gpx.GPXTrackSegment()
    track.segments.append(seg)
    start = datetime.fromisoformat(start_iso).replace(tzinfo=timezone.utc)
    steps = max(2, int(minutes * 6))
    deg = km / 111.2  # degrees of latitude per km
    for i in range(steps + 1):
        seg.points.append(gpxpy.gpx.GPXTrackPoint(
            latitude=52.0 + deg * i / steps, longitude=4.0, elevation=10.0 + (i % 20) * 0.5,
            time=start + timedelta(seconds=minutes * 60 * i / steps)))
    return gpx.to_xml().encode()



@pytest.fixture(autouse=True)
def stop_video_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each VideoJobs a test starts polls the database every second: stop them when the test ends."""
    from kneecoach.web.video_jobs import VideoJobs

    started: list[VideoJobs] = []
    real_start = VideoJobs.start

    def start(self: VideoJobs) -> None:
        started.append(self)
        real_start(self)

    monkeypatch.setattr(VideoJobs, "start", start)
    yield
    for jobs in started:
        jobs.stop(timeout=5)
