"""Correcting a tap in headless Chromium at phone width (issue 16): Change and Undo on Today with the
page's script and by keyboard, the diary's Edit and Delete pages, no sideways scrolling, axe clean.

Uses the server and page fixtures of ``test_web_browser`` (Debian Chromium through Playwright).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from .test_today_browser import _serious, _wait, _with_plan
from .test_web_browser import CHROMIUM, page, server, submit  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"headless Chromium not installed at {CHROMIUM}"),
]


def _rows(db: str) -> tuple[list[tuple], list[tuple]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            ex = list(conn.execute(text("SELECT id, exercise_id, status, pain FROM exercise_sessions")))
            pain = list(conn.execute(text("SELECT timing, score FROM pain_entries")))
        return [tuple(r) for r in ex], [tuple(r) for r in pain]
    finally:
        engine.dispose()


def _no_sideways_scroll(page) -> None:  # noqa: F811
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"


def test_change_and_undo_a_tap_at_phone_width(page, server, tmp_path) -> None:  # noqa: F811
    db = f"sqlite:///{tmp_path / 'browser.db'}"
    page.set_viewport_size({"width": 390, "height": 844})
    _with_plan(page, server)
    page.goto(server + "/today")
    if page.locator("form.tapform[data-kind=tap]").count() == 0:
        pytest.skip("no exercises on this weekday for the browser plan")
    ex_id = page.locator("form.tapform[data-kind=tap] input[name=exercise_id]").first.input_value()
    item = f"#ex-{ex_id}"
    page.locator(f"{item} button[value=done]").click()
    page.wait_for_selector(f"{item} details.change summary")  # the script brought the item's Change and Undo
    assert "Done ✓" in page.inner_text(item)
    # Keyboard only: open Change, pick "Done, it hurt" and 4/10, save.
    page.locator(f"{item} details.change summary").focus()
    page.keyboard.press("Enter")
    page.locator(f"{item} input[name=status][value=hurt]").focus()
    page.keyboard.press("Space")
    page.locator(f"{item} select[name=pain]").select_option("4")
    _no_sideways_scroll(page)
    assert _serious(page) == [], "/today with Change open"
    page.locator(f"{item} form[data-kind=change] button[type=submit]").focus()
    page.keyboard.press("Enter")
    _wait(page, f"document.querySelector('{item} .state').textContent.includes('it hurt (4/10)')")
    ex, pain = _rows(db)
    assert [(r[1], r[2], r[3]) for r in ex] == [(ex_id, "done", 4)] and pain == [("daily", 4)]
    entry = ex[0][0]
    # The diary lists it with Edit and Delete; the edit page and the confirmation are clean at phone width.
    for path in ("/diary", f"/diary/exercise/{entry}/edit", f"/diary/exercise/{entry}/delete"):
        page.goto(server + path)
        _no_sideways_scroll(page)
        assert _serious(page) == [], path
    page.goto(server + f"/diary/exercise/{entry}/edit")
    page.fill("#f-sets", "-3")
    submit(page, "button:has-text('Save the correction')")
    assert "cannot be negative" in page.inner_text("main") and page.input_value("#f-sets") == "-3"
    assert _rows(db)[0][0][3] == 4  # nothing changed
    # Undo on Today, by keyboard: the entry and its pain score go, the exercise is to do again.
    page.goto(server + "/today")
    page.locator(f"{item} form[data-kind=undo] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{item} form.tapform[data-kind=tap]")
    assert "To do" in page.inner_text(item)
    assert _rows(db) == ([], [])
