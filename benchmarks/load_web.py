"""Loopback load test of the web app: latency (p50/p99) and throughput per endpoint.

Starts ``uvicorn`` on 127.0.0.1 with a throw-away SQLite database (or targets
``--url http://127.0.0.1:PORT``), signs up one runner, fills the intake and
uploads one run, then drives the main read pages and one write (a pain
entry through the JSON API) with a bounded number of requests per endpoint
and a hard time budget. Loopback only: any other host is refused.

    .venv/bin/python benchmarks/load_web.py                  # start a server, 200 requests/endpoint
    .venv/bin/python benchmarks/load_web.py --requests 500 --concurrency 16 --workers 2
    .venv/bin/python benchmarks/load_web.py --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import httpx

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gpx(km: float = 6.0) -> bytes:
    start = datetime(2026, 11, 2, 7, tzinfo=timezone.utc)
    pts = []
    n = 200
    for i in range(n + 1):
        t = (start + timedelta(seconds=1800 * i / n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pts.append(f'<trkpt lat="{52 + km / 111.2 * i / n:.6f}" lon="4.0"><ele>10</ele><time>{t}</time></trkpt>')
    return ('<?xml version="1.0"?><gpx version="1.1" creator="load" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<trk><type>running</type><trkseg>{"".join(pts)}</trkseg></trk></gpx>').encode()


def _start_server(workers: int) -> tuple[subprocess.Popen, str, tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory(prefix="kneecoach-load-")
    port = _free_port()
    env = {**os.environ, "KNEECOACH_DB": f"sqlite:///{Path(tmp.name) / 'load.db'}",
           "KNEECOACH_SECRET_KEY": secrets.token_urlsafe(32), "XDG_DATA_HOME": tmp.name}
    subprocess.run([sys.executable, "-m", "kneecoach.store.migrate", "upgrade"], env=env, check=True)
    cmd = [sys.executable, "-m", "uvicorn", "kneecoach.web.app:app_from_env", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=1).status_code == 200:
                return proc, url, tmp
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start within 30 s")


async def _setup(client: httpx.AsyncClient) -> tuple[int, str]:
    page = await client.get("/signup")
    token = TOKEN_RE.search(page.text).group(1)
    email = f"load-{secrets.token_hex(4)}@example.org"
    r = await client.post("/signup", data={"csrf_token": token, "email": email, "display_name": "Load Runner",
                                            "password": "load-test-password", "role": "runner"})
    if r.status_code != 303:
        raise SystemExit(f"sign-up failed: {r.status_code}")
    token = (await client.get("/api/v1/csrf")).json()["csrf_token"]  # sign-up does not sign in: log in
    r = await client.post("/api/v1/login", headers={"X-CSRF-Token": token},
                          json={"email": email, "password": "load-test-password"})
    if r.status_code != 200:
        raise SystemExit(f"login failed: {r.status_code}")
    uid = r.json()["user"]["id"]
    token = (await client.get("/api/v1/csrf")).json()["csrf_token"]
    r = await client.post("/intake", data={
        "csrf_token": token, "symptoms.sides": "left", "symptoms.locations": "around_kneecap",
        "running.current_weekly_km": "20", "running.target_weekly_km": "40", "running.runs_per_week": "3"})
    if r.status_code != 303:
        raise SystemExit(f"intake failed: {r.status_code}")
    r = await client.post("/api/v1/runs", headers={"X-CSRF-Token": token},
                          files=[("files", ("load.gpx", _gpx(), "application/gpx+xml"))])
    r.raise_for_status()
    return uid, token


async def _drive(client: httpx.AsyncClient, name: str, make_request, n: int, concurrency: int,
                 deadline: float) -> dict:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        for _ in queue:
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            r = await make_request(client)
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code >= 400:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"name": name, "n": len(latencies), "errors": errors, "p50": q[49], "p99": q[98],
            "rps": len(latencies) / wall if wall else 0.0}


async def run(url: str, requests: int, concurrency: int, budget_s: float) -> list[dict]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, follow_redirects=False) as client:
        uid, token = await _setup(client)
        day = datetime.now(timezone.utc).date().isoformat()
        endpoints = [
            ("GET /home", lambda c: c.get("/home")),
            ("GET /u/{id}/results", lambda c: c.get(f"/u/{uid}/results")),
            ("GET /u/{id}/plan", lambda c: c.get(f"/u/{uid}/plan")),
            ("GET /u/{id}/review", lambda c: c.get(f"/u/{uid}/review")),
            ("GET /api/v1/users/{id}/plan", lambda c: c.get(f"/api/v1/users/{uid}/plan")),
            ("POST /api/v1/pain", lambda c: c.post("/api/v1/pain", headers={"X-CSRF-Token": token},
                                                   json={"day": day, "timing": "daily", "score": 2})),
        ]
        deadline = time.monotonic() + budget_s
        results = []
        for name, fn in endpoints:
            await fn(client)  # warm-up (template compile, KB load)
            results.append(await _drive(client, name, fn, requests, concurrency, deadline))
        return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="target an already running server on loopback, e.g. http://127.0.0.1:8000")
    ap.add_argument("--requests", type=int, default=200, help="requests per endpoint (max 5000)")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent connections (max 64)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers when this script starts the server")
    ap.add_argument("--budget", type=float, default=120.0, help="stop after this many seconds in total (max 600)")
    args = ap.parse_args(argv)
    requests = max(1, min(args.requests, 5000))
    concurrency = max(1, min(args.concurrency, 64))
    budget = max(1.0, min(args.budget, 600.0))

    proc = tmp = None
    if args.url:
        host = urlparse(args.url).hostname
        if host not in {"127.0.0.1", "localhost", "::1"}:
            print("refusing: this load test only targets loopback addresses", file=sys.stderr)
            return 2
        url = args.url.rstrip("/")
    else:
        proc, url, tmp = _start_server(max(1, min(args.workers, 8)))
    try:
        results = asyncio.run(run(url, requests, concurrency, budget))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            tmp.cleanup()
    print(f"target {url}  requests/endpoint {requests}  concurrency {concurrency}  workers "
          f"{args.workers if not args.url else '?'}  cpus {os.cpu_count()}")
    print(f"{'endpoint':30} {'n':>6} {'err':>4} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for r in results:
        print(f"{r['name']:30} {r['n']:>6} {r['errors']:>4} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['rps']:>8.1f}")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
