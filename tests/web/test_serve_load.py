"""The server under a clinic's load (issue 24), against a real uvicorn server on loopback.

Each test starts ``uvicorn`` in a thread on a free port with its own app, so
requests really run concurrently on one event loop and one thread pool, as
in ``kneecoach serve``. Accounts are created directly in the database (the
sign-up throttle allows 20 per address and hour); every client then signs
in through the real form with its CSRF token.
"""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from kneecoach.store import repo
from kneecoach.store.db import transaction
from kneecoach.store.models import PainEntry, RunRecord
from kneecoach.web.app import create_app
from kneecoach.web.security import hash_password

from .conftest import PASSWORD

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
SECRET = "load-test-secret-" + "k" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread; yield its base URL; stop it afterwards."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def make_runners(app, count: int) -> list[str]:
    """``count`` runner accounts (unique e-mails, the test password); returns their e-mails."""
    digest = hash_password(PASSWORD)
    emails = [f"load-{uuid.uuid4().hex[:10]}@example.org" for _ in range(count)]
    with transaction(app.state.session_factory) as s:
        for i, email in enumerate(emails):
            repo.create_user(s, email, f"Runner {i}", "runner", password_hash=digest)
    return emails


class Client:
    """One signed-in browser: its own cookies and CSRF token."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60.0, follow_redirects=False)
        self.token = ""

    def sign_in(self, email: str) -> int:
        self.token = TOKEN_RE.search(self.http.get("/login").text).group(1)  # type: ignore[union-attr]
        r = self.http.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": self.token})
        if r.status_code == 303:
            self.token = TOKEN_RE.search(self.http.get("/diary").text).group(1)  # type: ignore[union-attr]
        return r.status_code

    def pain(self, score: int, note: str, day: str | None = None) -> int:
        data = {"csrf_token": self.token, "score": str(score), "timing": "after", "pain_note": note}
        if day:
            data["pain_day"] = day
        return self.http.post("/diary/pain", data=data).status_code

    def close(self) -> None:
        self.http.close()


def stored_notes(app, prefix: str) -> list[str]:
    with transaction(app.state.session_factory) as s:
        return list(s.scalars(select(PainEntry.note).where(PainEntry.note.like(f"{prefix}%"))))


# --------------------------------------------------------------------------- more requests than connections


def _backend_urls() -> list:
    urls = [pytest.param("sqlite", id="sqlite")]
    urls.append(pytest.param("postgres", id="postgres",
                             marks=pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL")))
    return urls


@pytest.mark.parametrize("backend", _backend_urls())
def test_more_concurrent_requests_than_pooled_connections_all_complete(backend: str, db_url: str) -> None:
    """24 clients sign in and work at once against 4 request threads and 8 pooled connections.

    A pool timeout of 5 s makes a pool deadlock (the event loop or a request
    waiting for a second connection) fail the test quickly instead of hanging.
    """
    url = db_url if backend == "sqlite" else PG_URL
    app = create_app(url, secret_key=SECRET, threads=4, max_concurrent=200, pool_timeout_s=5.0)
    assert app.state.engine.pool.size() == 8  # 4 request threads + the background threads' spares
    clients = 24
    emails = make_runners(app, clients)
    marker = f"pool-{uuid.uuid4().hex[:8]}-"
    start = threading.Barrier(clients)

    def session(i: int) -> list[int]:
        c = Client(base)
        try:
            start.wait(30)
            codes = [c.sign_in(emails[i])]
            codes.append(c.http.get("/home").status_code)
            codes.append(c.pain(i % 11, f"{marker}{i}"))
            codes.append(c.http.get("/diary").status_code)
            codes.append(c.http.get("/account").status_code)
            return codes
        finally:
            c.close()

    with serve(app) as base:
        began = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(session, range(clients)))
        took = time.monotonic() - began
    assert results == [[303, 200, 303, 200, 200]] * clients, results
    assert sorted(stored_notes(app, marker)) == sorted(f"{marker}{i}" for i in range(clients))
    assert took < 60, f"{clients} sessions took {took:.1f} s"
    app.state.engine.dispose()
    if backend == "postgres":  # leave the throwaway database empty for the tests that need it empty
        from kneecoach.store import migrate

        migrate.downgrade(PG_URL, "base")


# --------------------------------------------------------------------------- SQLite writes


def test_32_concurrent_diary_writes_on_sqlite_all_succeed_and_are_stored(db_url: str) -> None:
    app = create_app(db_url, secret_key=SECRET)
    emails = make_runners(app, 8)
    marker = f"w32-{uuid.uuid4().hex[:8]}-"
    with serve(app) as base:
        clients = [Client(base) for _ in emails]
        assert [c.sign_in(e) for c, e in zip(clients, emails)] == [303] * len(emails)
        start = threading.Barrier(32)

        def write(i: int) -> int:
            start.wait(30)
            return clients[i % len(clients)].pain(i % 11, f"{marker}{i}")

        with ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(write, range(32)))
        for c in clients:
            c.close()
    assert codes == [303] * 32, codes
    assert sorted(stored_notes(app, marker)) == sorted(f"{marker}{i}" for i in range(32))


def _tiny_gpx(start: datetime, km: float = 3.0) -> bytes:
    """A short running GPX (21 points over 18 minutes); cheap to parse, so 300 fit in a test."""
    n = 20
    pts = "".join(
        f'<trkpt lat="{52 + km / 111.2 * i / n:.6f}" lon="4.0"><ele>10</ele>'
        f'<time>{(start + timedelta(seconds=1080 * i / n)).strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>'
        for i in range(n + 1))
    return ('<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<trk><type>running</type><trkseg>{pts}</trkseg></trk></gpx>').encode()


def zip_of_runs(count: int) -> bytes:
    first = datetime(2025, 1, 1, 7, tzinfo=timezone.utc)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(count):
            z.writestr(f"run-{i:03d}.gpx", _tiny_gpx(first + timedelta(days=i)))
    return buf.getvalue()


def _wait_until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_300_file_import_on_sqlite_with_diary_writes_beside_it_stores_every_run(db_url: str) -> None:
    app = create_app(db_url, secret_key=SECRET)
    app.state.upload_wait_s = 0.0  # answer at once with the job; the test follows it
    emails = make_runners(app, 5)
    archive = zip_of_runs(300)
    marker = f"imp-{uuid.uuid4().hex[:8]}-"
    with transaction(app.state.session_factory) as s:
        importer_id = repo.get_user_by_email(s, emails[0]).id

    def runs_stored() -> int:
        with transaction(app.state.session_factory) as s:
            return int(s.scalar(select(func.count(RunRecord.id)).where(RunRecord.owner_id == importer_id)) or 0)

    with serve(app) as base:
        uploader = Client(base)
        writers = [Client(base) for _ in emails[1:]]
        assert uploader.sign_in(emails[0]) == 303
        assert [w.sign_in(e) for w, e in zip(writers, emails[1:])] == [303] * len(writers)
        r = uploader.http.post("/upload", data={"csrf_token": uploader.token},
                               files={"files": ("export.zip", archive, "application/zip")},
                               headers={"Accept": "application/json"})
        assert r.status_code in (200, 202), r.text[:300]
        job_ids = [j["id"] for j in r.json()["jobs"]]
        stop = threading.Event()
        codes: list[int] = []

        def write(w: Client, k: int) -> None:
            n = 0
            while not stop.is_set() and n < 60:
                codes.append(w.pain(n % 11, f"{marker}{k}-{n}"))
                n += 1

        threads = [threading.Thread(target=write, args=(w, k)) for k, w in enumerate(writers)]
        for t in threads:
            t.start()
        try:
            finished = _wait_until(lambda: runs_stored() == 300 or all(
                uploader.http.get(f"/jobs/{j}", headers={"Accept": "application/json"}).json()["status"]
                in ("done", "failed") for j in job_ids), 240)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        jobs = [uploader.http.get(f"/jobs/{j}", headers={"Accept": "application/json"}).json() for j in job_ids]
        for c in [uploader, *writers]:
            c.close()
    assert finished, "the import did not finish in 4 minutes"
    assert runs_stored() == 300
    assert all(j["status"] == "done" and j["result"]["ok"] for j in jobs), jobs
    assert jobs[0]["result"]["added"] == 300
    assert codes and set(codes) == {303}, sorted(set(codes))
    assert len(stored_notes(app, marker)) == len(codes)


# --------------------------------------------------------------------------- overload


def test_an_overloaded_worker_answers_503_with_retry_after_quickly_while_healthz_answers(db_url: str) -> None:
    """Two slow requests fill a worker limited to two; the third is refused at once, /healthz is not."""
    app = create_app(db_url, secret_key=SECRET, threads=2, max_concurrent=2)
    release, entered = threading.Event(), threading.Semaphore(0)

    def slow() -> dict[str, bool]:  # a plain def route: holds one of the two request threads
        entered.release()
        release.wait(30)
        return {"done": True}

    app.add_api_route("/test-slow", slow, methods=["GET"])
    with serve(app) as base:
        with ThreadPoolExecutor(2) as pool:
            held = [pool.submit(httpx.get, f"{base}/test-slow", timeout=60) for _ in range(2)]
            try:
                assert entered.acquire(timeout=20) and entered.acquire(timeout=20), "slow requests did not start"
                began = time.monotonic()
                refused = httpx.get(f"{base}/login", timeout=10)
                refused_s = time.monotonic() - began
                api_refused = httpx.get(f"{base}/api/v1/me", timeout=10)
                began = time.monotonic()
                health = httpx.get(f"{base}/healthz", timeout=10)
                health_s = time.monotonic() - began
            finally:
                release.set()
            assert [f.result().status_code for f in held] == [200, 200]
        after = httpx.get(f"{base}/login", timeout=10)
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused_s < 0.5, f"the refusal took {refused_s:.2f} s"
    assert api_refused.status_code == 503 and "busy" in api_refused.json()["detail"]
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert health_s < 1.0, f"/healthz took {health_s:.2f} s"
    assert after.status_code == 200  # capacity comes back once the slow requests end


# --------------------------------------------------------------------------- kneecoach serve


def test_serve_takes_threads_and_a_concurrency_limit_for_every_worker(tmp_path) -> None:
    import subprocess
    import sys

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNEECOACH_")}
    env.update({"XDG_DATA_HOME": str(tmp_path / "data"), "KNEECOACH_CACHE_DIR": os.environ["KNEECOACH_CACHE_DIR"]})
    cmd = [sys.executable, "-c", "from kneecoach.cli import main; main()", "serve", "--port", str(port),
           "--db", str(tmp_path / "serve.db"), "--workers", "2", "--threads", "3", "--max-concurrent", "5"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.monotonic() + 40, None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert "per worker: 3 threads, 7 connections, 503 past 5 requests in flight" in out

    bad = subprocess.run([*cmd[:3], "serve", "--port", str(port), "--db", str(tmp_path / "serve.db")],
                         env={**env, "KNEECOACH_THREADS": "lots"}, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "KNEECOACH_THREADS must be a number" in bad.stderr


# --------------------------------------------------------------------------- one connection per request


def test_a_sign_in_holds_one_pooled_connection_at_a_time(app, browser) -> None:
    """The throttle and the session check use the request's session: never two connections at once.

    (Before issue 24 the throttle opened its own transactions while the
    request's session held a connection, so each sign-in needed two, and a
    full pool froze the worker.)
    """
    from sqlalchemy import event

    browser.signup("one-conn@example.org")
    browser.post("/logout")
    out, most = [0], [0]

    def checkout(*_args) -> None:
        out[0] += 1
        most[0] = max(most[0], out[0])

    def checkin(*_args) -> None:
        out[0] -= 1

    pool = app.state.engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        token = browser.token("/login")
        r = browser.c.post("/login", data={"email": "one-conn@example.org", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
        wrong = browser.c.post("/login", data={"email": "one-conn@example.org", "password": "wrong password!",
                                               "csrf_token": browser.token("/login")}, follow_redirects=False)
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
    assert r.status_code == 303 and wrong.status_code == 400
    assert most[0] == 1, f"a sign-in held {most[0]} connections at once"
