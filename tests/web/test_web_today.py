"""The Today page, its one-tap forms and JSON API: taps stored once, bad input stores nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

KEY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')
EX_RE = re.compile(r'name="exercise_id" value="([^"]+)"')


def _counts(db_url: str, owner: int) -> tuple[int, int]:
    f = make_session_factory(make_engine(db_url))
    with transaction(f) as s:
        return len(repo.list_exercise(s, owner, include_skipped=True)), len(repo.list_pain(s, owner))


@pytest.fixture()
def runner(browser):
    browser.signup("today@example.org", "Tess")
    assert browser.intake().status_code == 303
    return browser


def _first_tap_form(html: str) -> tuple[str, str]:
    form = html[html.index('action="/today/tap"'):]
    return EX_RE.search(form).group(1), KEY_RE.search(form).group(1)


def test_home_shows_the_day_first_and_today_page_has_the_forms(runner) -> None:
    home = runner.c.get("/home").text
    assert home.index("Exercises") < home.index("Your steps")  # the day before the list of steps
    assert "Morning check" in home and "Education, not a diagnosis" in home and "See a clinician for" in home
    page = runner.c.get("/today").text
    assert 'action="/today/tap"' in page and 'action="/today/morning"' in page
    assert re.search(r'<nav aria-label="Main">\s*<a href="/today"[^>]*>Today</a>', page)  # compact navigation
    assert "Distances in kilometres (km)" in page


def test_one_tap_done_is_stored_once_with_the_dose(runner, db_url) -> None:
    page = runner.c.get("/today").text
    ex_id, key = _first_tap_form(page)
    data = {"exercise_id": ex_id, "status": "done", "idempotency_key": key, "day": date.today().isoformat()}
    r = runner.post("/today/tap", data)
    assert r.status_code == 303
    assert "Logged as done" in runner.c.get("/today").text
    again = runner.post("/today/tap", data)
    assert again.status_code == 303
    assert "Already logged" in runner.c.get("/today").text
    assert _counts(db_url, runner.user_id) == (1, 0)
    rows = runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()
    item = next(e for e in rows["exercises"] if e["id"] == ex_id)
    assert item["status"] == "done"


def test_hurt_tap_asks_a_score_and_writes_pain(runner, db_url) -> None:
    ex_id, key = _first_tap_form(runner.c.get("/today").text)
    r = runner.post("/today/tap", {"exercise_id": ex_id, "pain": "4", "idempotency_key": key})
    assert r.status_code == 303
    assert _counts(db_url, runner.user_id) == (1, 1)
    assert "Done, it hurt (4/10)" in runner.c.get("/today").text


@pytest.mark.parametrize(("extra", "message"), [
    ({"pain": "11"}, "0 (none) to 10"),
    ({"day": (date.today() + timedelta(days=5)).isoformat()}, "in the future"),
    ({"exercise_id": "isolated_hamstring_curl"}, "current exercises"),
    ({"idempotency_key": "x"}, "idempotency key"),
])
def test_bad_taps_get_a_clear_error_and_store_nothing(runner, db_url, extra, message) -> None:
    ex_id, key = _first_tap_form(runner.c.get("/today").text)
    data = {"exercise_id": ex_id, "status": "done", "idempotency_key": key} | extra
    r = runner.post("/today/tap", data)
    assert r.status_code == 400 and message.lower() in r.text.lower() and "Nothing was stored" in r.text
    assert _counts(db_url, runner.user_id) == (0, 0)


def test_morning_check_decides_the_run_via_api_and_replay(runner, db_url) -> None:
    token = runner.c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    bad = runner.c.post("/api/v1/today/morning", json={"score": 11}, headers=h)
    assert bad.status_code == 422
    body = {"score": 8, "idempotency_key": "morning-key-123"}
    r = runner.c.post("/api/v1/today/morning", json=body, headers=h)
    assert r.status_code == 201 and r.json()["replayed"] is False
    r2 = runner.c.post("/api/v1/today/morning", json=body, headers=h)
    assert r2.status_code == 200 and r2.json()["replayed"] is True
    conflict = runner.c.post("/api/v1/today/morning", json={"score": 2, "idempotency_key": "morning-key-123"}, headers=h)
    assert conflict.status_code == 409
    assert _counts(db_url, runner.user_id) == (0, 1)
    today = runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()
    assert today["morning"]["score"] == 8
    assert today["run"]["action"] in ("rest", "no_run")  # 8/10 is past the pause level, or no run today
    assert today["unit"] == "km" and today["disclaimer"]


def test_api_tap_and_clinician_sees_adherence(runner, make_browser) -> None:
    token = runner.c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    today = runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()
    if not today["exercises"]:
        pytest.skip("no exercises on this weekday for the test plan")
    ex = today["exercises"][0]["id"]
    r = runner.c.post("/api/v1/today/taps", json={"exercise_id": ex, "status": "done", "idempotency_key": "api-tap-0001"},
                      headers=h)
    assert r.status_code == 201
    code = re.search(r"<code>([^<]+)</code>", runner.post("/invites").text or runner.c.get("/home").text)
    code = code or re.search(r"<code>([^<]+)</code>", runner.c.get("/home").text)
    doc = make_browser()
    doc.signup("doc@example.org", "Doc", role="clinician")
    assert doc.post("/invites/accept", {"code": code.group(1)}).status_code in (200, 303)
    page = doc.c.get(f"/u/{runner.user_id}/today").text
    assert "Exercise sessions done" in page and "1 of" in page
    assert 'action="/today/tap"' not in page  # read-only
    stranger = make_browser()
    stranger.signup("x@example.org", "X")
    assert stranger.c.get(f"/u/{runner.user_id}/today").status_code == 404


def test_diary_form_and_api_posts_accept_a_key(runner, db_url) -> None:
    page = runner.c.get("/diary").text
    form = page[page.index('action="/diary/pain"'):]
    key = KEY_RE.search(form).group(1)
    data = {"pain_day": date.today().isoformat(), "score": "2", "timing": "daily", "idempotency_key": key}
    assert runner.post("/diary/pain", data).status_code == 303
    assert runner.post("/diary/pain", data).status_code == 303
    assert "Already saved" in runner.c.get("/diary").text
    future = data | {"idempotency_key": "future-key-1", "pain_day": (date.today() + timedelta(days=9)).isoformat()}
    r = runner.post("/diary/pain", future)
    assert r.status_code == 400 and "in the future" in r.text
    token = runner.c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": token}
    body = {"day": date.today().isoformat(), "exercise_id": "clamshell", "sets": 3, "reps": 15,
            "idempotency_key": "api-diary-ex-1"}
    assert runner.c.post("/api/v1/exercise", json=body, headers=h).status_code == 201
    again = runner.c.post("/api/v1/exercise", json=body, headers=h)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert runner.c.post("/api/v1/exercise", json=body | {"reps": 5, "exercise_id": "glute_bridge"},
                         headers=h).status_code == 409
    plain = {"day": date.today().isoformat(), "timing": "after", "score": 1}
    assert runner.c.post("/api/v1/pain", json=plain, headers=h).status_code == 201  # a key stays optional
    assert _counts(db_url, runner.user_id) == (1, 2)


def test_runner_picks_miles_and_today_says_so(runner) -> None:
    assert runner.post("/account/units", {"unit": "furlong"}).status_code == 400
    assert runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()["unit"] == "km"
    km = runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()["run"]
    assert runner.post("/account/units", {"unit": "mi"}).status_code == 303
    today = runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()
    assert today["unit"] == "mi" and today["run"]["unit"] == "mi"
    if km["planned"]:
        assert today["run"]["planned"] == pytest.approx(km["planned"] / 1.609344, abs=0.06)
    assert "Distances in miles (mi)" in runner.c.get("/today").text


def test_plan_page_shows_the_viewers_unit(runner) -> None:
    page = runner.c.get(f"/u/{runner.user_id}/plan").text
    assert " km</span>" in page and " mi<" not in page
    runner.post("/account/units", {"unit": "mi"})
    page = runner.c.get(f"/u/{runner.user_id}/plan").text
    assert " mi</span>" in page and "Long run (mi)" in page
    # 20 km a week at intake is 12.4 mi (stored stays 20 km)
    assert "12.4 mi" in page


def test_intake_in_miles_is_stored_in_km_and_shown_back_unchanged(runner, db_url) -> None:
    runner.post("/account/units", {"unit": "mi"})
    assert "(mi/week)" in runner.c.get("/intake").text
    r = runner.intake(**{"running.current_weekly_km": "12.4", "running.target_weekly_km": "25"})
    assert r.status_code == 303
    f = make_session_factory(make_engine(db_url))
    with transaction(f) as s:
        profile = repo.latest_profile(s, runner.user_id)
    assert profile.running.current_weekly_km == pytest.approx(12.4 * 1.609344)
    assert profile.running.target_weekly_km == pytest.approx(25 * 1.609344)
    page = runner.c.get("/intake").text
    assert 'value="12.4"' in page and 'value="25"' in page
    runner.post("/account/units", {"unit": "km"})
    assert 'value="19.95' in runner.c.get("/intake").text


def test_calendar_says_its_unit(runner) -> None:
    assert " km (week " in runner.c.get(f"/u/{runner.user_id}/plan.ics").text
    runner.post("/account/units", {"unit": "mi"})
    ics = runner.c.get(f"/u/{runner.user_id}/plan.ics").text
    assert " mi (week " in ics and " km (week " not in ics


def test_a_warning_sign_replaces_the_day_with_a_referral(runner, db_url) -> None:
    from kneecoach.intake.profile import Profile
    from kneecoach.web import kb

    ex_id, key = _first_tap_form(runner.c.get("/today").text)
    f = make_session_factory(make_engine(db_url))
    with transaction(f) as s:
        profile = repo.latest_profile(s, runner.user_id)
        data = profile.model_dump(mode="json")
        data["red_flags"]["locking"] = True
        flagged = Profile.model_validate(data)
        assessment = kb.run_assessment(flagged)
        repo.save_assessment(s, runner.user_id, repo.save_profile(s, runner.user_id, flagged).id,
                             assessment.model_dump(mode="json"), assessment.kb_version)
    page = runner.c.get("/today").text
    assert "Please see a clinician before following this plan" in page
    assert 'action="/today/tap"' not in page
    r = runner.post("/today/tap", {"exercise_id": ex_id, "status": "done", "idempotency_key": key})
    assert r.status_code == 400 and "warning sign" in r.text
    assert _counts(db_url, runner.user_id) == (0, 0)
    assert runner.c.get(f"/api/v1/users/{runner.user_id}/today").json()["referral"]["reasons"]


def test_pdf_says_its_unit(runner) -> None:
    import io

    from pypdf import PdfReader

    def text() -> str:
        body = runner.c.get(f"/u/{runner.user_id}/plan.pdf").content
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)

    assert "Long run (km)" in text()
    runner.post("/account/units", {"unit": "mi"})
    t = text()
    assert "Long run (mi)" in t and " mi towards " in t


def test_review_carries_the_adherence(runner) -> None:
    review = runner.c.get(f"/api/v1/users/{runner.user_id}/review").json()
    assert review["adherence"] and review["adherence"][-1]["prescribed"] > 0
    assert review["adherence"][-1]["done"] == 0


def test_manifest_and_service_worker_are_served_from_the_root(browser) -> None:
    m = browser.c.get("/manifest.webmanifest")
    assert m.status_code == 200 and m.headers["content-type"].startswith("application/manifest+json")
    assert m.json()["start_url"] == "/today" and m.json()["display"] == "standalone"
    sw = browser.c.get("/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    assert "/today" in sw.text and 'addEventListener("push"' in sw.text
