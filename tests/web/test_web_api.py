"""The JSON API: session cookie + X-CSRF-Token, the same scoping as the pages."""

from __future__ import annotations

from .conftest import PASSWORD, make_gpx

PROFILE = {
    "name": "Api Runner",
    "symptoms": {"sides": ["right"], "locations": ["around_kneecap"], "pain_during_run": 4},
    "running": {"current_weekly_km": 15, "target_weekly_km": 35, "runs_per_week": 3},
    "self_tests": {"plank_hold_s": 25},
}


def api_login(b, email: str) -> str:
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    r = b.c.post("/api/v1/login", json={"email": email, "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def test_openapi_schema_lists_the_api(app, browser):
    spec = browser.c.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/v1/login", "/api/v1/profile", "/api/v1/users/{owner_id}/plan", "/api/v1/runs",
              "/api/v1/pain", "/api/v1/exercise", "/api/v1/users/{owner_id}/review"):
        assert p in paths
    assert not any(p.startswith("/u/") for p in paths)  # HTML pages stay out of the schema


def test_api_flow(make_browser):
    web = make_browser()
    uid = web.signup("api@example.org")
    b = make_browser()
    assert b.c.get("/api/v1/me").status_code == 401
    token = api_login(b, "api@example.org")
    h = {"X-CSRF-Token": token}
    assert b.c.get("/api/v1/me").json()["id"] == uid

    r = b.c.post("/api/v1/profile", json=PROFILE, headers=h)
    assert r.status_code == 200
    assessment = r.json()
    assert assessment["plan"] is not None and "disclaimer" in assessment

    plan = b.c.get(f"/api/v1/users/{uid}/plan", params={"start": "2026-11-02"}).json()
    assert plan["version"] == 1
    assert plan["schedule"][0]["days"][0]["date"] == "2026-11-02"
    assert any(d["run_km"] for d in plan["schedule"][0]["days"])

    r = b.c.post("/api/v1/runs", headers=h, files=[("files", ("r.gpx", make_gpx(), "application/gpx+xml"))])
    assert r.status_code == 200 and r.json()["files"][0]["added"] == 1
    runs = b.c.get(f"/api/v1/users/{uid}/runs").json()
    assert len(runs) == 1 and 4.5 < runs[0]["distance_km"] < 5.5

    r = b.c.post("/api/v1/pain", json={"day": "2026-11-02", "timing": "during", "score": 3}, headers=h)
    assert r.status_code == 201
    r = b.c.post("/api/v1/pain", json={"day": "2026-11-02", "timing": "sometime", "score": 3}, headers=h)
    assert r.status_code == 422
    r = b.c.post("/api/v1/exercise", json={"day": "2026-11-02", "exercise_id": "nope_nope", "reps": 3}, headers=h)
    assert r.status_code == 422 and "unknown exercise" in r.json()["detail"]

    review = b.c.get(f"/api/v1/users/{uid}/review").json()
    # The plan was just made: its week 1 starts next Monday, nothing is reviewed yet.
    assert review["decision"]["action"] == "start" and review["reviewed_week"] is None
    assert review["decision"]["next_week"]["km"] == assessment["plan"]["mileage_ramp"][0]["km"]
    assert isinstance(review["weeks"], list) and review["disclaimer"] and review["referral_reasons"]
    assert review["acwr_note"] and "never" in review["acwr_note"]

    # A run logged by hand, in miles: stored like an import, marked as hand-entered.
    r = b.c.post("/api/v1/runs/manual", json={"day": "2026-11-03", "distance": 4, "unit": "mi", "minutes": 38,
                                              "pain": 2}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["hand_entered"] and abs(r.json()["distance_km"] - 6.437) < 0.01
    assert b.c.post("/api/v1/runs/manual", json={"day": "2026-11-03", "distance": 6.5, "minutes": 0},
                    headers=h).status_code == 422
    assert b.c.post("/api/v1/runs/manual", json={"day": "2026-11-03", "distance": 40, "minutes": 20},
                    headers=h).status_code == 422  # faster than any runner
    runs = b.c.get(f"/api/v1/users/{uid}/runs").json()
    assert len(runs) == 2 and [r["source_format"] for r in runs] == ["gpx", "manual"]
    assert not any(r["race"] for r in runs)
    r = b.c.post("/api/v1/day-marks", json={"day": "2026-11-04", "kind": "ill"}, headers=h)
    assert r.status_code == 201
    assert b.c.post("/api/v1/day-marks", json={"day": "2026-11-04", "kind": "flu"}, headers=h).status_code == 422


def test_api_rejects_bad_profile_with_locations(make_browser):
    b = make_browser()
    b.signup("api@example.org")
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    bad = {**PROFILE, "running": {"current_weekly_km": -1, "target_weekly_km": 35}}
    r = b.c.post("/api/v1/profile", json=bad, headers={"X-CSRF-Token": token})
    assert r.status_code == 422
    assert any(e["loc"][:2] == ["running", "current_weekly_km"] for e in r.json()["detail"])
    assert b.c.get(f"/api/v1/users/{b.user_id}/plan").status_code == 404  # nothing stored


def test_api_login_failure_and_csrf(make_browser):
    b = make_browser()
    b.signup("api@example.org")
    anon = make_browser()
    token = anon.c.get("/api/v1/csrf").json()["csrf_token"]
    r = anon.c.post("/api/v1/login", json={"email": "api@example.org", "password": "wrong"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 401
    r = anon.c.post("/api/v1/login", json={"email": "api@example.org", "password": PASSWORD})
    assert r.status_code == 403  # no CSRF header


def test_clinician_cannot_write_for_a_runner(make_browser):
    c = make_browser()
    c.signup("doc@example.org", role="clinician")
    token = c.c.get("/api/v1/csrf").json()["csrf_token"]
    r = c.c.post("/api/v1/pain", json={"day": "2026-11-02", "timing": "during", "score": 3},
                 headers={"X-CSRF-Token": token})
    assert r.status_code == 403
