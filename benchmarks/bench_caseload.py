"""Caseload: 500 runners per clinician; time the ranked list (issue 17 target: under 300 ms server time).

Usage::

    .venv/bin/python benchmarks/bench_caseload.py                # 500 runners
    .venv/bin/python benchmarks/bench_caseload.py --runners 1000

Fills a fresh SQLite database (temporary folder): one clinician linked to N runners, each with an
intake profile and a re-test (Kujala answers), an assessment and a plan (one ``assess`` of a built-in
example, stored for everyone, so plans are real-sized), 14 days of pain scores, exercise sessions on
alternate days and a run every other day. Then it times

* ``facts+rank``: :func:`kneecoach.store.caseload.caseload_facts` and the ranking, in-process;
* ``GET /home``: the clinician's caseload page through FastAPI's test client, logged in (the
  server's time: routing, queries, ranking, access-log rows, HTML), second request onwards.

Several runs each; the median is reported (the machine is shared, medians are the number to read).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path


def fill(url: str, n: int) -> None:
    from sqlalchemy import insert

    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.plan.summary import plan_summary
    from kneecoach.store.db import make_engine, make_session_factory, transaction
    from kneecoach.store.migrate import upgrade
    from kneecoach.store.models import (AssessmentRecord, CareLink, ExerciseSession, PainEntry, PlanRecord,
                                        ProfileRecord, RunRecord, User)
    from kneecoach.web.security import hash_password

    upgrade(url)
    profile = load_example("runners_knee_004")
    a = assess(profile)
    pdata, adata = profile.model_dump(mode="json"), a.model_dump(mode="json")
    plan_json, summary = a.plan.model_dump(mode="json"), plan_summary(a.plan)
    ex_id = next(e.id for p in a.plan.phases for e in p.exercises)
    today = date.today()
    now = datetime.now(timezone.utc)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as s:
        s.execute(insert(User), [{"id": 1, "email": "clin@example.org", "display_name": "Clinician",
                                  "role": "clinician", "password_hash": hash_password("bench password 1"),
                                  "created_at": now}])
        s.execute(insert(User), [{"id": i, "email": f"r{i}@example.org", "display_name": f"Runner {i:04d}",
                                  "role": "runner", "created_at": now} for i in range(2, n + 2)])
        ids = range(2, n + 2)
        s.execute(insert(CareLink), [{"runner_id": i, "clinician_id": 1, "invite_code": f"code{i}", "created_at": now,
                                      "accepted_at": now} for i in ids])
        s.execute(insert(ProfileRecord), [{"owner_id": i, "data": pdata, "kind": k, "created_at": now - timedelta(days=d)}
                                          for i in ids for k, d in (("intake", 40), ("retest", 10))])
        s.flush()
        prof = {o: pid for pid, o in s.execute(ProfileRecord.__table__.select().with_only_columns(
            ProfileRecord.id, ProfileRecord.owner_id))}
        s.execute(insert(AssessmentRecord), [{"owner_id": i, "profile_id": prof[i], "data": adata, "kb_version": "b",
                                              "created_at": now} for i in ids])
        s.execute(insert(PlanRecord), [{"owner_id": i, "version": 1, "data": plan_json, "summary": summary,
                                        "reason": "intake", "created_at": now - timedelta(days=40)} for i in ids])
        s.execute(insert(PainEntry), [{"owner_id": i, "day": today - timedelta(days=d), "timing": "during",
                                       "score": (i + d) % 9, "note": "", "created_at": now} for i in ids for d in range(14)])
        s.execute(insert(ExerciseSession), [{"owner_id": i, "day": today - timedelta(days=d), "exercise_id": ex_id,
                                             "sets": 3, "reps": 10, "note": "", "created_at": now}
                                            for i in ids for d in range(0, 14, 2 + i % 3)])
        s.execute(insert(RunRecord), [{"owner_id": i, "start_time": now - timedelta(days=d), "duration_s": 1800.0,
                                       "distance_m": 5000.0, "elevation_gain_m": 0.0, "sport": "running",
                                       "source_format": "gpx", "source_name": "b", "fingerprint": f"{i}-{d}",
                                       "imported_at": now, "speed_unconfirmed": False}
                                      for i in ids for d in range(0, 14, 2)])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runners", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        fill(url, args.runners)
        print(f"filled {args.runners} runners in {time.perf_counter() - t0:.1f} s")

        from kneecoach.knowledge.caseload_rules import load_caseload_rules
        from kneecoach.store.caseload import caseload_facts
        from kneecoach.store.db import make_engine, make_session_factory
        from kneecoach.tracking.caseload import rank
        from kneecoach.web import kb

        factory = make_session_factory(make_engine(url))
        times = []
        for _ in range(args.repeat):
            with factory() as s:
                t = time.perf_counter()
                rows = rank(caseload_facts(s, 1, date.today(), kb.kb()), load_caseload_rules(), kb.kb().rules)
                times.append(time.perf_counter() - t)
        print(f"facts+rank: {len(rows)} rows, median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f} ms)")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient
        from kneecoach.web.app import create_app

        client = TestClient(create_app(url, secret_key="bench-" + "k" * 40))
        token = client.get("/api/v1/csrf").json()["csrf_token"]
        r = client.post("/api/v1/login", json={"email": "clin@example.org", "password": "bench password 1"},
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
        client.get("/home")
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = client.get("/home")
            times.append(time.perf_counter() - t)
            assert r.status_code == 200 and "Runner 0002" in r.text
        print(f"GET /home (caseload page): median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
