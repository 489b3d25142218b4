"""Re-test page, progress page (trend chart, criteria, ladders), API and the clinician's read-only view."""

from __future__ import annotations

from kneecoach.web import kb

from .test_web_pages import count
from kneecoach.store.models import ProfileRecord


def _kujala(option: str = "a") -> dict[str, str]:
    return {f"kujala.{i.id}": option for i in kb.kujala_items()}


def test_retest_page_stores_a_new_version_and_progress_shows_the_trend(browser, db_url):
    uid = browser.signup("rt@example.org")
    browser.intake(**{f"kujala.{i.id}": "b" for i in kb.kujala_items()[:13]})
    page = browser.c.get("/retest")
    assert page.status_code == 200 and 'name="kujala.stairs"' in page.text and "Re-test" in page.text
    before = count(db_url, ProfileRecord)
    r = browser.post("/retest", {**_kujala("a"), "self_tests.plank_hold_s": "50",
                                 "self_tests.single_leg_sit_to_stand_reps.left": "12",
                                 "self_tests.single_leg_sit_to_stand_reps.right": "11"})
    assert r.status_code == 303 and r.headers["location"] == f"/u/{uid}/progress"
    assert count(db_url, ProfileRecord) == before + 1
    prog = browser.c.get(f"/u/{uid}/progress").text
    assert "<svg" in prog and "Re-test trends" in prog and "a change you would notice" in prog
    assert "retest" in prog and "intake" in prog


def test_retest_with_a_missing_answer_names_the_field_and_stores_nothing(browser, db_url):
    browser.signup("rt2@example.org")
    browser.intake(**{f"kujala.{i.id}": "b" for i in kb.kujala_items()})
    before = count(db_url, ProfileRecord)
    answers = _kujala("a")
    answers.pop("kujala.stairs")
    r = browser.post("/retest", {**answers, "self_tests.plank_hold_s": "40"})
    assert r.status_code == 400, r.text
    assert "required field is missing" in r.text and 'id="err-kujala-stairs"' in r.text, r.text[r.text.find("error-box"):][:800]
    assert count(db_url, ProfileRecord) == before


def test_api_retest_and_progress(browser, db_url):
    uid = browser.signup("api@example.org")
    browser.intake(**{f"kujala.{i.id}": "b" for i in kb.kujala_items()})
    token = browser.c.get("/api/v1/csrf").json()["csrf_token"]
    bad = browser.c.post("/api/v1/retest", json={"kujala": {"limp": "z"}, "self_tests": {}},
                         headers={"X-CSRF-Token": token})
    assert bad.status_code == 422 and any("kujala.limp" in d for d in bad.json()["detail"])
    ok = browser.c.post("/api/v1/retest", json={"kujala": {i.id: "a" for i in kb.kujala_items()},
                                                "self_tests": {"plank_hold_s": 60}},
                        headers={"X-CSRF-Token": token})
    assert ok.status_code == 201 and ok.json()["plan_version"] == 2
    prog = browser.c.get(f"/api/v1/users/{uid}/progress").json()
    assert [p["kind"] for p in prog["trend"]] == ["intake", "retest"]
    assert prog["due"]["due"] is False and "phases" in prog and "cadence" in prog


def test_clinician_reads_progress_read_only(make_browser):
    runner = make_browser()
    uid = runner.signup("run@example.org")
    runner.intake(**{f"kujala.{i.id}": "b" for i in kb.kujala_items()})
    code_page = runner.post("/invites", {})
    import re

    code = re.search(r"<code>([^<]+)</code>", runner.c.get("/home").text).group(1)
    clin = make_browser()
    clin.signup("doc@example.org", role="clinician")
    clin.post("/invites/accept", {"code": code})
    r = clin.c.get(f"/u/{uid}/progress")
    assert r.status_code == 200 and "Re-test trends" in r.text and "Re-test now" not in r.text
    assert clin.c.get("/retest").status_code in (303, 403, 404)
    stranger = make_browser()
    stranger.signup("x@example.org", role="clinician")
    assert stranger.c.get(f"/u/{uid}/progress").status_code == 404


def test_home_says_when_a_retest_is_due(browser, db_url):
    import sqlalchemy as sa

    browser.signup("due@example.org")
    browser.intake()
    assert "Next re-test due" in browser.c.get("/home").text
    uid = browser.c.get("/api/v1/me").json()["id"]
    assert "Next re-test due" in browser.c.get(f"/u/{uid}/review").text
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # the intake was four weeks ago
        conn.execute(sa.text("UPDATE profiles SET created_at = :t"), {"t": "2020-01-01 12:00:00"})
    engine.dispose()
    home = browser.c.get("/home").text
    assert "A re-test is due" in home and 'href="/retest"' in home


def test_hop_test_is_offered_after_acl_reconstruction_and_feeds_the_criteria(browser):
    uid = browser.signup("hop@example.org")
    browser.intake()
    assert "Single-leg hop for distance" not in browser.c.get("/selftests").text
    browser.intake(**{"history.acl_reconstruction": "true", "history.surgery.kind": "ACL reconstruction",
                      "history.surgery.weeks_ago": "20", "history.full_extension": "true",
                      "symptoms.onset": "gradual"})
    page = browser.c.get("/selftests").text
    assert "Single-leg hop for distance" in page
    r = browser.post("/selftests", {"self_tests.single_leg_hop_cm.left": "120", "self_tests.single_leg_hop_cm.right": "110"})
    assert r.status_code == 303
    plan = browser.c.get(f"/u/{uid}/plan").text
    assert "Operated leg at least 80 %" in plan and "not met yet" not in plan.split("Operated leg at least 80 %")[1][:120]
