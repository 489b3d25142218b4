"""The clinician's workspace (issue 17): consent to changes, access log, plan changes, notes.

Runner A (with a plan) linked to clinician D; clinician C is not linked; runner B is someone else.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from .conftest import Browser
from .test_web_security import world  # noqa: F401  (fixture: runners A, B, clinicians C, D linked to A)


@pytest.fixture()
def team(app, make_browser):
    a, b, c, d = make_browser(), make_browser(), make_browser(), make_browser()
    a_id = a.signup("a@example.org", "Alice")
    assert a.intake(name="Alice").status_code == 303
    b.signup("b@example.org", "Bob")
    c_id = c.signup("c@example.org", "Cleo", role="clinician")
    d_id = d.signup("d@example.org", "Dan", role="clinician")
    a.post("/invites")
    code = re.search(r"<code>([^<]+)</code>", a.c.get("/home").text).group(1)
    assert d.post("/invites/accept", {"code": code}).status_code == 303
    link_id = int(re.search(r"/invites/(\d+)/consent", a.c.get("/home").text).group(1))
    return {"a": a, "b": b, "c": c, "d": d, "a_id": a_id, "c_id": c_id, "d_id": d_id, "link": link_id}


def _api(br: Browser, method: str, path: str, **kw):
    return br.c.request(method, path, headers={"X-CSRF-Token": br.token("/home")}, **kw)


def _consent(team, allow: bool) -> None:
    r = team["a"].post(f"/invites/{team['link']}/consent", {"allow": "1" if allow else "0"})
    assert r.status_code == 303


def _plan(br: Browser, owner_id: int) -> dict:
    return br.c.get(f"/api/v1/users/{owner_id}/plan").json()["plan"]


def test_change_needs_consent_which_the_runner_grants_and_withdraws(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    body = {"kind": "add_instruction", "text": "Ice after runs", "reason": "settles the knee"}
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body)
    assert r.status_code == 403 and "consent" in r.json()["detail"]
    assert "has not given you consent" in d.c.get(f"/u/{a_id}/plan/change").text
    _consent(team, True)
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body)
    assert r.status_code == 201, r.text
    assert "From Dan: Ice after runs" in _plan(a, a_id)["notes"]
    _consent(team, False)
    assert _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body).status_code == 403
    # reading is untouched by withdrawing consent to change
    assert d.c.get(f"/u/{a_id}/plan").status_code == 200


def test_consent_is_only_the_runners_to_give(team):
    link = team["link"]
    assert team["b"].post(f"/invites/{link}/consent", {"allow": "1"}).status_code == 404
    assert team["d"].post(f"/invites/{link}/consent", {"allow": "1"}).status_code == 403
    assert _api(team["b"], "POST", f"/api/v1/account/links/{link}/consent", json={"allow": True}).status_code == 404
    assert _api(team["d"], "POST", f"/api/v1/account/links/{link}/consent", json={"allow": True}).status_code == 403
    # the runner, through the API: grant, see it, withdraw
    r = _api(team["a"], "POST", f"/api/v1/account/links/{link}/consent", json={"allow": True})
    assert r.status_code == 200 and r.json()["may_change_plan"] is True and r.json()["clinician"] == "Dan"
    assert team["a"].c.get("/api/v1/account/links").json()[0]["may_change_plan"] is True
    r = _api(team["a"], "POST", f"/api/v1/account/links/{link}/consent", json={"allow": False})
    assert r.json()["may_change_plan"] is False
    team["a"].post("/invites")  # an unused code cannot carry consent
    unused = team["a"].c.get("/api/v1/account/links").json()[-1]
    assert _api(team["a"], "POST", f"/api/v1/account/links/{unused['id']}/consent",
                json={"allow": True}).status_code == 409
    assert _api(team["d"], "POST", f"/api/v1/users/{team['a_id']}/plan/changes",
                json={"kind": "hold_running", "reason": "x"}).status_code == 403


def test_every_change_route_refuses_without_consent_and_hides_from_strangers(app, team):
    a_id = team["a_id"]
    from .test_web_security import all_routes

    routes = [(p, m) for p, m in all_routes(app) if "/plan/change" in p and "POST" in m]
    assert len(routes) >= 4
    for path, _m in routes:
        url = path.replace("{owner_id}", str(a_id)).replace("{change_id}", "abc")
        kw = {"json": {"kind": "hold_running", "reason": "r"}} if path.startswith("/api/") else {
            "data": {"kind": "hold_running", "reason": "r", "csrf_token": team["d"].token("/home")}}
        if path.startswith("/api/") and "release" in path:
            kw = {"json": {"reason": "r"}}
        hdr = {"X-CSRF-Token": team["d"].token("/home")}
        assert team["d"].c.post(url, headers=hdr, follow_redirects=False, **kw).status_code == 403, path
        for stranger in ("c", "b"):
            s = team[stranger]
            kw2 = dict(kw)
            if "data" in kw2:
                kw2["data"] = {**kw2["data"], "csrf_token": s.token("/home")}
            r = s.c.post(url, headers={"X-CSRF-Token": s.token("/home")}, follow_redirects=False, **kw2)
            assert r.status_code == 404, (stranger, path, r.status_code)


def test_access_log_records_reads_and_changes_and_is_shown_and_exported(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    a.c.get(f"/u/{a_id}/plan")  # the runner's own reads are not logged
    assert "Nobody else has looked" in a.c.get("/account/access").text
    d.c.get(f"/u/{a_id}/results")
    d.c.get(f"/api/v1/users/{a_id}/plan")
    _consent(team, True)
    _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "hold_running", "reason": "flare-up"})
    log = a.c.get("/api/v1/account/access-log").json()
    seen = [(e["who"], e["action"], e["what"], e["route"]) for e in log]
    assert ("Dan", "read", "results", f"/u/{a_id}/results") in seen
    assert ("Dan", "read", "plan", f"/api/v1/users/{a_id}/plan") in seen
    assert ("Dan", "change", "plan changes", f"/api/v1/users/{a_id}/plan/changes") in seen
    assert all(e["who"] != "Alice" for e in log)
    page = a.c.get("/account/access").text
    assert "Dan" in page and f"/u/{a_id}/results" in page
    zf = zipfile.ZipFile(io.BytesIO(a.c.get("/account/export.zip").content))
    exported = json.loads(zf.read("data/access_log.json"))
    assert {e["route"] for e in exported} >= {f"/u/{a_id}/results"}
    # the clinician cannot read the runner's log
    assert d.c.get("/api/v1/account/access-log").json() == []


def test_removed_access_ends_reads_and_the_log_shows_only_what_happened(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    assert d.c.get(f"/u/{a_id}/plan").status_code == 200
    link = team["link"]
    assert a.post(f"/invites/{link}/revoke").status_code == 303
    assert d.c.get(f"/u/{a_id}/plan").status_code == 404
    assert d.c.get(f"/u/{a_id}/notes").status_code == 404
    assert len([e for e in a.c.get("/api/v1/account/access-log").json() if e["what"] == "plan"]) == 1


def test_plan_changes_become_versions_with_author_and_reason_seen_by_the_runner(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    before = _plan(a, a_id)
    ex = next(e for p in before["phases"] for e in p["exercises"])
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes",
             json={"kind": "set_dose", "exercise_id": ex["id"], "sets": 2, "days_per_week": 2, "reason": "sore calves"})
    assert r.status_code == 201, r.text
    after = _plan(a, a_id)
    changed = next(e for p in after["phases"] for e in p["exercises"] if e["id"] == ex["id"])
    assert changed["dose"]["sets"] == 2 and changed["dose"]["days_per_week"] == 2
    assert "2 days a week" in changed["dose"]["text"]
    versions = a.c.get(f"/api/v1/users/{a_id}/plan/versions").json()
    assert versions[0]["author"] == "Dan" and "sore calves" in versions[0]["reason"]
    assert versions[-1]["author"] == "kneecoach"
    page = a.c.get(f"/u/{a_id}/plan").text
    assert "Changes by your clinician" in page and "sore calves" in page and "Dan" in page
    # remove, cap, phase, hold
    for body in ({"kind": "remove_exercise", "exercise_id": ex["id"], "reason": "not tolerated"},
                 {"kind": "cap_weekly_km", "km": 12, "reason": "race recovery"}):
        assert _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body).status_code == 201
    plan = _plan(a, a_id)
    assert ex["id"] not in {e["id"] for p in plan["phases"] for e in p["exercises"]}
    assert max(w["km"] for w in plan["mileage_ramp"]) <= 12
    assert len(plan["clinician_changes"]) == 3


def test_bad_changes_are_refused_with_a_reason_and_store_nothing(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    n = len(a.c.get(f"/api/v1/users/{a_id}/plan/versions").json())
    for body, status in (({"kind": "hold_running", "reason": " "}, 422),
                         ({"kind": "fly", "reason": "x"}, 422),
                         ({"kind": "cap_weekly_km", "km": -3, "reason": "x"}, 422),
                         ({"kind": "add_exercise", "exercise_id": "no_such_thing", "reason": "x"}, 422),
                         ({"kind": "set_phase", "phase_id": "nope", "reason": "x"}, 422)):
        r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body)
        assert r.status_code == status, (body, r.text)
    assert len(a.c.get(f"/api/v1/users/{a_id}/plan/versions").json()) == n
    r = d.post(f"/u/{a_id}/plan/changes", {"kind": "cap_weekly_km", "km": "abc", "reason": "x"})
    assert r.status_code == 400 and "enter a number" in r.text


def test_release_restores_kneecoachs_plan_and_reviews_keep_changes_until_then(app, team):
    from kneecoach.store import repo
    from kneecoach.store.db import transaction

    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    original = _plan(a, a_id)
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "hold_running", "reason": "bone pain"})
    change_id = r.json()["change"]["id"]
    assert all(w["km"] == 0 for w in _plan(a, a_id)["mileage_ramp"])
    # an automatic version (as a review or re-test writes it) built from the plan the runner follows
    with transaction(app.state.session_factory) as s:
        _v, current = repo.latest_plan(s, a_id)
        rec = repo.save_plan(s, a_id, current.model_copy(update={"notes": [*current.notes, "review: hold"]}),
                             reason="review 2026-12-01: hold")
        assert rec.author_id is None and "kept 1 change by Dan" in rec.reason
    kept = _plan(a, a_id)
    assert all(w["km"] == 0 for w in kept["mileage_ramp"])
    assert any(n.startswith("kneecoach's review kept 1 change by Dan") for n in kept["notes"])
    # a fresh kneecoach plan (intake again) keeps it too
    a.intake(name="Alice")
    assert all(w["km"] == 0 for w in _plan(a, a_id)["mileage_ramp"])
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes/{change_id}/release", json={"reason": "scan clear"})
    assert r.status_code == 201, r.text
    released = _plan(a, a_id)
    assert released["clinician_changes"] == []
    assert [w["km"] for w in released["mileage_ramp"]] == [w["km"] for w in original["mileage_ramp"]]
    assert _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes/{change_id}/release",
                json={"reason": "again"}).status_code == 404


def test_a_contraindicated_exercise_needs_an_override_reason_which_is_shown(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    from pathlib import Path

    from kneecoach.intake.load import load_profile

    example = Path(__file__).parents[2] / "src/kneecoach/examples/marathoner_000.yaml"
    r = _api(a, "POST", "/api/v1/profile", json=load_profile(example).model_dump(mode="json"))
    assert r.status_code == 200, r.text[:300]
    excluded = _plan(a, a_id)["excluded"]
    assert excluded, "this example's plan rules exercises out (see kb: exclude_when / only_when)"
    target = excluded[0]
    body = {"kind": "add_exercise", "exercise_id": target["id"], "reason": "supervised in clinic"}
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json=body)
    assert r.status_code == 409 and target["reason"] in r.json()["detail"]["gates"]
    r = _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={**body, "override_reason": "I watch every rep"})
    assert r.status_code == 201, r.text
    plan = _plan(a, a_id)
    added = next(e for p in plan["phases"] for e in p["exercises"] if e["id"] == target["id"])
    assert any("I watch every rep" in c for c in added["cautions"])
    assert target["id"] not in {x["id"] for x in plan["excluded"]}
    assert "I watch every rep" in a.c.get(f"/u/{a_id}/plan").text


def test_exercise_search_shows_figures_and_adds_from_the_knowledge_base(team):
    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    page = d.c.get(f"/u/{a_id}/plan/change?q=bridge").text
    assert "Glute bridge" in page or "bridge" in page.lower()
    assert "<svg" in page
    in_plan = {e["id"] for p in _plan(a, a_id)["phases"] for e in p["exercises"]}
    excluded = {x["id"] for x in _plan(a, a_id)["excluded"]}
    from kneecoach.web import kb

    candidate = next(i for i in kb.exercise_names() if i not in in_plan and i not in excluded)
    r = d.post(f"/u/{a_id}/plan/changes", {"kind": "add_exercise", "exercise_id": candidate, "reason": "add load"})
    assert r.status_code == 303, r.text[:400]
    assert candidate in {e["id"] for p in _plan(a, a_id)["phases"] for e in p["exercises"]}


def test_notes_both_ways_with_unread_counts_threads_export_and_erasure(app, team):
    a, d, a_id, d_id = team["a"], team["d"], team["a_id"], team["d_id"]
    r = d.post(f"/u/{a_id}/notes", {"body": "How did the long run feel?"})
    assert r.status_code == 303
    assert "1 new" in a.c.get("/home").text
    thread = a.c.get(f"/api/v1/users/{a_id}/notes").json()
    assert thread["unread"] == 1 and thread["threads"][0]["body"] == "How did the long run feel?"
    assert "1 new" not in a.c.get("/home").text  # opened: read
    top = thread["threads"][0]["id"]
    r = _api(a, "POST", f"/api/v1/users/{a_id}/notes", json={"body": "Fine, 2/10 after", "parent_id": top})
    assert r.status_code == 201
    assert d.c.get(f"/api/v1/users/{a_id}/notes").json()["unread"] == 1
    page = d.c.get(f"/u/{a_id}/notes").text
    assert "Fine, 2/10 after" in page and "How did the long run feel?" in page
    # a runner with no clinician is told how to get one; strangers see nothing; empty notes are refused
    lone = team["b"]
    assert "Nobody has accepted an invite" in lone.c.get(f"/u/{lone.user_id}/notes").text
    assert team["c"].c.get(f"/u/{a_id}/notes").status_code == 404
    assert _api(team["c"], "POST", f"/api/v1/users/{a_id}/notes", json={"body": "hi"}).status_code == 404
    assert d.post(f"/u/{a_id}/notes", {"body": "   "}).status_code == 400
    zf = zipfile.ZipFile(io.BytesIO(a.c.get("/account/export.zip").content))
    assert len(json.loads(zf.read("data/care_notes.json"))) == 2
    r = a.post("/account/erase", {"confirm": "erase", "password": "correct horse battery staple"})
    assert r.status_code == 303
    from sqlalchemy import func, select

    from kneecoach.store.models import AccessLogEntry, CareNote

    with app.state.session_factory() as s:
        assert s.scalar(select(func.count(CareNote.id))) == 0
        assert s.scalar(select(func.count(AccessLogEntry.id))) == 0
    assert d_id


def test_caseload_ranks_by_need_with_reasons_filters_and_numbers(app, team, make_browser):
    from datetime import date, datetime, timedelta, timezone

    a, d, a_id = team["a"], team["d"], team["a_id"]
    e = make_browser()
    e_id = e.signup("e@example.org", "Eve")
    e.intake(name="Eve")
    e.post("/invites")
    code = re.search(r"<code>([^<]+)</code>", e.c.get("/home").text).group(1)
    assert d.post("/invites/accept", {"code": code}).status_code == 303
    today = date.today()
    # Alice: pain during a run at the pause threshold, rising; a note to the clinician. Eve: exercises every day.
    for i, score in ((10, 1), (9, 1), (2, 5), (1, 8)):
        a.post("/diary/pain", {"pain_day": (today - timedelta(days=i)).isoformat(), "timing": "during",
                               "score": str(score)})
    _api(a, "POST", f"/api/v1/users/{a_id}/notes", json={"body": "knee worse"})
    ex = next(iter(_plan(e, e_id)["phases"][0]["exercises"] or [None]), None) or next(
        x for p in _plan(e, e_id)["phases"] for x in p["exercises"])
    for i in range(14):
        _api(e, "POST", "/api/v1/exercise", json={"day": (today - timedelta(days=i)).isoformat(),
                                                  "exercise_id": ex["id"], "sets": 3, "reps": 10})
    rows = d.c.get("/api/v1/caseload").json()
    assert all(r["facts"]["adherence_pct"] is None for r in rows)  # not judged in a plan's first week
    from sqlalchemy import update

    from kneecoach.store.db import transaction
    from kneecoach.store.models import PlanRecord

    with transaction(app.state.session_factory) as s:  # the plans began three weeks ago
        s.execute(update(PlanRecord).values(created_at=datetime.now(timezone.utc) - timedelta(days=21)))
    rows = d.c.get("/api/v1/caseload").json()
    assert [r["name"] for r in rows] == ["Alice", "Eve"]
    alice = rows[0]
    rules = {x["rule"] for x in alice["reasons"]}
    assert {"pause_running", "pain_rising", "unread_notes", "low_adherence"} <= rules, alice["reasons"]
    assert any("8/10" in x["text"] for x in alice["reasons"])
    assert alice["facts"]["current_pain"] == 8 and alice["facts"]["unread_notes"] == 1
    eve = rows[1]
    assert eve["facts"]["adherence_pct"] == 100 and "low_adherence" not in {x["rule"] for x in eve["reasons"]}
    assert alice["score"] > eve["score"]
    # sort and filter
    assert [r["name"] for r in d.c.get("/api/v1/caseload?sort=adherence").json()] == ["Alice", "Eve"]
    assert [r["name"] for r in d.c.get("/api/v1/caseload?only=pause_running").json()] == ["Alice"]
    page = d.c.get("/home?sort=need").text
    assert page.index("<strong>Alice</strong>") < page.index("<strong>Eve</strong>") and "pain rule pauses running" in page
    # the caseload read is in each runner's access log; other clinicians see no one
    routes = {x["route"] for x in a.c.get("/api/v1/account/access-log").json() if x["what"] == "caseload"}
    assert routes == {"/home", "/api/v1/caseload"}
    assert team["c"].c.get("/api/v1/caseload").json() == []
    assert a.c.get("/api/v1/caseload").status_code == 403


def test_timeline_shows_pain_runs_plan_versions_with_authors_and_notes(team):
    from .conftest import make_gpx

    a, d, a_id = team["a"], team["d"], team["a_id"]
    from datetime import date, timedelta

    day = (date.today() - timedelta(days=3)).isoformat()
    a.post("/diary/pain", {"pain_day": day, "timing": "next_morning", "score": "4"})
    r = a.c.post("/upload", files={"files": ("a.gpx", make_gpx(f"{day}T07:00:00", km=6), "application/gpx+xml")},
                 headers={"X-CSRF-Token": a.token("/upload")})
    assert r.status_code == 200
    _consent(team, True)
    _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "cap_weekly_km", "km": 15, "reason": "taper"})
    d.post(f"/u/{a_id}/notes", {"body": "Keep the long run easy"})
    page = d.c.get(f"/u/{a_id}/timeline").text
    assert "Pain 4/10 next morning" in page and "Run 6.0 km" in page
    assert "Weekly distance capped at 15 km" in page and "taper" in page and "<td>Dan</td>" in page
    assert "Keep the long run easy" in page and "<svg" in page
    assert team["c"].c.get(f"/u/{a_id}/timeline").status_code == 404
    assert any(e["what"] == "timeline" for e in a.c.get("/api/v1/account/access-log").json())


def test_fhir_export_carries_clinician_plan_versions_and_notes(team):
    from fhir.resources.R4B.bundle import Bundle

    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "hold_running", "reason": "stress fracture?"})
    _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "add_instruction", "text": "Swim 2x",
                                                                 "reason": "keep fitness"})
    d.post(f"/u/{a_id}/notes", {"body": "See you Tuesday"})
    top = a.c.get(f"/api/v1/users/{a_id}/notes").json()["threads"][0]["id"]
    _api(a, "POST", f"/api/v1/users/{a_id}/notes", json={"body": "Thanks", "parent_id": top})
    raw = a.c.get(f"/u/{a_id}/fhir.json").text
    bundle = Bundle.model_validate_json(raw)  # the library validates every resource again
    res = [e.resource for e in bundle.entry]
    kinds = [r.__resource_type__ for r in res]
    assert kinds.count("Practitioner") == 1 and kinds.count("Communication") == 2
    plans = [r for r in res if r.__resource_type__ == "CarePlan"]
    authored = [p for p in plans if p.author is not None]
    assert len(authored) == 2 and {p.status for p in authored} == {"active", "revoked"}
    prac_url = next(e.fullUrl for e in bundle.entry if e.resource.__resource_type__ == "Practitioner")
    assert all(p.author.reference == prac_url for p in authored)
    assert any("stress fracture?" in n.text for p in authored for n in p.note)
    comms = {c.payload[0].contentString: c for c in res if c.__resource_type__ == "Communication"}
    assert comms["See you Tuesday"].sender.reference == prac_url
    assert comms["Thanks"].recipient[0].reference == prac_url and comms["Thanks"].inResponseTo


def test_the_plan_pdf_and_markdown_show_the_clinicians_changes(app, team):
    import pypdf

    from kneecoach.store import repo

    a, d, a_id = team["a"], team["d"], team["a_id"]
    _consent(team, True)
    _api(d, "POST", f"/api/v1/users/{a_id}/plan/changes", json={"kind": "hold_running", "reason": "night pain"})
    pdf = a.c.get(f"/u/{a_id}/plan.pdf")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Changes by your clinician" in text and "night pain" in text and "Dan" in text
    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.render.markdown import render_markdown

    with app.state.session_factory() as s:
        _v, plan = repo.latest_plan(s, a_id)
    assessment = assess(load_example("runners_knee_004"))
    md = render_markdown(assessment.model_copy(update={"plan": plan}))
    assert "Changes by your clinician" in md and "Running on hold" in md and "night pain" in md


def test_every_owner_route_a_clinician_reads_is_in_the_runners_access_log(app, world):  # noqa: F811
    """Built from the app's own route list: a route added later is checked too."""
    from kneecoach.store import care
    from kneecoach.store.db import transaction

    from .test_web_security import fill, owner_routes

    a_id, d = world["a_id"], world["d"]
    for path in owner_routes(app):
        assert d.c.get(fill(path, a_id), follow_redirects=False).status_code in (200, 303), path
    with transaction(app.state.session_factory) as s:
        logged = {e.route for e in care.access_log(s, a_id, limit=1000)}
    missing = [p for p in owner_routes(app) if fill(p, a_id) not in logged]
    assert not missing, missing


def test_every_state_changing_owner_route_is_404_for_an_unlinked_clinician_and_another_runner(app, world):  # noqa: F811
    """Built from the app's route list: no POST on a runner's data reaches a stranger's code path."""
    from .test_web_security import SAFE, all_routes, fill

    unsafe = [(p, m) for p, methods in all_routes(app) for m in methods - SAFE if "{owner_id}" in p]
    assert len(unsafe) >= 6
    for stranger in (world["c"], world["b"]):
        token = stranger.token("/home")
        for path, method in unsafe:
            url = fill(path, world["a_id"]).replace("{change_id}", "x1")
            r = stranger.c.request(method, url, headers={"X-CSRF-Token": token}, json={}, follow_redirects=False)
            assert r.status_code == 404, (method, path, r.status_code)
