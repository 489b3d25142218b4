"""Issue 21 on the web: a run logged by hand in the diary, and the review page's plan week."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kneecoach.store import repo
from kneecoach.store.models import DayMark, RunRecord


def last_completed_monday(today: date) -> date:
    """Monday of the last week complete on ``today`` (a week is complete on its Sunday)."""
    sunday = today if today.weekday() == 6 else today - timedelta(days=today.weekday() + 1)
    return sunday - timedelta(days=6)


def _start_plan_last_week(db_url: str, uid: int) -> float:
    """Move the stored plan's week 1 to the last completed week; returns week 1's distance."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            _, plan = repo.latest_plan(s, uid)  # type: ignore[misc]
            monday = last_completed_monday(date.today())
            repo.save_plan(s, uid, plan.model_copy(update={"start_date": monday}), "test: started last week")
            s.commit()
            return plan.mileage_ramp[0].km
    finally:
        engine.dispose()


def _rows(db_url: str, model) -> list:  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            return list(s.scalars(select(model)))
    finally:
        engine.dispose()


def test_hand_run_counts_and_the_review_shows_the_plan_week_done(browser, db_url):
    uid = browser.signup("r@example.org")
    browser.intake()
    week1 = _start_plan_last_week(db_url, uid)
    monday = last_completed_monday(date.today())

    # bad input: a clear message, nothing stored
    r = browser.post("/diary/run", {"run_day": monday.isoformat(), "distance": "abc", "minutes": "30"})
    assert r.status_code == 400 and "Enter a number" in r.text
    r = browser.post("/diary/run", {"run_day": monday.isoformat(), "distance": "30", "minutes": "10"})
    assert r.status_code == 400 and "faster than any runner" in r.text
    assert _rows(db_url, RunRecord) == []

    per_run = round(week1 / 3, 2)
    for d in (1, 3, 5):
        r = browser.post("/diary/run", {"run_day": (monday + timedelta(days=d)).isoformat(), "distance": str(per_run),
                                        "minutes": "40", "run_pain": "1"})
        assert r.status_code == 303, r.text[:400]
    runs = _rows(db_url, RunRecord)
    assert len(runs) == 3 and all(x.source_format == "manual" and x.source_name == "hand-entered" for x in runs)

    page = browser.c.get(f"/u/{uid}/review").text
    assert "Week 1 of your plan" in page and "Done:" in page
    assert re.search(r"(This|Next) week \(week 2", page) and "See a clinician if" in page

    r = browser.post("/diary/day", {"mark_day": date.today().isoformat(), "kind": "swelling"})
    assert r.status_code == 303 and [m.kind for m in _rows(db_url, DayMark)] == ["swelling"]
    page = browser.c.get(f"/u/{uid}/review").text
    assert "see a clinician" in page and "swelling of the knee" in page
    r = browser.post("/diary/day", {"mark_day": date.today().isoformat(), "kind": "flu"})
    assert r.status_code == 400 and "Choose what happened" in r.text


def test_miles_from_the_diary_form(browser, db_url):
    browser.signup("m@example.org")
    browser.intake()
    r = browser.post("/diary/run", {"run_day": date.today().isoformat(), "distance": "3.1", "unit": "mi",
                                    "minutes": "30", "race": "1"})
    assert r.status_code == 303
    (run,) = _rows(db_url, RunRecord)
    assert abs(run.distance_m - 3.1 * 1609.344) < 1 and run.race


def test_only_the_owner_marks_a_race(make_browser, db_url):
    a, b = make_browser(), make_browser()
    a.signup("a@example.org")
    b.signup("b@example.org")
    ha = {"X-CSRF-Token": a.c.get("/api/v1/csrf").json()["csrf_token"]}
    hb = {"X-CSRF-Token": b.c.get("/api/v1/csrf").json()["csrf_token"]}
    run = a.c.post("/api/v1/runs/manual", json={"day": "2026-11-03", "distance": 21.1, "minutes": 110},
                   headers=ha).json()
    assert b.c.post(f"/api/v1/runs/{run['id']}/race", headers=hb).status_code == 404
    assert b.c.post("/api/v1/runs/999999/race", headers=hb).status_code == 404
    assert not _rows(db_url, RunRecord)[0].race
    r = a.c.post(f"/api/v1/runs/{run['id']}/race", headers=ha)
    assert r.status_code == 200 and r.json()["race"] and r.json()["hand_entered"]
    assert _rows(db_url, RunRecord)[0].race


def test_review_page_counts_the_weeks_exercise_sessions_like_today(browser, db_url):
    from kneecoach.tracking.adherence import plan_prescription

    uid = browser.signup("a@example.org")
    browser.intake()
    _start_plan_last_week(db_url, uid)
    monday = last_completed_monday(date.today())
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            prescription = plan_prescription(repo.latest_plan(s, uid)[1])  # type: ignore[index]
    finally:
        engine.dispose()
    first = sorted(prescription)[0]
    for d in (0, 2):
        r = browser.post("/diary/exercise", {"ex_day": (monday + timedelta(days=d)).isoformat(),
                                             "exercise_id": first, "sets": "2", "reps": "10"})
        assert r.status_code == 303, r.text[:300]
    total = sum(prescription.values())
    done = min(2, prescription[first])
    page = browser.c.get(f"/u/{uid}/review").text
    assert f"Exercises in the week reviewed: {done} of {total} sessions done" in page
    assert re.search(rf"<td>{done} of {total}</td>", page)
    body = browser.c.get(f"/api/v1/users/{uid}/review").json()
    assert body["reviewed_week"]["exercise_sessions"]["done"] == done
    assert {"week_start": monday.isoformat(), "prescribed": total, "done": done,
            "percent": round(done / total * 100)} in body["adherence"]


def test_plan_page_calendar_and_today_say_what_the_review_decided(browser, db_url):
    uid = browser.signup("p@example.org")
    browser.intake()
    week1 = _start_plan_last_week(db_url, uid)
    monday = last_completed_monday(date.today())
    for d in (1, 3, 5):  # week 1 run as planned, with pain at the step-back level
        r = browser.post("/diary/run", {"run_day": (monday + timedelta(days=d)).isoformat(),
                                        "distance": str(round(week1 / 3, 2)), "minutes": "40", "run_pain": "5"})
        assert r.status_code == 303, r.text[:300]
    review = browser.c.get(f"/api/v1/users/{uid}/review").json()
    decided = review["decision"]["next_week"]
    assert review["decision"]["action"] == "step_back" and decided["km"] < week1
    plan = browser.c.get(f"/api/v1/users/{uid}/plan").json()
    week = next(w for w in plan["schedule"] if w["week"] == decided["number"])
    assert week["days"][0]["date"] == decided["start"] and week["km"] == round(decided["km"], 1)
    ran = sum(d["run_km"] or 0 for d in week["days"])
    assert abs(ran - decided["km"]) < 0.25
    today = browser.c.get(f"/api/v1/users/{uid}/today").json()
    # on a Sunday the day still belongs to the week just judged; any other day to the week decided
    assert today["plan_week"] == decided["number"] - (1 if date.today().weekday() == 6 else 0)
    ics = browser.c.get(f"/u/{uid}/plan.ics").text
    assert f"w{decided['number']}-" in ics
