"""Scale: 10,000 stored runs (plus a pain diary); time runs, load, review, plot and the web review page.

Usage::

    .venv/bin/python benchmarks/bench_scale.py                 # 10,000 runs
    .venv/bin/python benchmarks/bench_scale.py --runs 2000     # quicker

Fills a fresh SQLite database (in a temporary folder) through the store's own
functions: a plan (``assess`` of a built-in example, saved), N runs of 5-25 km
spread over the years before today (about 2.7 a day for 10,000: a ten-year
archive of a heavy user, or a club's), and a pain entry every third day.
Then each CLI command runs in a fresh process (wall time, start-up
included) and the web review page is fetched through FastAPI's test client
(logged in, second request timed: the first one warms caches). Target
(issue 11): each under 1 s. Several runs of each are timed; the median is
reported. The machine is shared, so medians are the number to read.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ENTRY = "import sys; from kneecoach.cli import main; sys.argv[0] = 'kneecoach'; main()"


def fill(url: str, n: int) -> tuple[int, str]:
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.store import repo
    from kneecoach.store.db import make_engine, make_session_factory, transaction
    from kneecoach.store.migrate import upgrade
    from kneecoach.tracking.activity import Activity
    from kneecoach.web.security import hash_password

    upgrade(url)
    factory = make_session_factory(make_engine(url))
    profile = load_example("runners_knee_004")
    result = assess(profile)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    step = timedelta(days=3650) / n
    acts = [Activity(start=now - step * i - timedelta(hours=1), duration_s=330.0 * (5 + i % 21),
                     distance_m=1000.0 * (5 + i % 21), elevation_gain_m=float(i % 90), avg_cadence_spm=172.0,
                     avg_heart_rate_bpm=148.0, source_format="gpx", source_name=f"run_{i:05d}.gpx")
            for i in range(n)]
    password = "benchmark password 123"
    with transaction(factory) as s:
        local = repo.get_or_create_local_runner(s)
        web = repo.create_user(s, "scale@example.org", "Scale", password_hash=hash_password(password))
        for owner in (local.id, web.id):
            repo.save_assessment_and_plan(s, owner, profile, result)
            repo.add_runs(s, owner, acts)
            for d in range(0, 3650, 3):
                repo.add_pain(s, owner, date.today() - timedelta(days=d), "during", (d // 3) % 6)
        web_id = web.id
    return web_id, password


def time_cli(args: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True)
        out.append(time.perf_counter() - t)
        if r.returncode not in (0, 3):
            raise SystemExit(f"{args} failed: {r.stderr[-500:]}")
    return out


def time_web(url: str, user_id: int, password: str, repeats: int) -> list[float]:
    import re

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from kneecoach.web.app import create_app

    app = create_app(url, secret_key="bench-" + "k" * 40)
    c = TestClient(app)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"email": "scale@example.org", "password": password, "csrf_token": tok})
    assert r.status_code in (200, 303), r.status_code
    page = f"/u/{user_id}/review"
    assert c.get(page).status_code == 200
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = c.get(page)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200 and "<svg" in r.text
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kneecoach-scale-") as tmp:
        db = Path(tmp) / "scale.db"
        url = f"sqlite:///{db}"
        t = time.perf_counter()
        user_id, password = fill(url, args.runs)
        print(f"filled {args.runs} runs x 2 owners + pain diary in {time.perf_counter() - t:.1f} s "
              f"({db.stat().st_size / 1e6:.1f} MB)", flush=True)
        cases = {
            "kneecoach runs": ["runs", "--db", str(db)],
            "kneecoach load": ["load", "--db", str(db)],
            "kneecoach review": ["review", "--db", str(db)],
            "kneecoach plot": ["plot", str(Path(tmp) / "load.png"), "--db", str(db)],
        }
        for label, cli_args in cases.items():
            times = time_cli(cli_args, args.repeats)
            print(f"{label:24s} median {statistics.median(times):6.3f} s  best {min(times):6.3f} s "
                  "(fresh process, start-up included)", flush=True)
        times = time_web(url, user_id, password, args.repeats)
        print(f"{'web /u/{id}/review':24s} median {statistics.median(times):6.3f} s  best {min(times):6.3f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
