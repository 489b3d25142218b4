"""``kneecoach serve --workers 2`` on PostgreSQL under a bounded load on loopback.

Runs when ``KNEECOACH_TEST_POSTGRES_URL`` names a throwaway PostgreSQL server
(``.ci/run`` starts one). The test makes its own database on that server (so
it never touches the one the migration tests empty) and drops it at the end.

Two runners write diary entries and upload GPX files while a clinician linked
to one of them reads, all through fresh loopback connections so requests are
spread over both worker processes (each access-log line names its worker's
pid). Then it checks: every write stored exactly once (no loss, no
duplicates), no read ever crossed to the other runner, login failures are
counted across workers (both refuse once the shared limit is reached), and a
logout is seen by both workers (a replayed cookie is refused by each).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from kneecoach.web.throttle import LOGIN_ACCOUNT_ADDRESS

from .conftest import make_gpx

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL to a throwaway PostgreSQL server")

PASSWORD = "multi worker passphrase"
PAIN_PER_RUNNER = 24
RUNS_PER_RUNNER = 4
THREADS = 6  # the load generator's bound: at most this many requests in flight


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def pg_database() -> Iterator[str]:
    """A fresh database on the throwaway server, dropped afterwards."""
    assert PG_URL
    name = f"kc_mw_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def server(pg_database: str, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"KNEECOACH_DB"}}
    env.update({"XDG_DATA_HOME": str(tmp_path / "data"), "KNEECOACH_SECRET_KEY": "mw-" + "k" * 40})
    log = tmp_path / "server.log"
    cmd = [sys.executable, "-c", "from kneecoach.cli import main; main()", "serve", "--port", str(port),
           "--db", pg_database, "--workers", "2"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(base + "/healthz", timeout=2).status_code
            except httpx.HTTPError:
                time.sleep(0.3)
        assert status == 200, log.read_text()[-2000:]
        yield base, log, pg_database
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Client:
    """One person: a session cookie and CSRF token; every request on a new connection (spreads over workers)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, rid: str | None = None, **kw) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if self.token:
            headers["X-CSRF-Token"] = self.token
        if rid:
            headers["X-Request-ID"] = rid
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        with httpx.Client(base_url=self.base, timeout=60) as c:
            r = c.request(method, path, headers=headers, **kw)
        for cookie in r.cookies.jar:
            if cookie.is_expired():
                self.cookies.pop(cookie.name, None)
            else:
                self.cookies[cookie.name] = cookie.value or ""
        return r

    def start(self) -> None:
        self.token = self.request("GET", "/api/v1/csrf").json()["csrf_token"]

    def signup_and_login(self, email: str, role: str = "runner") -> int:
        self.start()
        r = self.request("POST", "/signup", data={"email": email, "display_name": email.split("@")[0],
                                                  "password": PASSWORD, "role": role})
        assert r.status_code == 303, r.text[:300]
        self.start()
        r = self.request("POST", "/api/v1/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text[:300]
        self.token = r.json()["csrf_token"]
        return r.json()["user"]["id"]


def _served_by(log: Path) -> dict[str, int]:
    """request id -> pid of the worker that served it, from the JSON access lines."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"request_id"' in line:
            rec = json.loads(line)
            found[rec["request_id"]] = rec["pid"]
    return found


def test_two_workers_on_postgres_under_load(server) -> None:
    base, log, url = server
    r1, r2, doc = Client(base), Client(base), Client(base)
    r1_id = r1.signup_and_login("one@example.org")
    r2_id = r2.signup_and_login("two@example.org")
    doc.signup_and_login("doc@example.org", role="clinician")
    assert r1.request("POST", "/invites").status_code == 303
    code = re.search(r"<code>([^<]+)</code>", r1.request("GET", "/home").text).group(1)
    assert doc.request("POST", "/invites/accept", data={"code": code}).status_code == 303

    # ---- bounded load: two runners write, the clinician reads, at most THREADS requests at once
    def pain(client: Client, who: str, i: int) -> int:
        body = {"day": f"2026-11-{1 + i % 28:02d}", "timing": "daily", "score": i % 11, "note": f"{who}-{i}"}
        return client.request("POST", "/api/v1/pain", rid=f"pain-{who}-{i:03d}", json=body).status_code

    def upload(client: Client, who: str, i: int) -> int:
        hour = 6 if who == "one" else 18  # different start times: runs of one runner never match the other's
        gpx = make_gpx(f"2026-10-{10 + i:02d}T{hour:02d}:00:00", km=3 + i, name=f"{who}-{i}")
        r = client.request("POST", "/api/v1/runs", rid=f"run-{who}-{i}",
                           files={"files": (f"{who}-{i}.gpx", gpx, "application/gpx+xml")})
        assert r.status_code == 200 and r.json()["files"][0]["added"] == 1, r.text[:300]
        return r.status_code

    cross_reads: list[str] = []

    def read(i: int) -> int:
        mine = doc.request("GET", f"/api/v1/users/{r1_id}/runs", rid=f"read-doc-{i:03d}")
        assert mine.status_code == 200
        if any(run["start"].startswith("2026-10-") and "T18:" in run["start"] for run in mine.json()):
            cross_reads.append(f"doc saw a run of runner two: {mine.text[:200]}")
        for who, path in ((doc, f"/api/v1/users/{r2_id}/runs"), (r2, f"/api/v1/users/{r1_id}/runs"),
                          (r1, f"/api/v1/users/{r2_id}/review")):
            r = who.request("GET", path)
            if r.status_code != 404:
                cross_reads.append(f"{path}: {r.status_code}")
        return mine.status_code

    jobs = []
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for i in range(PAIN_PER_RUNNER):
            jobs.append(pool.submit(pain, r1, "one", i))
            jobs.append(pool.submit(pain, r2, "two", i))
            if i % 3 == 0:
                jobs.append(pool.submit(read, i))
        for i in range(RUNS_PER_RUNNER):
            jobs.append(pool.submit(upload, r1, "one", i))
            jobs.append(pool.submit(upload, r2, "two", i))
        statuses = [j.result() for j in jobs]
    assert set(statuses) <= {200, 201}
    assert cross_reads == []

    # ---- no lost or duplicated writes (read straight from PostgreSQL)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            for uid, who in ((r1_id, "one"), (r2_id, "two")):
                notes = sorted(c.execute(sa.text("SELECT note FROM pain_entries WHERE owner_id = :u"),
                                         {"u": uid}).scalars())
                assert notes == sorted(f"{who}-{i}" for i in range(PAIN_PER_RUNNER))
                runs = c.execute(sa.text("SELECT count(*) FROM runs WHERE owner_id = :u"), {"u": uid}).scalar()
                assert runs == RUNS_PER_RUNNER
    finally:
        engine.dispose()

    served = _served_by(log)
    assert len({pid for rid, pid in served.items() if rid.startswith("pain-")}) == 2, "load hit one worker only"

    # ---- throttle counted across workers: after the shared limit, every worker refuses
    attacker = Client(base)
    attacker.start()

    def wrong(i: int) -> int:
        return attacker.request("POST", "/api/v1/login", rid=f"fail-{i:03d}",
                                json={"email": "one@example.org", "password": "not it at all"}).status_code

    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # a simultaneous burst cannot race past the limit
        burst = list(pool.map(wrong, range(3 * LOGIN_ACCOUNT_ADDRESS.limit)))
    assert set(burst) <= {401, 429} and 1 <= burst.count(401) <= LOGIN_ACCOUNT_ADDRESS.limit
    judged = burst.count(401)
    for i in range(100, 100 + LOGIN_ACCOUNT_ADDRESS.limit + 1):  # top up one by one to the first refusal
        status = wrong(i)
        if status == 429:
            break
        judged += 1
    assert judged == LOGIN_ACCOUNT_ADDRESS.limit  # exactly the limit, counted over both workers
    refusing: set[int] = set()
    for i in range(200):  # until both workers have refused (bounded)
        r = attacker.request("POST", "/api/v1/login", rid=f"throttled-{i:03d}",
                             json={"email": "one@example.org", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        pid = _served_by(log).get(f"throttled-{i:03d}")
        if pid:
            refusing.add(pid)
        if len(refusing) == 2:
            break
    assert len(refusing) == 2, "only one worker answered; cannot show the shared count"

    # ---- logout seen by both workers: the old cookie is refused by each
    stolen = dict(r2.cookies)
    assert r2.request("POST", "/api/v1/logout").status_code == 204
    thief = Client(base)
    refused_by: set[int] = set()
    for i in range(200):
        thief.cookies = dict(stolen)
        r = thief.request("GET", "/api/v1/me", rid=f"replay-{i:03d}")
        assert r.status_code == 401
        pid = _served_by(log).get(f"replay-{i:03d}")
        if pid:
            refused_by.add(pid)
        if len(refused_by) == 2:
            break
    assert len(refused_by) == 2
