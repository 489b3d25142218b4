"""The pages do what a runner needs, and bad input is explained without losing stored data."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from icalendar import Calendar
from sqlalchemy import create_engine, func, select

from kneecoach.store.models import PainEntry, ProfileRecord, RunRecord
from kneecoach.web import kb

from .conftest import make_gpx


def count(db_url: str, model) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return n


def all_kujala_answers(option: str = "a") -> dict[str, str]:
    return {f"kujala.{item.id}": option for item in kb.kujala_items()}


def test_intake_form_lists_all_kujala_items_and_red_flags(browser):
    browser.signup("r@example.org")
    page = browser.c.get("/intake").text
    items = kb.kujala_items()
    assert len(items) == 13
    for item in items:
        assert f'name="kujala.{item.id}"' in page
        for option in item.options:
            assert f'value="{option.id}"' in page
    for flag in kb.red_flags_for(None):
        assert f'name="red_flags.{flag.id}"' in page


def test_intake_error_rerenders_with_values_and_messages_and_saves_nothing(browser, db_url):
    browser.signup("r@example.org")
    assert browser.intake().status_code == 303
    before = count(db_url, ProfileRecord)
    r = browser.post("/intake", {
        "symptoms.sides": "left", "symptoms.locations": "around_kneecap",
        "running.current_weekly_km": "-5", "running.target_weekly_km": "forty", "age": "33",
    })
    assert r.status_code == 400
    assert count(db_url, ProfileRecord) == before
    assert 'value="-5"' in r.text and 'value="33"' in r.text and 'value="forty"' in r.text
    assert re.search(r'id="err-running-current_weekly_km">Enter a number of 0 or more', r.text)  # plain words (issue 23)
    assert re.search(r'id="err-running-target_weekly_km">Enter a number', r.text)
    # the earlier profile and plan are still there
    assert browser.c.get(f"/u/{browser.user_id}/plan").status_code == 200
    assert "Weekly schedule" in browser.c.get(f"/u/{browser.user_id}/plan").text


def test_missing_pain_side_is_reported_next_to_the_field(browser):
    browser.signup("r@example.org")
    r = browser.post("/intake", {"symptoms.locations": "around_kneecap", "running.current_weekly_km": "10",
                                 "running.target_weekly_km": "20"})
    assert r.status_code == 400
    assert re.search(r'id="err-symptoms-sides">Tick at least one', r.text)


def test_full_flow_intake_selftests_results_plan(browser):
    uid = browser.signup("r@example.org", "Rita")
    r = browser.intake(**all_kujala_answers("b"))
    assert r.headers["location"] == "/selftests"
    page = browser.c.get("/selftests").text
    for test in kb.self_tests().values():
        assert test.instructions.split(".")[0] in page  # instructions shown for each test
    r = browser.post("/selftests", {
        "self_tests.single_leg_squat.left.knee_falls_inward": "true",
        "self_tests.single_leg_squat.right.knee_falls_inward": "false",
        "self_tests.plank_hold_s": "20",
        "self_tests.single_leg_sit_to_stand_reps.left": "8",
        "self_tests.single_leg_sit_to_stand_reps.right": "14",
        "self_tests.flexibility.hip_flexors.right": "tight",
    })
    assert r.status_code == 303 and r.headers["location"] == f"/u/{uid}/results"
    results = browser.c.get(r.headers["location"]).text
    assert "Education, not a diagnosis" in results
    assert re.search(r'class="big-number">\d+<span>/100', results)  # all 13 Kujala items -> a score
    assert "Possible causes" in results and "Evidence" in results
    assert "Where the sources disagree" in results and 'class="position' in results
    plan = browser.c.get(f"/u/{uid}/plan").text
    assert "Education, not a diagnosis" in plan
    assert len(re.findall(r'<section class="week[ "]', plan)) >= 4  # the full list folds (issue 23)
    assert "Pain rule" in plan and "Mileage ramp" in plan
    # self-test save kept the intake answers
    profile = browser.c.get(f"/api/v1/users/{uid}/profile").json()
    assert profile["name"] == "Rita" and profile["kujala"] and profile["self_tests"]["plank_hold_s"] == 20


def test_red_flag_gives_referral_and_no_plan(browser):
    uid = browser.signup("r@example.org")
    flag = kb.red_flags()[0]
    browser.intake(**{f"red_flags.{flag.id}": "true"})
    results = browser.c.get(f"/u/{uid}/results").text
    assert 'class="referral-box"' in results and flag.reason in results
    plan = browser.c.get(f"/u/{uid}/plan").text
    assert "No plan" in plan and "Weekly schedule" not in plan
    assert browser.c.get(f"/u/{uid}/plan.pdf").status_code == 404


def test_plan_exports_pdf_and_ics_with_stable_uids(browser):
    uid = browser.signup("r@example.org")
    browser.intake()
    pdf = browser.c.get(f"/u/{uid}/plan.pdf?start=2026-11-02")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    ics1 = browser.c.get(f"/u/{uid}/plan.ics?start=2026-11-02")
    ics2 = browser.c.get(f"/u/{uid}/plan.ics?start=2026-11-02")
    assert ics1.content == ics2.content
    cal = Calendar.from_ical(ics1.content)
    events = [c for c in cal.walk("VEVENT")]
    uids = [str(e["UID"]) for e in events]
    assert len(events) > 10 and len(set(uids)) == len(uids)
    assert min(e.decoded("DTSTART") for e in events) >= date(2026, 11, 2)
    assert browser.c.get(f"/u/{uid}/plan.ics?start=2026-11-03").status_code == 422  # not a Monday


def test_upload_gpx_zip_and_corrupt_file(browser, db_url):
    uid = browser.signup("r@example.org")
    browser.intake()
    tok = browser.token("/upload")
    r = browser.c.post("/upload", headers={"X-CSRF-Token": tok, "Accept": "application/json"},
                       files=[("files", ("one.gpx", make_gpx("2026-11-02T07:00:00", 5), "application/gpx+xml"))])
    assert r.status_code == 200 and r.json()["files"][0]["added"] == 1
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/two.gpx", make_gpx("2026-11-04T07:00:00", 6))
        z.writestr("a/three.gpx", make_gpx("2026-11-06T07:00:00", 8))
        z.writestr("a/one-again.gpx", make_gpx("2026-11-02T07:00:00", 5))
    r = browser.c.post("/upload", headers={"X-CSRF-Token": tok},
                       files=[("files", ("export.zip", buf.getvalue(), "application/zip")),
                              ("files", ("broken.gpx", b"<gpx><trk><trkseg><trkpt lat='x'", "application/gpx+xml"))])
    assert r.status_code == 200
    assert "2 runs added" in r.text and "1 already stored" in r.text
    assert re.search(r'class="bad"><strong>broken.gpx</strong>', r.text)
    assert count(db_url, RunRecord) == 3
    review = browser.c.get(f"/u/{uid}/review").text
    assert "<svg" in review and 'class="bar"' in review and re.search(r"(Next|This) week \(week 1", review)


def test_upload_without_files_explains(browser):
    browser.signup("r@example.org")
    r = browser.post("/upload", {})
    assert r.status_code == 400 and "Choose at least one file" in r.text


def test_diary_validation_and_save(browser, db_url):
    browser.signup("r@example.org")
    browser.intake()
    r = browser.post("/diary/pain", {"pain_day": "2026-11-05", "timing": "during", "score": "12"})
    assert r.status_code == 400 and count(db_url, PainEntry) == 0
    assert 'value="2026-11-05"' in r.text and re.search(r'id="err-score">', r.text)
    r = browser.post("/diary/pain", {"pain_day": "not-a-date", "timing": "during", "score": "3"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.text
    r = browser.post("/diary/pain", {"pain_day": "2026-11-05", "timing": "during", "score": "3"})
    assert r.status_code == 303 and count(db_url, PainEntry) == 1
    ex_id = next(iter(kb.exercise_names()))
    r = browser.post("/diary/exercise", {"ex_day": "2026-11-05", "exercise_id": ex_id, "sets": "-1", "reps": "10"})
    assert r.status_code == 400 and "cannot be negative" in r.text
    r = browser.post("/diary/exercise", {"ex_day": "2026-11-05", "exercise_id": "no_such_thing", "reps": "10"})
    assert r.status_code == 400 and "Unknown exercise" in r.text
    r = browser.post("/diary/exercise", {"ex_day": "2026-11-05", "exercise_id": ex_id, "sets": "3", "reps": "10"})
    assert r.status_code == 303
    page = browser.c.get("/diary").text
    assert "3/10" in page and kb.exercise_names()[ex_id] in page


def test_login_logout_roundtrip(app, make_browser):
    a = make_browser()
    a.signup("r@example.org")
    assert a.post("/logout").status_code == 303
    assert a.c.get("/home", follow_redirects=False).status_code == 303
    r = a.post("/login", {"email": "R@Example.org", "password": "correct horse battery staple", "next": "/diary"})
    assert r.status_code == 303 and r.headers["location"] == "/diary"


def test_signup_errors_are_shown_per_field(browser):
    r = browser.post("/signup", {"email": "nope", "display_name": "", "password": "short", "role": "admin"})
    assert r.status_code == 400
    for field in ("email", "display_name", "password", "role"):
        assert f'id="err-{field}"' in r.text
    browser.signup("dup@example.org")
    fresh, dup = type(browser)(browser.c.app), type(browser)(browser.c.app)
    answers = []
    for who, email in ((fresh, "new@example.org"), (dup, "dup@example.org")):
        r = who.post("/signup", {"email": email, "display_name": "X", "password": "long enough pw",
                                 "role": "runner"})
        page = re.sub(r'value="[^"]+" name="csrf_token"|name="csrf_token" value="[^"]+"', "", who.c.get("/login").text)
        answers.append((r.status_code, r.headers.get("location"), page))
    # A registered e-mail gets exactly the answer a new one gets (no account probing) ...
    assert answers[0] == answers[1] and answers[0][0] == 303 and "your account is ready" in answers[0][2]
    # ... and the existing account keeps its password.
    assert dup.post("/login", {"email": "dup@example.org", "password": "long enough pw"}).status_code == 400
    assert fresh.post("/login", {"email": "new@example.org", "password": "long enough pw"}).status_code == 303


def test_review_without_runs_and_pages_before_intake(browser):
    uid = browser.signup("r@example.org")
    for path in (f"/u/{uid}/results", f"/u/{uid}/plan", f"/u/{uid}/review"):
        r = browser.c.get(path)
        assert r.status_code == 200 and "intake" in r.text
    assert browser.c.get("/selftests", follow_redirects=False).headers["location"] == "/intake"
    browser.intake()
    r = browser.c.get(f"/u/{uid}/review")
    assert r.status_code == 200 and re.search(r"(Next|This) week \(week 1", r.text) and "<svg" in r.text


def test_writes_are_committed_before_the_response_starts(app, db_url):
    """A redirect must not reach the browser before its write is visible to the next request."""
    seen: list[int] = []

    async def probe(scope, receive, send):
        async def send_and_look(message):
            if message["type"] == "http.response.start" and scope.get("path") == "/diary/pain":
                seen.append(count(db_url, PainEntry))  # another connection, like the next request
            await send(message)

        await app(scope, receive, send_and_look)

    from .conftest import Browser

    b = Browser(app)
    b.signup("commit@example.org")
    b.c = type(b.c)(probe, base_url="http://testserver", cookies=b.c.cookies)
    r = b.post("/diary/pain", {"pain_day": "2026-11-05", "timing": "daily", "score": "2"})
    assert r.status_code == 303
    assert seen == [1]


def test_conditional_red_flags_are_asked_before_saving(browser, db_url):
    """An adolescent's intake brings up the hip (SCFE) question; nothing is stored until it is answered."""
    uid = browser.signup("teen@example.org")
    before = count(db_url, ProfileRecord)
    page = browser.c.get("/intake").text
    assert 'name="red_flags.adolescent_hip_limp"' not in page  # no age known yet
    r = browser.intake(age="13")
    assert r.status_code == 200 and 'name="red_flags.adolescent_hip_limp"' in r.text
    assert "more warning-sign questions" in r.text
    assert count(db_url, ProfileRecord) == before
    r = browser.intake(age="13", **{"red_flags.adolescent_hip_limp": "true"})
    assert r.status_code == 303
    results = browser.c.get(f"/u/{uid}/results").text
    assert "within days" in results and "hip" in results


def test_pain_free_intake_gives_a_prevention_plan(browser):
    uid = browser.signup("free@example.org")
    r = browser.post("/intake", {
        "symptoms.onset": "gradual", "symptoms.pain_at_rest": "0",  # an untouched pain section still posts these
        "running.current_weekly_km": "25", "running.target_weekly_km": "40",
    })
    assert r.status_code == 303, r.text
    results = browser.c.get(f"/u/{uid}/results").text
    assert "Prevention" in results and "no knee pain" in results
    plan = browser.c.get(f"/u/{uid}/plan").text
    assert "Calm the load" not in plan and "25.0 km" in plan
