"""End-to-end in headless Chromium: sign up, intake (with Kujala), self-tests, plan, upload, chart.

Uses the Debian ``/usr/bin/chromium`` through Playwright (never ``playwright
install``); skipped with a reason when it is absent. With
``KNEECOACH_SCREENSHOTS=1`` the main pages are saved to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from kneecoach.web import kb
from kneecoach.web.app import create_app

from .conftest import PASSWORD, make_gpx

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"headless Chromium not installed at {CHROMIUM}"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    import uvicorn

    app = create_app(f"sqlite:///{tmp_path / 'browser.db'}", secret_key="browser-test-key-" + "y" * 32)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(30_000)  # generous: CI shares two cores with Chromium
        yield pg
        context.close()
        browser.close()


def _full_shot(tab, name: str, max_height: int = 3200) -> None:
    """Whole page, cut at ``max_height`` px so the long plan page stays a reasonable PNG."""
    height = min(tab.evaluate("document.documentElement.scrollHeight"), max_height)
    width = tab.viewport_size["width"] if tab.viewport_size else 1200
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True,
                   clip={"x": 0, "y": 0, "width": width, "height": height})


def shot(page, name: str, full: bool = True) -> None:
    """Save a screenshot when KNEECOACH_SCREENSHOTS=1.

    Full-page shots are taken in a fresh tab at the same URL: a full-page
    capture resizes headless Chromium's viewport, after which clicks in that
    tab can miss. Form pages are re-opened pre-filled from the stored profile.
    """
    if os.environ.get("KNEECOACH_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    if not full:
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        return
    tab = page.context.new_page()
    try:
        if page.viewport_size:
            tab.set_viewport_size(page.viewport_size)
        tab.goto(page.url)
        _full_shot(tab, name)
    finally:
        tab.close()


def assert_at(page, pattern: str) -> None:
    """The page is at ``pattern`` (exact URL or a ``**/suffix`` glob) after a completed navigation."""
    if pattern.startswith("**/"):
        ok = page.url.split("?")[0].endswith(pattern[2:])
    else:
        ok = page.url == pattern
    assert ok, f"at {page.url}, expected {pattern}; page says: {page.inner_text('main')[:600]}"


def sign_up_then_in(page, server: str) -> None:
    """Submit the filled sign-up form, then sign in (sign-up never signs in: it answers alike for known e-mails)."""
    email = page.input_value("#f-email")
    submit(page, "button:has-text('Sign up')")
    assert_at(page, server + "/login")
    assert "your account is ready" in page.inner_text("main")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    submit(page, "main button:has-text('Log in')")
    assert_at(page, server + "/home")


def new_account(page, server: str, email: str, name: str) -> None:
    """Sign up as a runner with ``email`` and ``name``, then sign in (lands on /home)."""
    page.goto(server + "/signup")
    page.fill("#f-email", email)
    page.fill("#f-display_name", name)
    page.fill("#f-password", PASSWORD)
    sign_up_then_in(page, server)


def submit(page, selector: str) -> None:
    """Click a submit button or link and wait for the resulting page load (no racing the next step)."""
    with page.expect_navigation():
        page.click(selector)


def test_runner_journey_in_chromium(server, page, tmp_path):
    page.goto(server + "/")
    shot(page, "01-welcome", full=False)
    submit(page, "text=Create an account")
    page.fill("#f-email", "browser@example.org")
    page.fill("#f-display_name", "Robin Runner")
    page.fill("#f-password", PASSWORD)
    sign_up_then_in(page, server)
    assert "Hello, Robin Runner" in page.content()

    submit(page, "nav >> text=Intake")
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.check("input[name='symptoms.aggravators'][value='stairs_down']")
    page.select_option("#f-symptoms\\.pain_during_run", "4")
    page.fill("#f-running\\.current_weekly_km", "18")
    page.fill("#f-running\\.target_weekly_km", "40")
    page.fill("#f-running\\.runs_per_week", "3")
    items = kb.kujala_items()
    for item in items:
        page.check(f"input[name='kujala.{item.id}'][value='{item.options[1].id}']")
    submit(page, "button:has-text('Save and continue')")
    assert_at(page, server + "/selftests")

    page.check("input[name='self_tests.single_leg_squat.left.knee_falls_inward'][value='true']")
    page.check("input[name='self_tests.single_leg_squat.right.knee_falls_inward'][value='false']")
    page.fill("#f-self_tests\\.plank_hold_s", "25")
    page.fill("#f-self_tests\\.single_leg_sit_to_stand_reps\\.left", "9")
    page.fill("#f-self_tests\\.single_leg_sit_to_stand_reps\\.right", "15")
    page.select_option("#f-self_tests\\.flexibility\\.hip_flexors\\.left", "tight")
    submit(page, "button:has-text('Save and see results')")
    assert_at(page, "**/results")
    if os.environ.get("KNEECOACH_SCREENSHOTS") == "1":
        for path, name in (("/intake", "02-intake"), ("/selftests", "03-selftests")):
            tab = page.context.new_page()
            tab.goto(server + path)
            _full_shot(tab, name)
            tab.close()
    body = page.inner_text("main")
    assert "Education, not a diagnosis" in body
    assert "/100" in body  # Kujala score shown
    assert page.locator(".hypothesis").count() >= 1
    shot(page, "04-results")

    submit(page, "nav >> text=Plan")
    assert_at(page, "**/plan")
    assert page.locator(".week").count() >= 4
    assert page.locator(".run").count() >= 8
    assert_every_exercise_has_a_figure(page)
    shot(page, "05-plan")
    shot_section(page, "h2:has-text('Phases and exercises')", "05-plan-exercises", 2000)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_every_exercise_has_a_figure(page)
    shot(page, "05-plan-phone")
    shot_section(page, "h2:has-text('Phases and exercises')", "05-plan-exercises-phone", 2400)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.emulate_media(reduced_motion="reduce")   # figures stand still: start ghosted behind the end
    still = page.locator("article.exercise figure.exfig svg").first
    assert still.locator("g.still").is_visible()
    assert still.locator("g.f1").evaluate("el => getComputedStyle(el).display") == "none"
    page.emulate_media(reduced_motion="no-preference")

    submit(page, "nav >> text=Upload")
    gpx = tmp_path / "morning.gpx"
    gpx.write_bytes(make_gpx("2026-11-02T07:00:00", 6.0, 36))
    page.set_input_files("#files", str(gpx))
    page.click("#upload-form button")
    page.wait_for_selector(".file-results li.ok")
    assert "1 run added" in page.inner_text("#results")
    assert page.is_visible("#progress")
    shot(page, "06-upload", full=False)

    submit(page, "nav >> text=Diary")
    page.check("input[name='timing'][value='during']")
    page.click("fieldset.scale label:has-text('3')")
    page.fill("#f-pain_day", "2026-11-02")
    submit(page, "button:has-text('Save pain')")
    page.wait_for_selector("text=Pain entry saved.")
    shot(page, "07-diary", full=False)
    # a treadmill run typed in by hand (issue 21)
    page.fill("#f-run_day", "2026-11-03")
    page.fill("#f-distance", "5")
    page.fill("#f-minutes", "31")
    submit(page, "button:has-text('Save run')")
    page.wait_for_selector("text=Run saved (entered by hand).")

    submit(page, "nav >> text=Review")
    page.wait_for_selector("svg.chart rect.bar")
    assert page.locator("svg.chart rect.bar").count() >= 1
    assert re.search(r"(Next|This) week \(week 1", page.inner_text(".decision"))  # "This" on a Monday
    assert "plan" in page.inner_text("#reviewed-week").lower()
    assert page.is_visible("text=See a clinician if")
    shot(page, "08-review")


def shot_section(page, selector: str, name: str, height: int) -> None:
    """Save ``height`` px of the page from ``selector`` down (KNEECOACH_SCREENSHOTS=1), at the current width."""
    if os.environ.get("KNEECOACH_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    top = page.locator(selector).first.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
    total = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else 1200
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": top - 10, "width": width, "height": min(height, total - top + 10)})


def assert_every_exercise_has_a_figure(page) -> None:
    """Each exercise card shows a drawn, animated figure with a text alternative (folded phases opened)."""
    page.eval_on_selector_all("details.more", "els => els.forEach(d => { d.open = true; })")
    cards = page.locator("article.exercise")
    assert cards.count() >= 4
    for i in range(cards.count()):
        card = cards.nth(i)
        svg = card.locator("figure.exfig svg")
        assert svg.count() == 1, card.inner_text()
        box = svg.bounding_box()
        assert box and box["width"] >= 150 and box["height"] >= 80, (card.inner_text(), box)
        assert svg.locator("title").text_content() == card.locator("h4").inner_text()
        # the served stylesheet animates the frames (inline styles are blocked by the CSP)
        animation = svg.locator("g.f1").evaluate("el => getComputedStyle(el).animationName")
        assert animation not in ("", "none"), animation


def test_mobile_layout_has_no_horizontal_scroll(server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    new_account(page, server, "phone@example.org", "Pat")
    page.goto(server + "/intake")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    shot(page, "09-intake-mobile", full=False)


def test_diary_with_hand_run_form_fits_a_phone(server, page):
    """The diary, with the hand-run and day-mark forms, fits a 390 px screen (issue 21)."""
    page.set_viewport_size({"width": 390, "height": 844})
    new_account(page, server, "phone-diary@example.org", "Robin")
    page.goto(server + "/diary")
    assert page.is_visible("#f-distance") and page.is_visible("#f-minutes")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    shot_section(page, "form[action='/diary/run']", "21-diary-mobile", 900)


def test_clinician_sees_invited_runner_read_only(server, page):
    new_account(page, server, "inviter@example.org", "Ivy Runner")
    page.goto(server + "/intake")
    page.check("input[name='symptoms.sides'][value='right']")
    page.check("input[name='symptoms.locations'][value='below_kneecap']")
    page.fill("#f-running\\.current_weekly_km", "25")
    page.fill("#f-running\\.target_weekly_km", "35")
    submit(page, "button:has-text('Save and continue')")
    assert_at(page, "**/selftests")
    page.goto(server + "/home")
    submit(page, "button:has-text('Create an invite code')")
    code = page.inner_text("table.simple code").strip()
    shot(page, "10-runner-home")

    clinician = page.context.browser.new_context(viewport={"width": 1200, "height": 900})
    cp = clinician.new_page()
    cp.goto(server + "/signup")
    cp.fill("#f-email", "coach@example.org")
    cp.fill("#f-display_name", "Coach Kim")
    cp.fill("#f-password", PASSWORD)
    cp.check("input[name='role'][value='clinician']")
    sign_up_then_in(cp, server)
    assert "No runners yet" in cp.inner_text("main")
    cp.fill("#f-code", code)
    submit(cp, "button:has-text('Add runner')")
    cp.wait_for_selector("text=Ivy Runner")
    shot(cp, "11-clinician-dashboard", full=False)
    submit(cp, "table.simple a:has-text('Plan')")
    assert_at(cp, "**/plan")
    assert "read-only" in cp.inner_text(".viewing")
    assert cp.locator("nav >> text=Intake").count() == 0
    clinician.close()


def test_account_password_change_and_erasure_in_chromium(server, page):
    new_account(page, server, "acct@example.org", "Ari")
    submit(page, "nav >> text=Account")
    assert_at(page, server + "/account")
    page.fill("#f-current_password", PASSWORD)
    page.fill("#f-new_password", "a new long passphrase")
    page.fill("#f-confirm_password", "a new long passphrase")
    submit(page, "button:has-text('Change password')")
    page.wait_for_selector("text=Password changed.")
    shot(page, "13-account")
    page.fill("#f-confirm", "erase")
    page.fill("#f-password", "a new long passphrase")
    submit(page, "button:has-text('Delete my account and data')")
    assert_at(page, server + "/")
    assert "deleted" in page.inner_text("main")
    page.goto(server + "/login")
    page.fill("#f-email", "acct@example.org")
    page.fill("#f-password", "a new long passphrase")
    submit(page, "main button:has-text('Log in')")
    assert "E-mail or password is wrong." in page.inner_text("main")


def test_acl_pathway_holds_running_with_criteria_shown(server, page):
    """A runner after ACL reconstruction: the injury makes the Ottawa questions appear, the plan holds
    running at 0 km and lists each return-to-run criterion with its status and how to re-test it."""
    new_account(page, server, "acl@example.org", "Jordan ACL")
    page.goto(server + "/intake")
    assert page.locator("input[name='red_flags.cannot_bend_90_after_trauma']").count() == 0
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.fill("#f-age", "24")
    page.check("input[name='symptoms.sides'][value='right']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.check("input[name='symptoms.onset'][value='sudden']")
    page.fill("#f-history\\.surgery\\.kind", "ACL reconstruction")
    page.fill("#f-history\\.surgery\\.weeks_ago", "10")
    page.check("input[name='history.acl_reconstruction'][value='true']")
    page.check("input[name='history.full_extension'][value='false']")
    page.fill("#f-running\\.current_weekly_km", "0")
    page.fill("#f-running\\.target_weekly_km", "30")
    submit(page, "button:has-text('Save and continue')")
    # a sudden start makes the Ottawa knee-rule questions relevant: asked before anything is saved
    assert "more warning-sign questions" in page.inner_text("main")
    for name in ("cannot_bear_weight_after_trauma", "cannot_bend_90_after_trauma", "bony_tenderness_after_trauma"):
        page.check(f"input[name='red_flags.{name}'][value='false']")
    submit(page, "button:has-text('Save and continue')")
    assert_at(page, "**/selftests")
    page.goto(page.url.replace("/selftests", "/home"))
    submit(page, "nav >> text=Plan")
    text = page.inner_text("main")
    assert "Pathway: After an ACL reconstruction" in text
    assert "Return-to-run criteria" in text
    assert "At least 12 weeks since the operation" in text and "not met yet" in text
    rows = page.locator("table.ramp tbody tr")
    assert rows.count() == 1 and float(rows.first.inner_text().split()[1]) == 0
    shot(page, "12-plan-acl-criteria")


def test_bone_stress_answers_hold_running_and_refer(server, page):
    """Issue 15: the triage questions sit with the knee-pain questions; a bone stress pattern refers
    (urgent) and the plan holds running at 0 km, saying why, in a visible box."""
    new_account(page, server, "bsi@example.org", "Alex Marathon")
    page.goto(server + "/intake")
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='below_kneecap']")
    page.check("input[name='symptoms.aggravators'][value='walking']")
    page.check("input[name='red_flags.bsi_fast_load_rise'][value='true']")
    page.check("input[name='red_flags.bsi_pain_on_hopping'][value='true']")
    page.fill("#f-running\\.current_weekly_km", "70")
    page.fill("#f-running\\.target_weekly_km", "70")
    submit(page, "button:has-text('Save and continue')")
    assert_at(page, "**/selftests")
    page.goto(page.url.replace("/selftests", "/home"))
    submit(page, "nav >> text=Plan")
    box = page.locator("section.examine-first")
    assert box.is_visible() and "within days" in box.inner_text()
    assert page.locator("section.running-hold").is_visible()
    rows = page.locator("table.ramp tbody tr")
    assert rows.count() == 1 and float(rows.first.inner_text().split()[1]) == 0
    shot(page, "17-plan-bone-stress-hold")


def test_retest_page_and_trend_chart(server, page):
    """Intake with a Kujala score, then the Re-test page in the browser; the progress page draws the
    trend chart with both measurements and reads the change against the minimal important change."""
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the chart must stay readable
    new_account(page, server, "retest@example.org", "Riley Retest")
    page.goto(server + "/intake")
    page.eval_on_selector_all("details.fold", "els => els.forEach(d => { d.open = true; })")  # folded on a phone
    for flag in kb.red_flags_for(None):
        page.check(f"input[name='red_flags.{flag.id}'][value='false']")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.fill("#f-running\\.current_weekly_km", "20")
    page.fill("#f-running\\.target_weekly_km", "30")
    for item in kb.kujala_items():
        page.check(f"input[name='kujala.{item.id}'][value='{item.options[-1].id if item.id == 'running' else 'b'}']")
    submit(page, "button:has-text('Save and continue')")
    page.click("nav details.more summary")  # on a phone the less-used pages sit under "More"
    submit(page, "nav .more-links >> text=Re-test")
    assert "Re-test" in page.inner_text("h1")
    for item in kb.kujala_items():
        page.check(f"input[name='kujala.{item.id}'][value='a']")
    page.fill("#f-self_tests\\.plank_hold_s", "55")
    page.fill("#f-self_tests\\.single_leg_sit_to_stand_reps\\.left", "12")
    page.fill("#f-self_tests\\.single_leg_sit_to_stand_reps\\.right", "11")
    shot(page, "14-retest")
    submit(page, "button:has-text('Save the re-test')")
    assert_at(page, "**/progress")
    page.wait_for_selector("svg.chart.trends circle.kujala")
    assert page.locator("svg.chart.trends circle.kujala").count() == 2
    assert page.locator("svg.chart.trends").bounding_box()["width"] <= 390
    text = page.inner_text("main")
    assert "a change you would notice (better)" in text and "Phases: where you are" in text
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    shot(page, "15-progress-phone")
