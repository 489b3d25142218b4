"""A clinic's morning against ``kneecoach serve``: 8/32/64 signed-in clients on SQLite and PostgreSQL.

Usage::

    .venv/bin/python benchmarks/bench_serve_load.py                     # SQLite only, short runs
    .venv/bin/python benchmarks/bench_serve_load.py \\
        --pg-url postgresql+psycopg://postgres@127.0.0.1:54329/kc_bench    # also PostgreSQL (EMPTIED first)
    .venv/bin/python benchmarks/bench_serve_load.py --runners 50 --runs 300 --duration 30 --repeat 3

What it does, per backend:

1. seeds a fresh database through the store's own functions: ``--runners``
   runners, each with an assessed plan, ``--runs`` runs over the past year
   and ``--weeks`` weeks of pain diary (one entry a day);
2. for each worker count (``--workers``, default 1 and 2) starts
   ``kneecoach serve`` on a free loopback port, and for each client count
   (``--clients``, default 8, 32, 64) signs every client in at once through
   the real form with its CSRF token and fetches each page once (the
   warm-up: a fresh worker imports and compiles on first use), then runs a closed loop
   with no think time for ``--duration`` seconds: home, plan, review,
   progress and the runs list, with a pain score posted every
   ``--write-every`` requests;
3. checks that every pain score answered with success is in the database;
4. prints one table: throughput, p50/p99 latency, errors (5xx or no answer),
   fast refusals (503 + Retry-After) and failed sign-ins.

The load generator runs on the same machine as the server, so on a small
or shared machine it takes CPU from the server: compare rows with each
other, not with a dedicated host. Loopback only. The PostgreSQL database
given with ``--pg-url`` is emptied (``DROP SCHEMA public CASCADE``): give it
a throwaway one.
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
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "clinic morning benchmark"
ENTRY = "from kneecoach.cli import main; main()"


# --------------------------------------------------------------------------- seeding


def reset_postgres(url: str) -> None:
    """Empty the PostgreSQL database named by ``url`` (a throwaway one)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(sa.text("DROP SCHEMA public CASCADE"))
        c.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def seed(url: str, runners: int, runs: int, weeks: int) -> list[tuple[str, int]]:
    """Fill a migrated database; returns ``(e-mail, user id)`` per runner (all share :data:`PASSWORD`)."""
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.store import repo
    from kneecoach.store.db import make_engine, make_session_factory, transaction
    from kneecoach.store.migrate import upgrade
    from kneecoach.tracking.activity import Activity
    from kneecoach.web.security import hash_password

    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    profile = load_example("runners_knee_004")
    result = assess(profile)
    digest = hash_password(PASSWORD)  # one argon2 hash: every runner has the same password
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    today = date.today()
    people: list[tuple[str, int]] = []
    for k in range(runners):
        acts = [Activity(start=now - timedelta(days=365 * i / max(runs, 1), hours=1 + k % 5),
                         duration_s=330.0 * (5 + i % 11), distance_m=1000.0 * (5 + i % 11),
                         elevation_gain_m=float(i % 60), source_format="gpx", source_name=f"run_{k}_{i}.gpx")
                for i in range(runs)]
        with transaction(factory) as s:
            user = repo.create_user(s, f"runner{k}-{secrets.token_hex(3)}@clinic.example", f"Runner {k}",
                                    password_hash=digest)
            repo.save_assessment_and_plan(s, user.id, profile, result)
            repo.add_runs(s, user.id, acts)
            for d in range(weeks * 7):
                repo.add_pain(s, user.id, today - timedelta(days=d), "after", (d + k) % 5)
            people.append((user.email, user.id))
    engine.dispose()
    return people


def count_notes(url: str, marker: str) -> int:
    from sqlalchemy import func, select

    from kneecoach.store.db import make_engine, make_session_factory, transaction
    from kneecoach.store.models import PainEntry

    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as s:
        n = int(s.scalar(select(func.count(PainEntry.id)).where(PainEntry.note.like(f"{marker}%"))) or 0)
    engine.dispose()
    return n


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, data: Path, threads: int | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"KNEECOACH_DB"}}
    env.update({"XDG_DATA_HOME": str(data), "KNEECOACH_SECRET_KEY": secrets.token_urlsafe(32)})
    cmd = [sys.executable, "-c", ENTRY, "serve", "--port", str(port), "--db", url, "--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(data / "server.log", "ab"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"server did not start within 60 s (see {data / 'server.log'})")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def log_problems(log: Path, since: int) -> str:
    """The kinds of error in the server log written after byte ``since`` (pool timeouts, locks), counted."""
    if not log.exists():
        return ""
    with open(log, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    kinds = {"pool timeout": "QueuePool limit", "database is locked": "database is locked",
             "500 (Traceback)": "Traceback (most recent call last)", "503 refusals logged": "answering 503"}
    found = {k: text.count(v) for k, v in kinds.items() if v in text}
    return ", ".join(f"{k}: {n}" for k, n in found.items())


# --------------------------------------------------------------------------- the load


@dataclass
class Point:
    """What one run at one client count measured."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    refused: int = 0
    signin_failed: int = 0
    signin_s: float = 0.0
    acknowledged: int = 0
    why: Counter[str] = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def quantile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


async def _sign_in(c: httpx.AsyncClient, email: str, timeout_s: float, why: Counter[str]) -> str | None:
    """The real form sign-in; returns the session's CSRF token, or None when it failed or timed out.

    A 503 (the worker is full) is answered as a client should: wait ``Retry-After``, try again.
    """
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        try:
            page = await c.get("/login", timeout=timeout_s)
            m = TOKEN_RE.search(page.text)
            if page.status_code == 503 or m is None:
                await asyncio.sleep(float(page.headers.get("Retry-After", "1")))
                continue
            r = await c.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": m.group(1),
                                             "next": "/home"}, timeout=timeout_s)
            if r.status_code == 503:
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code != 303:
                why[f"HTTP {r.status_code}"] += 1
                return None
            while True:  # signed in; the CSRF token may meet a full worker too
                r = await c.get("/api/v1/csrf", timeout=timeout_s)
                if r.status_code != 503:
                    return r.json()["csrf_token"]
                await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
        except httpx.HTTPError as exc:
            why[type(exc).__name__] += 1
            return None
    why["gave up"] += 1
    return None


async def run_point(base: str, people: list[tuple[str, int]], clients: int, duration: float, write_every: int,
                    marker: str, timeout_s: float, signin_timeout_s: float) -> Point:
    point = Point(clients)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    sessions = [httpx.AsyncClient(base_url=base, timeout=timeout_s, limits=limits, follow_redirects=False)
                for _ in range(clients)]
    try:
        began = time.perf_counter()
        tokens = await asyncio.gather(*(_sign_in(c, people[i % len(people)][0], signin_timeout_s, point.why)
                                        for i, c in enumerate(sessions)), return_exceptions=True)
        point.signin_s = time.perf_counter() - began
        point.signin_failed = sum(1 for t in tokens if not isinstance(t, str))
        day = date.today().isoformat()

        def pages_of(i: int) -> list[str]:
            uid = people[i % len(people)][1]
            return ["/home", f"/u/{uid}/plan", f"/u/{uid}/review", f"/u/{uid}/progress", f"/api/v1/users/{uid}/runs"]

        async def warm(i: int, c: httpx.AsyncClient) -> None:
            """One untimed pass over the pages: the first render in a fresh worker imports and compiles."""
            for page in pages_of(i):
                try:
                    await c.get(page)
                except httpx.HTTPError:
                    pass

        signed_in = [(i, c, t) for i, (c, t) in enumerate(zip(sessions, tokens)) if isinstance(t, str)]
        await asyncio.gather(*(warm(i, c) for i, c, _t in signed_in))
        stop_at = time.perf_counter() + duration

        async def loop(i: int, c: httpx.AsyncClient, token: str) -> None:
            pages = pages_of(i)
            n = 0
            while time.perf_counter() < stop_at:
                n += 1
                t0 = time.perf_counter()
                try:
                    if n % write_every == 0:
                        r = await c.post("/diary/pain", data={"csrf_token": token, "score": str(n % 11),
                                                              "timing": "after", "pain_day": day,
                                                              "pain_note": f"{marker}{i}-{n}"})
                        if r.status_code == 303:
                            point.acknowledged += 1
                    else:
                        r = await c.get(pages[n % len(pages)])
                except httpx.HTTPError as exc:
                    point.why[type(exc).__name__] += 1
                    point.errors += 1
                    point.timeouts += isinstance(exc, httpx.TimeoutException)
                    continue
                point.latencies.append(time.perf_counter() - t0)
                if r.status_code == 503:
                    point.refused += 1
                    await asyncio.sleep(float(r.headers.get("Retry-After", "1")) * 0.1)  # a polite client backs off
                elif r.status_code >= 500:
                    point.why[f"HTTP {r.status_code}"] += 1
                    point.errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(loop(i, c, t) for i, c, t in signed_in))
        point.seconds = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in sessions))
    return point


def median_point(points: list[Point]) -> Point:
    """The run with the median throughput (so its latencies belong to one real run)."""
    return sorted(points, key=lambda p: p.rps)[len(points) // 2]


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runners", type=int, default=20, help="seeded runners (the issue used 50)")
    ap.add_argument("--runs", type=int, default=60, help="runs per runner (the issue used about 300)")
    ap.add_argument("--weeks", type=int, default=12, help="weeks of pain diary per runner")
    ap.add_argument("--clients", default="8,32,64", help="comma-separated client counts")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--threads", type=int, default=None, help="kneecoach serve --threads (default: its default)")
    ap.add_argument("--duration", type=float, default=8.0, help="seconds of load per point (the issue used 30)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per point; the median is shown")
    ap.add_argument("--write-every", type=int, default=5, help="one pain score every N requests")
    ap.add_argument("--timeout", type=float, default=30.0, help="client timeout per request, seconds")
    ap.add_argument("--signin-timeout", type=float, default=120.0,
                    help="how long the warm-up waits for one client's sign-in (argon2 is CPU work: 64 at once "
                         "take a while on 2 cores)")
    ap.add_argument("--pg-url", default=None, help="a THROWAWAY PostgreSQL database (emptied); omit for SQLite only")
    ap.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    args = ap.parse_args(argv)
    clients = [max(1, min(int(c), 256)) for c in args.clients.split(",")]
    workers = [max(1, min(int(w), 8)) for w in args.workers.split(",")]

    rows: list[tuple[str, int, Point]] = []
    lost = 0
    with tempfile.TemporaryDirectory(prefix="kneecoach-serve-load-") as tmp:
        backends: list[tuple[str, str]] = []
        if not args.no_sqlite:
            backends.append(("SQLite", f"sqlite:///{Path(tmp) / 'clinic.db'}"))
        if args.pg_url:
            backends.append(("PostgreSQL", args.pg_url))
        for name, url in backends:
            if name == "PostgreSQL":
                reset_postgres(url)
            t0 = time.perf_counter()
            people = seed(url, args.runners, args.runs, args.weeks)
            print(f"{name}: seeded {len(people)} runners x {args.runs} runs, {args.weeks} weeks of diary "
                  f"in {time.perf_counter() - t0:.0f} s", flush=True)
            for w in workers:
                proc, base = start_server(url, w, Path(tmp), args.threads)
                try:
                    for n in clients:
                        tries = []
                        log = Path(tmp) / "server.log"
                        mark = log.stat().st_size if log.exists() else 0
                        for _ in range(max(1, args.repeat)):
                            marker = f"bench-{secrets.token_hex(4)}-"
                            p = asyncio.run(run_point(base, people, n, args.duration, max(1, args.write_every),
                                                      marker, args.timeout, args.signin_timeout))
                            stored = count_notes(url, marker)
                            lost += max(0, p.acknowledged - stored)
                            tries.append(p)
                        p = median_point(tries)
                        rows.append((name, w, p))
                        problems = log_problems(log, mark)
                        print(f"  {name}, {w} worker(s), {n} clients: {p.rps:.0f} req/s, p99 "
                              f"{p.quantile(99):.2f} s, errors {p.errors} ({p.timeouts} timed out), 503 {p.refused}, sign-in failed "
                              f"{p.signin_failed}" + (f"; failures: {dict(p.why)}" if p.why else "")
                              + (f"; server log: {problems}" if problems else ""), flush=True)
                finally:
                    stop_server(proc)

    print()
    print(f"cpus {os.cpu_count()}, {args.duration:g} s per point, median of {max(1, args.repeat)}, "
          f"{args.runners} runners x {args.runs} runs; load generator on the same machine")
    print()
    print("| backend, workers | clients | req/s | p50 s | p99 s | errors (timed out) | 503 | sign-in failed (time) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, w, p in rows:
        print(f"| {name}, {w} | {p.clients} | {p.rps:.0f} | {p.quantile(50):.2f} | {p.quantile(99):.2f} | "
              f"{p.errors} ({p.timeouts}) | {p.refused} | {p.signin_failed} ({p.signin_s:.1f} s) |")
    print()
    for name in dict.fromkeys(r[0] for r in rows):
        for w in workers:
            ok = [p for n_, w_, p in rows if n_ == name and w_ == w and p.quantile(99) < 1.0 and not p.errors]
            best = max(ok, key=lambda p: p.clients, default=None)
            if best is None:
                print(f"{name}, {w} worker(s): p99 was over 1 s at every client count")
            else:
                print(f"{name}, {w} worker(s): {best.clients} busy clients at p99 {best.quantile(99):.2f} s "
                      f"({best.rps:.0f} req/s)")
    print(f"acknowledged pain scores missing from the database: {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
