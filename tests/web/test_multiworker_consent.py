"""Withdrawn consent and removed access hold on the next request, on every worker (issue 17).

``kneecoach serve --workers 2`` on PostgreSQL (skipped without ``KNEECOACH_TEST_POSTGRES_URL``),
with the server and client helpers of :mod:`tests.web.test_multiworker`. A clinician with consent
changes a runner's plan; the runner withdraws consent; then every following change request is
refused (403) by whichever worker answers, until both workers have been seen refusing. Then the
runner removes access and every read is 404 on both workers.
"""

from __future__ import annotations

import re

from .test_multiworker import Client, _served_by, pg_database, pytestmark, server  # noqa: F401

MAX_TRIES = 200


def _until_both_workers(log, client: Client, method: str, path: str, expect: int, tag: str, **kw) -> None:
    seen: set[int] = set()
    for i in range(MAX_TRIES):
        rid = f"{tag}-{i:03d}"
        r = client.request(method, path, rid=rid, **kw)
        assert r.status_code == expect, (tag, i, r.status_code, r.text[:200])
        pid = _served_by(log).get(rid)
        if pid:
            seen.add(pid)
        if len(seen) == 2:
            return
    raise AssertionError(f"{tag}: only {len(seen)} worker(s) answered in {MAX_TRIES} requests")


def test_withdrawn_consent_and_access_hold_on_every_worker(server) -> None:  # noqa: F811
    base, log, _url = server
    runner, doc = Client(base), Client(base)
    runner_id = runner.signup_and_login("runner@example.org")
    doc.signup_and_login("physio@example.org", role="clinician")
    r = runner.request("POST", "/api/v1/profile", json={
        "name": "R", "symptoms": {"sides": ["left"], "locations": ["around_kneecap"], "aggravators": ["stairs_down"],
                                  "pain_during_run": 3},
        "running": {"current_weekly_km": 20, "target_weekly_km": 30, "runs_per_week": 3}})
    assert r.status_code == 200, r.text[:300]
    assert runner.request("POST", "/invites").status_code == 303
    home = runner.request("GET", "/home").text
    code = re.search(r"<code>([^<]+)</code>", home).group(1)
    assert doc.request("POST", "/invites/accept", data={"code": code}).status_code == 303
    home = runner.request("GET", "/home").text
    link = int(re.search(r"/invites/(\d+)/consent", home).group(1))
    assert runner.request("POST", f"/invites/{link}/consent", data={"allow": "1"}).status_code == 303
    change = {"kind": "add_instruction", "text": "walk breaks", "reason": "pain at km 5"}
    assert doc.request("POST", f"/api/v1/users/{runner_id}/plan/changes", json=change).status_code == 201

    assert runner.request("POST", f"/invites/{link}/consent", data={"allow": "0"}).status_code == 303
    _until_both_workers(log, doc, "POST", f"/api/v1/users/{runner_id}/plan/changes", 403, "no-consent", json=change)
    _until_both_workers(log, doc, "GET", f"/api/v1/users/{runner_id}/plan", 200, "still-reads")

    assert runner.request("POST", f"/invites/{link}/revoke").status_code == 303
    _until_both_workers(log, doc, "GET", f"/api/v1/users/{runner_id}/plan", 404, "no-access")
    _until_both_workers(log, doc, "GET", f"/api/v1/users/{runner_id}/notes", 404, "no-notes")
