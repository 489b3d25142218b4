"""Today: server time of the page for a runner with a year of data, first-load size, one-tap round trip.

Builds a throw-away SQLite database with one runner who has a plan and a year of history (3 runs a
week, next-morning and run pain most days, the day's exercises most days), then, through the
in-process test client (no network; the numbers are the server's work plus the client's tiny
overhead):

* GET /today: median and p95 over ``--n`` requests;
* the first load on a phone: bytes of the page and of every file it loads (CSS, script, figure
  stylesheet, manifest), raw and gzip-compressed;
* one tap (POST /today/tap with a fresh idempotency key, JSON answer): median and p95.

    .venv/bin/python benchmarks/bench_today.py --n 200
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import tempfile
import time
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from kneecoach.store import repo, taps
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.tracking.activity import Activity


def _pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from kneecoach.web.app import create_app
    from kneecoach.web.security import hash_password

    tmp = Path(tempfile.mkdtemp(prefix="kc-bench-today-"))
    url = f"sqlite:///{tmp / 'b.db'}"
    app = create_app(url, secret_key="bench-" + "k" * 40)
    factory = make_session_factory(make_engine(url))
    today = date.today()
    start = today - timedelta(days=365)
    with transaction(factory) as s:
        user = repo.create_user(s, "bench@example.org", "Bench", password_hash=hash_password("bench password 1"))
        owner = user.id
    c = TestClient(app)
    token = c.get("/api/v1/csrf").json()["csrf_token"]
    c.post("/api/v1/login", json={"email": "bench@example.org", "password": "bench password 1"},
           headers={"X-CSRF-Token": token})
    token = c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    import yaml

    profile = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "runners_knee_004.yaml").read_text())
    assert c.post("/api/v1/profile", json=profile, headers=h).status_code == 200
    from kneecoach.plan.schedule import active_exercises
    from kneecoach.store.models import PlanRecord

    with transaction(factory) as s:
        _v, plan = repo.latest_plan(s, owner)
        ids = [e.id for e in active_exercises(plan)]
        for rec in s.query(PlanRecord).filter(PlanRecord.owner_id == owner):
            rec.created_at = datetime.combine(start, datetime.min.time(), timezone.utc)
        acts = []
        for k in range(366):
            d = start + timedelta(days=k)
            if d.weekday() in (1, 3, 5):
                acts.append(Activity(start=datetime.combine(d, datetime.min.time(), timezone.utc) + timedelta(hours=7),
                                     duration_s=1800 + k, distance_m=5000 + 10 * k))
                repo.add_pain(s, owner, d, "during", k % 4)
            repo.add_pain(s, owner, d, "next_morning", (k * 7) % 4)
            if k % 5 != 0:
                for j, ex in enumerate(ids):
                    if (k + j) % 3 == 0:
                        repo.add_exercise(s, owner, d, ex, 3, 12, known_ids=frozenset(ids))
        repo.add_runs(s, owner, acts)
        n_pain, n_ex = len(repo.list_pain(s, owner)), len(repo.list_exercise(s, owner))
    print(f"history: {len(acts)} runs, {n_pain} pain entries, {n_ex} exercise entries over 366 days")

    page = c.get("/today")
    assert page.status_code == 200 and "Exercises" in page.text
    times = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        r = c.get("/today")
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200
    print(f"GET /today: median {statistics.median(times):.1f} ms, p95 {_pct(times, 0.95):.1f} ms (n={args.n})")

    assets = ["/today"] + re.findall(r'(?:href|src)="(/(?:static/[^"]+|figures\.css|manifest\.webmanifest))"', page.text)
    raw = gz = 0
    for a in dict.fromkeys(assets):
        body = c.get(a).content
        raw += len(body)
        gz += len(gzip.compress(body, 6))
    print(f"first load (page + {len(set(assets)) - 1} files): {raw / 1024:.1f} KiB raw, {gz / 1024:.1f} KiB gzip")

    ex = re.search(r'name="exercise_id" value="([^"]+)"', page.text).group(1)
    taps_ms = []
    jh = {"X-CSRF-Token": token, "Accept": "application/json"}
    import cProfile
    import os
    prof = cProfile.Profile() if os.environ.get("KC_PROFILE") else None
    if prof:
        prof.enable()
    for i in range(max(20, args.n // 4)):
        t0 = time.perf_counter()
        r = c.post("/today/tap", data={"exercise_id": ex, "status": "done", "idempotency_key": f"bench-tap-{i:06d}"},
                   headers=jh)
        taps_ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 201, r.text
    if prof:
        prof.disable()
        import pstats
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    print(f"one tap (POST, JSON answer with the updated day): median {statistics.median(taps_ms):.1f} ms, "
          f"p95 {_pct(taps_ms, 0.95):.1f} ms (n={len(taps_ms)})")
    _ = taps  # the tap path under test is kneecoach.store.taps


if __name__ == "__main__":
    main()
