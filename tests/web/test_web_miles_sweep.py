"""Issue 16.6, the web faces: a runner and a clinician who read miles see no kilometre anywhere.

A runner in miles with a plan that started four weeks ago, runs (one long enough to warn about),
pain entries and a clinician who also reads miles. Every page that shows a distance is fetched and
its visible text (tags, scripts and styles stripped) must not say "km"; the numbers shown equal the
stored kilometres / 1.609344, rounded as shown. The clinician's weekly cap, typed in miles, is
stored in km and shown again unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape

import pytest

from kneecoach.intake.units import KM_PER_MILE
from kneecoach.store import repo, run_log
from kneecoach.store.db import make_engine, make_session_factory, transaction

KM_WORD = re.compile(r"\bkm\b|kilomet", re.IGNORECASE)


def visible(html: str) -> str:
    """The text a reader sees: no scripts, styles, tags or attribute values. A unit picker's options
    (``<select>``: "km", "miles") are a choice offered, not a distance shown, so they are left out."""
    html = re.sub(r"<(script|style|select)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(html))


def km_said(text: str) -> list[str]:
    """Each place the text says km, with a little context (empty when it never does)."""
    return [text[max(0, m.start() - 60): m.end() + 20] for m in KM_WORD.finditer(text)]


@pytest.fixture()
def world(make_browser, db_url):
    runner, clin = make_browser(), make_browser()
    rid = runner.signup("miles@example.org", "Mia")
    assert runner.post("/account/units", {"unit": "mi"}).status_code == 303
    assert runner.intake(**{"running.current_weekly_km": "12.4", "running.target_weekly_km": "25"}).status_code == 303
    clin.signup("clin@example.org", "Cal", role="clinician")
    assert clin.post("/account/units", {"unit": "mi"}).status_code == 303
    runner.post("/invites")
    code = re.search(r"<code>([^<]+)</code>", runner.c.get("/home").text).group(1)
    assert clin.post("/invites/accept", {"code": code}).status_code == 303
    link = int(re.search(r"/invites/(\d+)/consent", runner.c.get("/home").text).group(1))
    assert runner.post(f"/invites/{link}/consent", {"allow": "1"}).status_code == 303
    today = date.today()
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=4)
    f = make_session_factory(make_engine(db_url))
    with transaction(f) as s:
        _v, plan = repo.latest_plan(s, rid)
        repo.save_plan(s, rid, plan.model_copy(update={"start_date": start}), "started four weeks ago")
        for week, kms in enumerate(((5, 5, 6), (5, 6, 6), (6, 6, 14), (4, 4, 5))):
            monday = start + timedelta(weeks=week)
            for i, km in enumerate(kms):
                run_log.add_hand_run(s, rid, monday + timedelta(days=1 + 2 * i), km, km * 6)
            repo.add_pain(s, rid, monday + timedelta(days=2), "during", 2 + week % 2)
    # one hand run through the form without a unit field: it is the runner's unit, miles
    r = runner.post("/diary/run", {"run_day": (today - timedelta(days=1)).isoformat(), "distance": "3",
                                   "minutes": "30"})
    assert r.status_code == 303, r.text[:400]
    return {"runner": runner, "clin": clin, "rid": rid, "factory": f}


def test_every_runner_page_says_miles_not_km(world) -> None:
    runner, rid = world["runner"], world["rid"]
    pages = [f"/u/{rid}/review", f"/u/{rid}/plan", "/today", "/home", "/upload", "/diary", f"/u/{rid}/progress",
             f"/u/{rid}/timeline", f"/u/{rid}/results", f"/u/{rid}/today", f"/u/{rid}/notes"]
    # (/account is left out: it is where the unit is chosen, so it names both)
    for path in pages:
        r = runner.c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        text = visible(r.text)
        assert not km_said(text), (path, km_said(text))
    review = visible(runner.c.get(f"/u/{rid}/review").text)
    assert " mi" in review and "Download CSV" in review
    # the run form defaults to the runner's unit
    diary = runner.c.get("/diary").text
    assert re.search(r'<option value="mi"\s+selected', diary)
    # the hand run typed without a unit was taken as miles and stored in metres
    with transaction(world["factory"]) as s:
        latest = repo.latest_run_rows(s, rid, 1)[0]
    assert latest.distance_m == pytest.approx(3 * 1609.344)


def test_review_numbers_are_the_km_values_in_miles(world) -> None:
    runner, rid = world["runner"], world["rid"]
    assert runner.c.get("/api/v1/me").json()["distance_unit"] == "mi"
    doc = runner.c.get(f"/api/v1/users/{rid}/review").json()
    assert doc["unit"] == "mi" and doc["stored_unit"] == "km"
    nw = doc["decision"]["next_week"]
    assert nw["distance_mi"] == round(nw["km"] / KM_PER_MILE, 1)
    assert nw["long_run_mi"] == round(nw["long_run_km"] / KM_PER_MILE, 1)
    rw = doc["reviewed_week"]
    assert rw["run_mi"] == round(rw["run_km"] / KM_PER_MILE, 1)
    sentences = [doc["decision"]["reason"], doc["decision"]["summary"], doc["acwr_note"], doc["pain_vs_load"],
                 doc["hills"], *(w["message"] for w in doc["warnings"])]
    assert not [s for s in sentences if KM_WORD.search(s)], sentences
    assert doc["warnings"], "the 14 km run after 6 km weeks should be warned about"
    page = visible(runner.c.get(f"/u/{rid}/review").text)
    assert f"{nw['km'] / KM_PER_MILE:.1f} mi, long run {nw['long_run_km'] / KM_PER_MILE:.1f} mi" in page
    assert f"{rw['run_km'] / KM_PER_MILE:.1f} mi of {rw['prescribed_km'] / KM_PER_MILE:.1f} mi" in page
    # the chart: axis unit and each bar's value
    svg = runner.c.get(f"/u/{rid}/review").text
    chart = svg[svg.index("<svg"):svg.index("</svg>")]
    assert 'text-anchor="end">mi</text>' in chart and ">km<" not in chart
    # the CSV names its unit and carries the same numbers
    body = runner.c.get(f"/u/{rid}/review.csv")
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.text)))
    assert rows and "distance_mi" in rows[0] and not any("km" in k for k in rows[0])
    weeks = {w["start"]: w for w in doc["weeks"]}
    for row in rows:
        if row["week_start"] in weeks:
            assert float(row["distance_mi"]) == pytest.approx(weeks[row["week_start"]]["run_km"] / KM_PER_MILE,
                                                              abs=0.006)


def test_a_km_viewer_of_the_same_runner_reads_km(world, make_browser) -> None:
    """The unit belongs to the viewer: the same review in km for a clinician who reads km."""
    clin, rid = world["clin"], world["rid"]
    assert clin.post("/account/units", {"unit": "km"}).status_code == 303
    page = visible(clin.c.get(f"/u/{rid}/review").text)
    assert " km" in page and not re.search(r"\d mi\b", page)
    doc_km = clin.c.get(f"/api/v1/users/{rid}/review").json()
    doc_mi = world["runner"].c.get(f"/api/v1/users/{rid}/review").json()
    assert doc_km["decision"]["action"] == doc_mi["decision"]["action"]
    assert doc_km["decision"]["next_week"]["km"] == doc_mi["decision"]["next_week"]["km"]
    assert "distance_mi" not in doc_km["decision"]["next_week"]


def test_clinician_pages_and_cap_in_miles(world) -> None:
    clin, rid, f = world["clin"], world["rid"], world["factory"]
    for path in ("/home", f"/u/{rid}/timeline", f"/u/{rid}/plan/change", f"/u/{rid}/review", f"/u/{rid}/plan"):
        r = clin.c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert not km_said(visible(r.text)), (path, km_said(visible(r.text)))
    home = visible(clin.c.get("/home").text)
    assert "This week mi / plan" in home
    assert "Weekly cap, mi" in visible(clin.c.get(f"/u/{rid}/plan/change").text)
    r = clin.post(f"/u/{rid}/plan/changes", {"kind": "cap_weekly_km", "km": "20", "reason": "settle the knee"})
    assert r.status_code == 303, r.text[:500]
    with transaction(f) as s:
        _v, plan = repo.latest_plan(s, rid)
    change = plan.clinician_changes[-1]
    assert change.km == pytest.approx(32.18688) and change.unit == "mi"
    assert change.summary == "Weekly distance capped at 20 mi"
    assert max(w.km for w in plan.mileage_ramp) == pytest.approx(32.18688)
    page = visible(world["runner"].c.get(f"/u/{rid}/plan").text)
    assert "20.0 mi" in page and not km_said(page)
    # bad input: more than the cap allows in miles is refused with the limit in miles, nothing stored
    r = clin.post(f"/u/{rid}/plan/changes", {"kind": "cap_weekly_km", "km": "200", "reason": "x"})
    assert r.status_code == 400 and "at most 186.4 mi" in visible(r.text)
    with transaction(f) as s:
        assert len(repo.latest_plan(s, rid)[1].clinician_changes) == 1


def test_the_api_cap_is_km_whatever_the_clinicians_unit(world) -> None:
    clin, rid, f = world["clin"], world["rid"], world["factory"]
    r = clin.c.post(f"/api/v1/users/{rid}/plan/changes", headers={"X-CSRF-Token": clin.token("/home")},
                    json={"kind": "cap_weekly_km", "km": 30, "reason": "settle the knee"})
    assert r.status_code == 201, r.text
    with transaction(f) as s:
        change = repo.latest_plan(s, rid)[1].clinician_changes[-1]
    assert change.km == 30 and change.unit == "km" and change.summary == "Weekly distance capped at 30 km"
