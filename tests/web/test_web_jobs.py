"""Uploads run as database-backed background jobs: progress, outcome, idempotence, restart, access."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from kneecoach.store import jobs
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.models import Job, RunRecord

from .conftest import Browser, make_gpx


def _count(db_url: str, model) -> int:  # type: ignore[no-untyped-def]
    factory = make_session_factory(make_engine(db_url))
    with transaction(factory) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _archive(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(n):
            z.writestr(f"runs/{i:03d}.gpx", make_gpx(f"2026-10-{1 + i:02d}T07:00:00", 5 + i % 3, minutes=20))
    return buf.getvalue()


def _wait_done(browser: Browser, job_id: int, timeout_s: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        view = browser.c.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).json()
        if view["status"] in ("done", "failed"):
            return view
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_upload_returns_at_once_with_a_job_then_shows_the_outcome(app, browser, db_url):
    app.state.upload_wait_s = 0.0        # answer immediately: the archive is imported in the background
    browser.signup("r@example.org")
    tok = browser.token("/upload")
    data = _archive(6)
    r = browser.c.post("/upload", headers={"X-CSRF-Token": tok, "Accept": "application/json"},
                       files=[("files", ("export.zip", data, "application/zip"))])
    body = r.json()
    if body["jobs"]:                      # still running when the request answered
        assert r.status_code == 202
        job_id = body["jobs"][0]["id"]
    else:                                 # the worker was faster than the answer
        pytest.skip("job finished before the request answered; nothing pending to follow")
    view = _wait_done(browser, job_id)
    assert view["status"] == "done" and view["total"] == 6 and view["progress"] == 6
    assert view["result"]["added"] == 6 and "6 runs added" in view["result"]["message"]
    page = browser.c.get(f"/jobs/{job_id}").text
    assert "6 runs added" in page and 'http-equiv="refresh"' not in page
    assert _count(db_url, RunRecord) == 6
    with transaction(app.state.session_factory) as s:
        assert s.get(Job, job_id).input is None          # the upload is not kept once imported


def test_same_archive_twice_adds_nothing(app, browser, db_url):
    browser.signup("r@example.org")
    tok = browser.token("/upload")
    data = _archive(3)
    first = browser.c.post("/upload", headers={"X-CSRF-Token": tok, "Accept": "application/json"},
                           files=[("files", ("export.zip", data, "application/zip"))]).json()
    assert first["files"][0]["added"] == 3
    r = browser.c.post("/upload", headers={"X-CSRF-Token": tok},
                       files=[("files", ("export-again.zip", data, "application/zip"))])
    assert r.status_code == 200 and "Already uploaded" in r.text and "nothing new added" in r.text
    assert _count(db_url, RunRecord) == 3
    assert _count(db_url, Job) == 1


def test_another_runner_cannot_see_a_job(app, make_browser):
    a, b = make_browser(), make_browser()
    a.signup("a@example.org")
    b.signup("b@example.org")
    tok = a.token("/upload")
    r = a.c.post("/upload", headers={"X-CSRF-Token": tok, "Accept": "application/json"},
                 files=[("files", ("one.gpx", make_gpx(), "application/gpx+xml"))])
    assert r.status_code == 200
    with transaction(app.state.session_factory) as s:
        job_id = s.scalar(select(Job.id))
    assert a.c.get(f"/jobs/{job_id}").status_code == 200
    assert b.c.get(f"/jobs/{job_id}").status_code == 404
    assert b.c.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).status_code == 404


def test_job_interrupted_by_a_restart_is_run_again_without_duplicates(db_url, app, browser):
    from kneecoach.web.app import create_app
    from kneecoach.web.jobs import IMPORT_KIND

    uid = browser.signup("r@example.org")
    data = _archive(2)
    # A job the previous server process had claimed when it died: running, old heartbeat.
    old = datetime.now(timezone.utc) - timedelta(minutes=10)
    with transaction(app.state.session_factory) as s:
        job = Job(owner_id=uid, kind=IMPORT_KIND, status="running", progress=1, params={"name": "x.zip"},
                  input=data, attempts=1, created_at=old, started_at=old, heartbeat_at=old)
        s.add(job)
        s.flush()
        job_id = job.id
    restarted = create_app(db_url, secret_key="test-secret-key-" + "x" * 32)
    again = Browser(restarted)
    with again.c:                                      # lifespan: the worker starts and recovers the job
        again.c.post("/login", data={"email": "r@example.org", "password": "correct horse battery staple",
                                     "csrf_token": again.token("/login")})
        view = _wait_done(again, job_id)
    assert view["status"] == "done" and view["result"]["added"] == 2
    assert _count(db_url, RunRecord) == 2


# --------------------------------------------------------------------------- store level


@pytest.fixture()
def factory(app):
    return app.state.session_factory


def _user(factory) -> int:  # type: ignore[no-untyped-def]
    from kneecoach.store import repo

    with transaction(factory) as s:
        return repo.create_user(s, "j@example.org", "J", password_hash=None).id


def test_claim_gives_each_job_to_one_worker(factory):
    uid = _user(factory)
    with transaction(factory) as s:
        for _ in range(3):
            jobs.enqueue(s, uid, "test-kind")
    claimed = [jobs.claim_next(factory, f"w{i}", ["test-kind"]) for i in range(4)]
    ids = [j.id for j in claimed if j is not None]
    assert len(ids) == 3 and len(set(ids)) == 3 and claimed[3] is None


def test_failing_handler_fails_the_job_with_a_message(factory, monkeypatch):
    uid = _user(factory)

    def boom(ctx: jobs.JobContext) -> dict:
        raise RuntimeError("secret content from the file")

    monkeypatch.setitem(jobs.HANDLERS, "boom", boom)
    with transaction(factory) as s:
        job, _ = jobs.enqueue(s, uid, "boom", input=b"data")
        job_id = job.id
    assert jobs.run_next(factory, "w")
    with transaction(factory) as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and "RuntimeError" in job.error and "secret" not in job.error
        assert job.input is None and job.finished_at is not None


def test_stale_job_fails_after_max_attempts(factory):
    uid = _user(factory)
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    with transaction(factory) as s:
        for attempts in (1, jobs.MAX_ATTEMPTS):
            s.add(Job(owner_id=uid, kind="k", status="running", progress=0, params={}, attempts=attempts,
                      created_at=old, heartbeat_at=old))
    assert jobs.recover_stale(factory) == 2
    with transaction(factory) as s:
        statuses = sorted(s.scalars(select(Job.status)))
    assert statuses == ["failed", "queued"]
