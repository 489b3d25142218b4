"""Today in headless Chromium on a phone-sized screen: first screen, keyboard, offline taps sent once.

Uses the server and page fixtures of ``test_web_browser`` (Debian Chromium through Playwright).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from kneecoach.web import kb

from .test_web_browser import CHROMIUM, new_account, page, server, shot, submit  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"headless Chromium not installed at {CHROMIUM}"),
]


def _exercise_rows(server_db: str) -> list[tuple]:
    engine = create_engine(server_db)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT exercise_id, status, idempotency_key FROM exercise_sessions")))
    finally:
        engine.dispose()


def _wait(page, js: str, timeout_s: float = 30.0) -> None:  # noqa: F811
    """Poll ``js`` with page.evaluate (wait_for_function evaluates strings, which the CSP forbids)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {js}")
        time.sleep(0.1)


def _with_plan(page, server: str) -> None:  # noqa: F811
    new_account(page, server, "phone@example.org", "Pia")
    page.goto(server + "/intake")
    page.eval_on_selector_all("details.fold", "els => els.forEach(d => { d.open = true; })")  # folded on a phone
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.check("input[name='symptoms.aggravators'][value='stairs_down']")
    page.select_option("#f-symptoms\\.pain_during_run", "2")
    page.fill("#f-running\\.current_weekly_km", "18")
    page.fill("#f-running\\.target_weekly_km", "30")
    page.fill("#f-running\\.runs_per_week", "3")
    for item in kb.kujala_items():
        page.check(f"input[name='kujala.{item.id}'][value='{item.options[1].id}']")
    submit(page, "button:has-text('Save and continue')")


def test_today_offline_taps_are_queued_and_stored_once(page, server, tmp_path) -> None:  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    _with_plan(page, server)
    page.goto(server + "/today")
    # The first screen (phone height) holds the day: the run card and the first exercise's buttons.
    first_done = page.locator("form.tapform[data-kind=tap] button[value=done]").first
    assert first_done.bounding_box()["y"] < 844, "the first exercise's Done button is below the first screen"
    assert page.locator("h2#run-h").bounding_box()["y"] < 500
    shot(page, "09-today-phone", full=False)  # KNEECOACH_SCREENSHOTS=1: the first screen on a phone
    # Service worker installed and controlling the page (reload once so it controls this page).
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    _wait(page, "navigator.serviceWorker.controller !== null")
    context = page.context
    context.set_offline(True)
    page.reload()  # served from the service worker's copy
    assert "Exercises" in page.inner_text("main")
    ex_id = page.locator("form.tapform[data-kind=tap] input[name=exercise_id]").first.input_value()
    # Keyboard only: focus the first Done button and press Enter.
    page.locator("form.tapform[data-kind=tap] button[value=done]").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".state.queued")
    queued = page.evaluate("JSON.parse(localStorage.getItem('kc-today-queue'))")
    assert len(queued) == 1
    # A flaky network replays the same tap: put it in the queue twice.
    page.evaluate("q => localStorage.setItem('kc-today-queue', JSON.stringify(q.concat(q)))", queued)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait(page, "JSON.parse(localStorage.getItem('kc-today-queue') || '[]').length === 0")
    rows = _exercise_rows(f"sqlite:///{tmp_path / 'browser.db'}")
    assert [(r[0], r[1]) for r in rows] == [(ex_id, "done")], rows
    assert rows[0][2] == queued[0]["key"]
    page.reload()
    assert "Done ✓" in page.inner_text(f"#ex-{ex_id}")


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {len(v['nodes'])} nodes" for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_today_is_accessible_and_works_by_keyboard(page, server) -> None:  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    _with_plan(page, server)
    for path in ("/today", "/home", "/diary", "/account"):
        page.goto(server + path)
        assert _serious(page) == [], path
    page.goto(server + "/today")
    # Every control has a name a screen reader can say.
    unnamed = page.evaluate("""() => [...document.querySelectorAll('main button, main input:not([type=hidden])')]
        .filter(el => !(el.getAttribute('aria-label') || el.labels?.length || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 80))""")
    assert unnamed == []
    # Keyboard only: Tab to the morning check's first score and press Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label') || ''").startswith("Morning knee pain 0"):
            break
    else:
        raise AssertionError("the morning check is not reachable by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Morning check: 0/10" in page.inner_text("main")
