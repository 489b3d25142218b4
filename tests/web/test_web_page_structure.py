"""Page structure for a phone (issue 23), checked on the HTML: what a page opens on, what folds,
the navigation's current page, table headers that say something."""

from __future__ import annotations

import re

from kneecoach.web import kb

from .conftest import Browser


def _with_plan(browser: Browser) -> int:
    uid = browser.signup("shape@example.org", "Shape")
    kujala = {f"kujala.{item.id}": item.options[1].id for item in kb.kujala_items()}
    r = browser.intake(**kujala)
    assert r.status_code == 303, r.text[:300]
    return uid


def test_navigation_marks_the_current_page_only(browser: Browser) -> None:
    uid = _with_plan(browser)
    html = browser.c.get(f"/u/{uid}/plan").text
    assert html.count('aria-current="page"') == 1
    assert f'<a href="/u/{uid}/plan" aria-current="page">Plan</a>' in html
    results = browser.c.get(f"/u/{uid}/results").text
    assert f'<a href="/u/{uid}/results" aria-current="page">' in results
    assert f'<a href="/u/{uid}/plan" aria-current' not in results


def test_plan_opens_on_this_week_and_folds_the_rest(browser: Browser) -> None:
    uid = _with_plan(browser)
    html = browser.c.get(f"/u/{uid}/plan").text
    this_week, current_phase = html.find('id="this-week"'), html.find('id="current-phase"')
    all_weeks = html.find('<details class="more card" id="all-weeks">')
    assert 0 < this_week < current_phase < all_weeks, "this week, then the phase, then the folded list"
    ramp = html.find('class="simple ramp compact"')
    assert 0 < ramp < all_weeks, "the ramp stays one compact table above the folds"
    folded = html[all_weeks:]
    weeks = len(re.findall(r'aria-label="Week \d+"', folded))
    assert weeks == len(re.findall(r"<tr[^>]*><td>\d+</td>", html[ramp:all_weeks])) and weeks >= 4
    understanding = html.find("Understanding your knee")
    assert understanding == -1 or html.rfind("<details", 0, understanding) > all_weeks, "education is folded"
    assert html.find("Education, not a diagnosis") > 0


def test_results_open_on_a_summary(browser: Browser) -> None:
    uid = _with_plan(browser)
    html = browser.c.get(f"/u/{uid}/results").text
    summary = html.find('id="summary"')
    first_hyp = html.find('class="card hypothesis"')
    assert 0 < summary < first_hyp
    block = html[summary:html.find("</section>", summary)]
    assert "/100" in block and "Warning signs" in block and "Most likely" in block
    assert re.search(r'<a href="#hyp-1">[^<]+</a>', block)
    assert "<details open>" not in html, "evidence is behind a disclosure"


def test_invite_table_has_no_empty_header_and_wraps_the_code(browser: Browser) -> None:
    browser.signup("inv@example.org", "Inv")
    assert browser.post("/invites").status_code == 303
    html = browser.c.get("/home").text
    assert not re.search(r"<th[^>]*>\s*</th>", html)
    assert re.search(r'<table class="simple stack[^"]*">.*?<code>[^<]{16,}</code>', html, re.S), "the stacking table"


def test_charts_are_drawn_for_a_phone() -> None:
    """20 weeks of data: few enough date labels to fit, text large enough for a 330 px wide chart."""
    from datetime import date, timedelta

    from kneecoach.web.chart import FONT, MAX_X_LABELS, WIDTH, ChartWeek, load_pain_svg

    weeks = [ChartWeek(date(2026, 1, 5) + timedelta(weeks=i), 10.0 + i, 2.0) for i in range(20)]
    svg = load_pain_svg(weeks, pain_limit=3)
    dates = re.findall(r'text-anchor="middle">(\d\d \w{3})</text>', svg)
    assert 1 < len(dates) <= MAX_X_LABELS
    assert f'viewBox="0 0 {WIDTH} ' in svg and f'font-size="{FONT}"' in svg
    assert FONT * 330 / WIDTH >= 12  # CSS px at a phone's chart width
