"""Video jobs live in the database ``jobs`` table (issue 18 item 2): any process reads them, a
restart resumes or fails them cleanly, and two ``kneecoach serve`` workers on PostgreSQL share them."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from kneecoach.store import jobs as store_jobs
from kneecoach.store.db import transaction
from kneecoach.store.models import Job
from kneecoach.web.video_jobs import KIND, VideoJobs

from .conftest import Browser
from .test_multiworker import PG_URL, Client, _served_by, server  # noqa: F401  (fixture)
from .test_web_security_review import any_app  # noqa: F401  (fixture: SQLite, and PostgreSQL when given)
from .test_web_video import FAKE_CLIP, MAGIC_ONLY, fake_analyser

CLIP = Path(__file__).parent.parent / "data" / "video" / "pose_squats.mp4"


@pytest.fixture()
def pg_database() -> Iterator[str]:
    """``KNEECOACH_TEST_POSTGRES_URL`` itself (it must be empty), emptied again afterwards.

    Overrides test_multiworker's fixture of the same name (which makes a new database on the
    server): this test stays inside the one database it was given.
    """
    from sqlalchemy import inspect

    from kneecoach.store import migrate
    from kneecoach.store.db import make_engine

    assert PG_URL
    engine = make_engine(PG_URL)
    try:
        if set(inspect(engine).get_table_names()) - {"alembic_version"}:
            pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    finally:
        engine.dispose()
    try:
        yield PG_URL
    finally:
        if migrate.current(PG_URL) is not None:
            migrate.downgrade(PG_URL, "base")


def _queued_then_abandoned(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, VideoJobs]:
    """A clip queued by a process that claimed it and died before finishing."""
    first = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    monkeypatch.setattr(first, "start", lambda: None)  # this process never runs it
    app.state.video_jobs = first
    b = Browser(app)
    uid = b.signup("restart@example.org")
    b.intake()
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    r = b.c.post("/api/v1/selftests/video", data={"side": "left"}, headers={"x-csrf-token": token},
                 files={"clip": ("c.mp4", io.BytesIO(FAKE_CLIP), "video/mp4")})
    job_id = r.json()["id"]
    claimed = store_jobs.claim_next(app.state.session_factory, "a-worker-that-died", [KIND])
    assert claimed is not None and str(claimed.id) == job_id
    assert first.state(uid, job_id)["status"] == "running"
    return uid, job_id, first


def test_a_clip_left_running_by_a_dead_process_is_analysed_after_a_restart(any_app, tmp_path: Path,  # noqa: F811
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = any_app
    uid, job_id, first = _queued_then_abandoned(app, tmp_path, monkeypatch)
    worker = store_jobs.JobWorker(app.state.session_factory, single_process=True)
    worker.start()  # what a restarted server does first: re-queue what was left running
    worker.stop()
    second = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY, factory=app.state.session_factory)
    second.start()
    try:
        st = second.wait(uid, job_id, timeout=20)
    finally:
        second.stop()
    assert st["status"] == "done" and st["result"]["sides"]["left"]["fppa_deg"] == pytest.approx(15.0, abs=0.5)
    assert first.state(uid, job_id)["status"] == "done"  # the same row, read by the other "process"
    assert not list((tmp_path / "jobs").rglob("clip"))


def test_a_clip_interrupted_too_often_fails_cleanly(any_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = any_app
    uid, job_id, first = _queued_then_abandoned(app, tmp_path, monkeypatch)
    with transaction(app.state.session_factory) as s:
        s.execute(update(Job).where(Job.id == int(job_id)).values(attempts=store_jobs.MAX_ATTEMPTS))
    store_jobs.recover_stale(app.state.session_factory, 0.0)
    st = first.state(uid, job_id)
    assert st["status"] == "failed" and "interrupted" in st["error"]


@pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL to a throwaway PostgreSQL server")
def test_two_workers_on_postgres_share_video_jobs(server) -> None:  # noqa: F811
    base, log, _url = server
    runner = Client(base)
    runner.signup_and_login("video-mw@example.org")
    up = runner.request("POST", "/api/v1/selftests/video", rid="video-upload-0001", data={"side": "left"},
                        files={"clip": ("squats.mp4", CLIP.read_bytes(), "video/mp4")})
    assert up.status_code == 202, up.text[:300]
    job_id = up.json()["id"]
    final, seen = None, []
    deadline = time.monotonic() + 150
    i = 0
    while time.monotonic() < deadline:
        i += 1
        rid = f"video-status-{i:04d}"
        r = runner.request("GET", f"/api/v1/selftests/video/{job_id}", rid=rid)
        assert r.status_code == 200, r.text[:300]
        seen.append(rid)
        final = r.json()
        served = _served_by(log)
        other = [x for x in seen if served.get(x) not in (None, served.get("video-upload-0001"))]
        if final["status"] in ("done", "failed") and other:
            break
        time.sleep(0.3)
    assert final is not None and final["status"] in ("done", "failed")
    assert final["result"] or final["error"]  # the outcome, read through the worker that did not take the upload
    served = _served_by(log)
    assert any(served.get(x) != served["video-upload-0001"] for x in seen)
