"""The clinician's workspace in headless Chromium (issue 17): caseload, a plan change the runner
sees, a note in both directions. ``KNEECOACH_SCREENSHOTS=1`` saves docs/screenshots/17-... to 22-...
"""

from __future__ import annotations

from .conftest import PASSWORD
from .test_web_browser import (  # noqa: F401  (fixtures)
    assert_at,
    new_account,
    page,
    pytestmark,
    server,
    shot,
    sign_up_then_in,
    submit,
)


def test_caseload_plan_change_and_notes_in_chromium(server, page):  # noqa: F811
    new_account(page, server, "rae@example.org", "Rae Runner")
    page.goto(server + "/intake")
    page.check("input[name='symptoms.sides'][value='left']")
    page.check("input[name='symptoms.locations'][value='around_kneecap']")
    page.fill("#f-running\\.current_weekly_km", "30")
    page.fill("#f-running\\.target_weekly_km", "40")
    submit(page, "button:has-text('Save and continue')")
    page.goto(server + "/diary")
    page.goto(server + "/home")
    submit(page, "button:has-text('Create an invite code')")
    code = page.inner_text("table.simple code").strip()

    ctx = page.context.browser.new_context(viewport={"width": 1200, "height": 900})
    cp = ctx.new_page()
    cp.set_default_timeout(30_000)
    cp.goto(server + "/signup")
    cp.fill("#f-email", "physio@example.org")
    cp.fill("#f-display_name", "Physio Pat")
    cp.fill("#f-password", PASSWORD)
    cp.check("input[name='role'][value='clinician']")
    sign_up_then_in(cp, server)
    cp.fill("#f-code", code)
    submit(cp, "button:has-text('Add runner')")

    # the runner allows changes and writes a note: the caseload shows an unread note as a reason
    page.goto(server + "/home")
    submit(page, "button:has-text('Allow changes')")
    assert "may now change your plan" in page.inner_text("main")
    submit(page, "table.invites a:has-text('Notes')")
    page.fill("#f-body", "My knee ached after Sunday's long run.")
    submit(page, "form button:has-text('Send')")
    cp.goto(server + "/home")
    row = cp.inner_text("table.caseload tbody tr")
    assert "Rae Runner" in row and "1 unread note(s) from the runner" in row
    shot(cp, "17-caseload", full=False)

    # a plan change with a reason
    submit(cp, "table.caseload a:has-text('Plan')")
    cp.goto(cp.url.replace("/plan", "/plan/change"))
    cp.fill("input[name='km']", "20")
    cp.locator("form:has(input[name='km']) input[name='reason']").fill("ache after long runs: hold volume")
    submit(cp, "button:has-text('Cap weekly distance')")
    assert "Saved as plan version" in cp.inner_text("main")
    assert "Weekly distance capped at 20 km" in cp.inner_text("main")
    shot(cp, "18-plan-change")

    # the runner sees what changed, by whom and why
    page.goto(server + "/home")
    submit(page, "a:has-text('Plan')")
    changes = page.inner_text("section.clinician-changes")
    assert "Weekly distance capped at 20 km" in changes and "Physio Pat" in changes
    assert "hold volume" in changes
    shot(page, "19-plan-change-seen-by-runner", full=False)
    page.locator("section.clinician-changes").scroll_into_view_if_needed()

    # a note back from the clinician, seen by the runner with an unread badge, and a reply
    cp.goto(cp.url.replace("/plan/change", "/notes"))
    assert "Sunday's long run" in cp.inner_text("main")
    cp.fill(".reply-form textarea", "Thanks: I capped your week at 20 km.")
    submit(cp, ".reply-form button:has-text('Reply')")
    page.goto(server + "/home")
    assert "1 new" in page.inner_text("table.invites")
    submit(page, "table.invites a:has-text('Notes')")
    text = page.inner_text("main")
    assert "I capped your week at 20 km" in text and "Physio Pat" in text
    shot(page, "20-notes-runner")
    cp.goto(server + "/home")
    assert "unread note" not in cp.inner_text("table.caseload")
    submit(cp, "table.caseload a:has-text('Rae Runner')")
    assert "Plan version 2" in cp.inner_text("main")
    shot(cp, "21-timeline")
    page.goto(server + "/account/access")
    assert "Physio Pat" in page.inner_text("main")
    shot(page, "22-access-log", full=False)
    ctx.close()
