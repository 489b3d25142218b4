"""What the security review of issue 19 found, one test per finding; each failed before the fix.

1. an erased runner's id and video data went to the next sign-up;
2. request bodies had no cap (and a client disconnect left a traceback);
3. routes that check the current password were not throttled;
4. video uploads were queued without being checked, with no hourly limit;
5. smaller ones: apply twice, the clip's Content-Type, the session cookie, file modes.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from kneecoach.store import repo
from kneecoach.store.db import transaction
from kneecoach.store.models import AuthAttempt, Job, PlanRecord, ProfileRecord, User, VideoClip
from kneecoach.web import body_limit
from kneecoach.web import throttle as limits
from kneecoach.web.app import SESSION_COOKIE
from kneecoach.web.video_jobs import VideoJobs

from .conftest import PASSWORD, Browser
from .test_web_video import FAKE_CLIP, MAGIC_ONLY, fake_analyser


def _upload(b: Browser, body: bytes = FAKE_CLIP, *, keep: bool = False, side: str = "left",
            name: str = "clip.mp4", ctype: str = "video/mp4"):
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    data = {"side": side, **({"keep": "true"} if keep else {})}
    return b.c.post("/api/v1/selftests/video", data=data, files={"clip": (name, io.BytesIO(body), ctype)},
                    headers={"x-csrf-token": token})


def _api(b: Browser, path: str, body: dict):
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    return b.c.post(path, json=body, headers={"x-csrf-token": token})


def _count(app, model, *where) -> int:
    with transaction(app.state.session_factory) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ----------------------------------------------------------------------------- 1. ids and erasure


PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, app):
    """The app on SQLite, and on PostgreSQL when ``KNEECOACH_TEST_POSTGRES_URL`` names an empty throwaway database."""
    if request.param == "sqlite":
        yield app
        return
    if PG_URL is None:
        pytest.skip("set KNEECOACH_TEST_POSTGRES_URL to an empty throwaway PostgreSQL database")
    from sqlalchemy import inspect

    from kneecoach.store import migrate
    from kneecoach.store.db import make_engine
    from kneecoach.web.app import create_app

    engine = make_engine(PG_URL)
    try:
        if set(inspect(engine).get_table_names()) - {"alembic_version"}:
            pytest.skip("KNEECOACH_TEST_POSTGRES_URL database is not empty; refusing to touch it")
    finally:
        engine.dispose()
    pg_app = create_app(PG_URL, secret_key="test-secret-key-" + "y" * 32)
    try:
        yield pg_app
    finally:
        pg_app.state.engine.dispose()
        migrate.downgrade(PG_URL, "base")


def test_erase_during_a_running_analysis_leaves_nothing_and_the_id_is_never_reused(any_app, tmp_path: Path) -> None:
    app = any_app
    release, halfway = threading.Event(), threading.Event()

    def slow(clip, side, out_dir, progress):
        progress(0.5)
        halfway.set()
        release.wait(20)
        return fake_analyser(clip, side, out_dir, progress)

    folder = tmp_path / "jobs"
    jobs = VideoJobs(folder, analyser=slow, probe=MAGIC_ONLY)  # the app adds its database keeper
    app.state.video_jobs = jobs
    a = Browser(app)
    a_id = a.signup("erased@example.org")
    a.intake()
    done = _upload(a, side="right")  # one finished job, with its pictures on disk
    release.set()
    assert jobs.wait(a_id, done.json()["id"])["status"] == "done"
    release.clear()
    halfway.clear()
    # Throttle rows keyed by the e-mail (failed sign-ins from elsewhere) and by the account.
    for _ in range(2):
        Browser(app, address="203.0.113.9").post("/login", {"email": "erased@example.org", "password": "wrong!!"})
    assert _api(a, "/api/v1/account/password", {"current_password": "wrong", "new_password": "x" * 12}).status_code == 403
    assert _count(app, AuthAttempt) > 0
    running = _upload(a, keep=True)  # "keep my clip", still being analysed when the account goes
    assert running.status_code == 202
    assert halfway.wait(10)

    r = a.post("/account/erase", {"confirm": "erase", "password": PASSWORD})
    assert r.status_code == 303
    release.set()
    assert jobs.wait_idle(20)  # the analysis has ended

    again = Browser(app)
    new_id = again.signup("erased@example.org")  # the same person signs up again
    other = Browser(app)
    other_id = other.signup("next@example.org")
    assert a_id not in (new_id, other_id) and min(new_id, other_id) > a_id

    # Nothing of the first account is reachable ...
    for b in (again, other):
        assert b.c.get(f"/api/v1/users/{a_id}/clips").status_code == 404
        assert b.c.get(f"/api/v1/users/{b.user_id}/clips").json() == []
        for job in (done.json()["id"], running.json()["id"]):
            assert b.c.get(f"/api/v1/selftests/video/{job}").status_code == 404
    # ... nor stored: no rows, no throttle rows for the e-mail or the account, nothing on disk.
    assert _count(app, VideoClip) == 0
    assert _count(app, ProfileRecord, ProfileRecord.owner_id == a_id) == 0
    assert _count(app, Job, Job.owner_id == a_id) == 0
    assert _count(app, User, User.id == a_id) == 0
    with transaction(app.state.session_factory) as s:
        keys = set(s.scalars(select(AuthAttempt.key)))
    ours = {key for _rule, key in limits.login_checks("erased@example.org", "203.0.113.9")[:2]  # not address-only
            + limits.password_checks(a_id, "testclient") + limits.video_upload_checks(a_id)}
    assert keys and not keys & ours
    assert list(folder.iterdir()) == []


# ----------------------------------------------------------------------------- 2. body caps


def _asgi(app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks, *, disconnect: bool = False):
    """Drive the ASGI app by hand: what it sent, and how many body bytes it asked for."""
    sent: list[dict] = []
    pulled = {"bytes": 0, "calls": 0}
    feed = iter(chunks)

    async def receive():
        pulled["calls"] += 1
        try:
            body, more = next(feed)
        except StopIteration:
            if disconnect:
                return {"type": "http.disconnect"}
            await asyncio.sleep(3600)
        pulled["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": more}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *headers], "client": ("198.51.100.7", 5000),
             "server": ("testserver", 80)}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    return (start["status"] if start else None), pulled


def test_declared_oversized_body_is_refused_before_a_byte_is_read(app) -> None:
    status, pulled = _asgi(app, "POST", "/selftests/video",
                           [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"1000000000000")],
                           [])
    assert status == 413 and pulled["calls"] == 0


def test_streamed_body_over_the_cap_is_cut_off_early(app) -> None:
    chunk = b"a" * 65536
    total = 4 * body_limit.DEFAULT_LIMIT  # no Content-Length: the bytes are counted as they arrive
    chunks = [(chunk, True)] * (total // len(chunk)) + [(b"", False)]
    status, pulled = _asgi(app, "POST", "/login", [(b"content-type", b"application/x-www-form-urlencoded")], chunks)
    assert status == 413
    assert pulled["bytes"] <= body_limit.DEFAULT_LIMIT + len(chunk)


def test_form_and_upload_caps_answer_413_with_a_reason(app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app.state.video_jobs = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    b = Browser(app)
    b.signup("big@example.org")
    r = b.c.post("/signup", data={"email": "x@example.org", "notes": "n" * (body_limit.DEFAULT_LIMIT + 10)})
    assert r.status_code == 413 and "too large" in r.text and r.headers["content-type"].startswith("text/html")
    assert body_limit.limit_for("/upload") == body_limit.IMPORT_LIMIT > body_limit.DEFAULT_LIMIT
    monkeypatch.setitem(body_limit.ROUTE_LIMITS, "/upload", 50_000)
    monkeypatch.setitem(body_limit.ROUTE_LIMITS, "/api/v1/selftests/video", 50_000)
    r = b.c.post("/upload", content=b"x" * 60_000, headers={"Accept": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]  # the upload page's XHR reads JSON
    r = _upload(b, FAKE_CLIP + b"\0" * 60_000)
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert _upload(b).status_code == 202  # under the cap: accepted
    assert list((tmp_path / "jobs").iterdir()) != []


def test_client_disconnect_mid_body_is_one_quiet_log_line(app, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    status, _ = _asgi(app, "POST", "/login",
                      [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"5000")],
                      [(b"email=a%40b.org&pass", True)], disconnect=True)
    assert status is None  # nothing sent to a client that is gone
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    lines = [r for r in caplog.records if r.name.startswith("kneecoach")]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and not lines[0].exc_info
    assert json.loads(lines[0].getMessage())["status"] == 499  # the access line: "client closed request"


# ----------------------------------------------------------------------------- 3. password checks throttled


def test_current_password_checks_are_throttled_across_change_and_erase(app) -> None:
    b = Browser(app)
    uid = b.signup("guess@example.org")
    wrong = {"current_password": "not my password", "new_password": "n" * 12}
    codes = [_api(b, "/api/v1/account/password", wrong).status_code for _ in range(3)]
    codes += [b.post("/account/password", {"current_password": "nope", "new_password": "n" * 12,
                                            "confirm_password": "n" * 12}).status_code for _ in range(2)]
    assert codes == [403, 403, 403, 400, 400]
    refused = _api(b, "/api/v1/account/erase", {"password": "still guessing", "confirm": "erase"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    page = b.post("/account/erase", {"confirm": "erase", "password": PASSWORD})
    assert page.status_code == 429 and "Nothing was deleted" in page.text and page.headers["Retry-After"]
    right = _api(b, "/api/v1/account/password", {"current_password": PASSWORD, "new_password": "n" * 12})
    assert right.status_code == 429  # even the right password waits: no oracle while throttled
    assert _count(app, User, User.id == uid) == 1  # nothing was erased


# ----------------------------------------------------------------------------- 4. uploads checked


@pytest.mark.parametrize("body, code", [(b"", "empty"), (b"just some text, named .mp4\n", "not_a_video"),
                                        (b"<!doctype html><html><body>hi</body></html>", "not_a_video")])
def test_uploads_that_are_not_videos_are_refused_before_queueing(app, tmp_path: Path, body: bytes, code: str) -> None:
    app.state.video_jobs = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    b = Browser(app)
    b.signup("junk@example.org")
    r = _upload(b, body)
    assert r.status_code == 422 and r.json()["detail"]["code"] == code and r.json()["detail"]["message"]
    assert list((tmp_path / "jobs").iterdir()) == []  # nothing left on disk, nothing queued
    page = b.c.post("/selftests/video", data={"side": "left", "csrf_token": b.token("/selftests")},
                    files={"clip": ("clip.mp4", io.BytesIO(body), "video/mp4")}, follow_redirects=False)
    assert page.status_code == 303
    assert "Not uploaded" in b.c.get("/selftests").text


def test_uploads_per_runner_are_limited_per_hour(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "VIDEO_UPLOADS", limits.Rule("video-upload", limit=3, window_s=3600))
    app.state.video_jobs = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    b, other = Browser(app), Browser(app)
    b.signup("busy@example.org")
    other.signup("calm@example.org")
    assert [_upload(b).status_code for _ in range(3)] == [202, 202, 202]
    r = _upload(b)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "last hour" in r.json()["detail"]
    assert _upload(other).status_code == 202  # per runner


def test_container_check_reads_the_bytes_and_opens_with_opencv_when_present(tmp_path: Path) -> None:
    from kneecoach.video.container import ClipRejected, check_clip, opencv_available, sniff_video_type

    real = Path(__file__).parent.parent / "data" / "video" / "pose_squats.mp4"
    assert check_clip(real) == "video/mp4"
    assert sniff_video_type(b"\x1a\x45\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x82\x84webm") == "video/webm"
    assert sniff_video_type(b"RIFF\x00\x00\x00\x00AVI LIST") == "video/x-msvideo"
    assert sniff_video_type(b"<html>") is None
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(FAKE_CLIP)
    assert check_clip(fake, open_with_opencv=False) == "video/mp4"
    if not opencv_available():
        pytest.skip("OpenCV not installed: only the container signature is checked here")
    with pytest.raises(ClipRejected) as exc:
        check_clip(fake)  # an MP4 header on bytes no decoder can read
    assert exc.value.code == "not_a_video"


# ----------------------------------------------------------------------------- 5. smaller ones


def test_applying_a_video_result_twice_records_it_once(app, tmp_path: Path) -> None:
    jobs = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    app.state.video_jobs = jobs
    b = Browser(app)
    uid = b.signup("twice@example.org")
    b.intake()
    job = _upload(b).json()["id"]
    assert jobs.wait(uid, job)["status"] == "done"
    before = (_count(app, ProfileRecord, ProfileRecord.owner_id == uid), _count(app, PlanRecord, PlanRecord.owner_id == uid))
    replies = [_api(b, f"/api/v1/selftests/video/{job}/apply", {}) for _ in range(3)]
    replies.append(b.post(f"/selftests/video/{job}/apply"))
    assert [r.status_code for r in replies] == [200, 200, 200, 303]
    assert [r.json()["already_applied"] for r in replies[:3]] == [False, True, True]
    after = (_count(app, ProfileRecord, ProfileRecord.owner_id == uid), _count(app, PlanRecord, PlanRecord.owner_id == uid))
    assert after == (before[0] + 1, before[1] + 1)
    assert "already recorded" in b.c.get(f"/u/{uid}/results").text


def test_kept_clip_is_served_with_the_sniffed_type_not_the_clients(app, tmp_path: Path) -> None:
    jobs = VideoJobs(tmp_path / "jobs", analyser=fake_analyser, probe=MAGIC_ONLY)
    app.state.video_jobs = jobs
    b = Browser(app)
    uid = b.signup("ctype@example.org")
    b.intake()
    job = _upload(b, keep=True, ctype="text/html").json()["id"]
    clip_id = jobs.wait(uid, job)["clip_id"]
    r = b.c.get(f"/u/{uid}/clips/{clip_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with transaction(app.state.session_factory) as s:  # a row kept before the fix, with the client's word
        old = repo.add_video_clip(s, uid, side="left", filename="x.mp4", content_type="video/x-evil",
                                  data=b"<script>alert(1)</script>").id
    r = b.c.get(f"/u/{uid}/clips/{old}")
    assert r.headers["content-type"] == "application/octet-stream" and r.headers["x-content-type-options"] == "nosniff"


def test_session_cookie_carries_only_a_session_id(app) -> None:
    b = Browser(app)
    uid = b.signup("cookie@example.org")
    payload = b.c.cookies.get(SESSION_COOKIE).split(".", 1)[0]
    data = json.loads(base64.b64decode(payload + "=="))
    assert set(data) <= {"sid", "csrf", "flash"} and isinstance(data["sid"], str)
    with transaction(app.state.session_factory) as s:
        password_hash = s.get(User, uid).password_hash
    assert password_hash[-12:] not in base64.b64decode(payload + "==").decode()
    assert b.c.get("/api/v1/me").json()["id"] == uid


def test_data_folder_is_private_and_sqlite_overwrites_deleted_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kneecoach.store.db import default_url, make_engine
    from kneecoach.web.security import data_dir

    monkeypatch.delenv("KNEECOACH_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    old_umask = os.umask(0o022)
    try:
        url = default_url()
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
            conn.execute(text("CREATE TABLE t (x)"))
            conn.commit()
        engine.dispose()
    finally:
        os.umask(old_umask)
    folder = tmp_path / "xdg" / "kneecoach"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and data_dir() == folder
    assert stat.S_IMODE((folder / "kneecoach.db").stat().st_mode) == 0o600
    loose = tmp_path / "loose.db"
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    make_engine(str(loose)).dispose()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600


def test_cli_erase_also_removes_video_files_and_throttle_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kneecoach erase`` (the operator's erasure) leaves no video files or throttle rows either."""
    from typer.testing import CliRunner

    from kneecoach.cli import app as cli
    from kneecoach.store.db import make_engine, make_session_factory

    folder = tmp_path / "video"
    monkeypatch.setenv("KNEECOACH_VIDEO_DIR", str(folder))
    db = tmp_path / "cli.db"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    factory = make_session_factory(make_engine(str(db)))
    with transaction(factory) as s:
        uid = repo.create_user(s, "gone@example.org", "Gone", "runner", password_hash="x").id
    jobs = VideoJobs(folder, analyser=fake_analyser, probe=MAGIC_ONLY, factory=factory)
    monkeypatch.setattr(jobs, "start", lambda: None)  # queued, never run: its clip stays on disk
    jobs.submit(uid, "left", io.BytesIO(FAKE_CLIP))
    limits.DbThrottle(factory).record(*(key for _rule, key in limits.login_checks("gone@example.org", "192.0.2.1")[:2]))
    assert list(folder.iterdir()) and _count_in(factory, AuthAttempt) == 2
    r = CliRunner().invoke(cli, ["erase", "--db", str(db), "--email", "gone@example.org", "--yes"])
    assert r.exit_code == 0, r.output
    assert list(folder.iterdir()) == [] and _count_in(factory, AuthAttempt) == 0 and _count_in(factory, Job) == 0


def _count_in(factory, model) -> int:
    with transaction(factory) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0
