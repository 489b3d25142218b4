"""Cost of the server-side session check and the database throttle, per request.

Every signed-in request now looks its session up in ``user_sessions``, and
every login/sign-up/invite attempt reads and writes ``auth_attempts``. This
measures both against a throw-away SQLite file (and PostgreSQL when
``--pg URL`` names a throwaway database), with many stored rows so the
indexes matter:

    .venv/bin/python benchmarks/bench_auth.py
    .venv/bin/python benchmarks/bench_auth.py --pg postgresql+psycopg://postgres@127.0.0.1:54334/bench
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.migrate import downgrade, upgrade
from kneecoach.web.sessions import open_session, session_is_live
from kneecoach.web.throttle import DbThrottle, login_checks


def _time(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def bench(url: str, users: int, n: int) -> None:
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    tokens = []
    with transaction(factory) as s:
        for i in range(users):
            u = repo.create_user(s, f"u{i}@example.org", f"U{i}")
            tokens.append((u.id, open_session(s, u.id)))
    throttle = DbThrottle(factory)
    for i in range(users):  # background of stored attempts
        throttle.record(*(k for _r, k in login_checks(f"u{i}@example.org", f"10.0.{i // 250}.{i % 250}")))
    uid, tok = tokens[len(tokens) // 2]

    def check_session() -> None:
        with transaction(factory) as s:
            assert session_is_live(s, uid, tok)

    checks = login_checks("victim@example.org", "192.0.2.1")

    def login_bookkeeping() -> None:
        wait, ids = throttle.acquire(checks)  # store, then count (what every login attempt does)
        throttle.release(ids)  # keep the key below its limit so every sample is a full acquire

    for name, fn in (("session check", check_session), ("throttle acquire + release", login_bookkeeping)):
        p50, p99 = _time(fn, n)
        print(f"{url.split(':', 1)[0]:<22} {name:<26} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({users} users)")
    if not url.startswith("sqlite"):
        downgrade(url, "base")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--pg", help="a throwaway PostgreSQL database URL (its tables are dropped afterwards)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}", args.users, args.n)
    if args.pg:
        bench(args.pg, args.users, args.n)


if __name__ == "__main__":
    main()
