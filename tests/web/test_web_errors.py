"""Every error is a page (issue 23): one HTML page for a browser, JSON for the API, for every status.

Covers Starlette's own 404/405 (a URL no route matches), the app's 403/404/422,
an unhandled exception (500), and the case that used to answer 500: a signed-in
user opening someone else's id (``DetachedInstanceError`` while rendering the
navigation of the 404 page).
"""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter

from kneecoach.web.deps import Viewer

from .conftest import Browser

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"accept": "application/json"}


def _without_request_id(html: str) -> str:
    return re.sub(r"[0-9a-f]{32}", "RID", re.sub(r'name="csrf_token" value="[^"]+"', "", html))


def _assert_error_page(r, status: int, signed_in: bool) -> str:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="en">' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and str(status) in title.group(1) and title.group(1).strip() != ""
    assert re.search(r"<h1>[^<]+</h1>", html)
    rid = r.headers["x-request-id"]
    assert rid in html, "the page names the request id to quote"
    assert ('href="/home">Back to your home page' in html) is signed_in
    assert ('>Log out</button>' in html) is signed_in, "the signed-in navigation is shown"
    assert "education, not a diagnosis" in html.lower()
    return html


def test_someone_elses_id_is_a_404_page_like_a_missing_id(browser: Browser, make_browser) -> None:
    other = make_browser()
    other_id = other.signup("other@example.org", "Other")
    browser.signup("me@example.org", "Me")
    missing_id = other_id + 1000
    pages = []
    for page in ("results", "plan", "review", "progress"):
        foreign = browser.c.get(f"/u/{other_id}/{page}", headers=HTML)
        missing = browser.c.get(f"/u/{missing_id}/{page}", headers=HTML)
        _assert_error_page(foreign, 404, signed_in=True)
        _assert_error_page(missing, 404, signed_in=True)
        assert _without_request_id(foreign.text) == _without_request_id(missing.text)
        pages.append(foreign)
    # the connection stays usable (the 500 used to reset kept-alive connections)
    assert browser.c.get("/home", headers=HTML).status_code == 200
    # the API answers the same JSON for both
    a = browser.c.get(f"/u/{other_id}/results", headers=JSON)
    b = browser.c.get(f"/u/{missing_id}/results", headers=JSON)
    assert a.status_code == b.status_code == 404
    assert {k: v for k, v in a.json().items() if k != "request_id"} == \
        {k: v for k, v in b.json().items() if k != "request_id"} == {"detail": "Not found.", "status": 404}


def test_clinician_opening_a_runner_who_did_not_invite_them(make_browser) -> None:
    runner, coach = make_browser(), make_browser()
    runner_id = runner.signup("r@example.org", "R")
    coach.signup("c@example.org", "C", role="clinician")
    html = _assert_error_page(coach.c.get(f"/u/{runner_id}/plan", headers=HTML), 404, signed_in=True)
    assert "Page not found" in html


def test_unknown_url_and_wrong_method_get_the_page_not_raw_json(browser: Browser) -> None:
    html = _assert_error_page(browser.c.get("/no/such/page", headers=HTML), 404, signed_in=False)
    assert 'href="/login"' in html
    _assert_error_page(browser.c.put("/login", headers=HTML), 405, signed_in=False)
    browser.signup("nav@example.org", "Nav")
    # no route ran, yet the signed-in navigation is there (looked up from the session cookie)
    _assert_error_page(browser.c.get("/no/such/page", headers=HTML), 404, signed_in=True)


def test_api_and_json_clients_get_json_errors(browser: Browser) -> None:
    r = browser.c.get("/api/v1/no-such-thing", headers=HTML)
    assert r.status_code == 404 and r.json()["detail"] == "Not Found"
    assert r.json()["request_id"] == r.headers["x-request-id"]
    r = browser.c.get("/no/such/page", headers=JSON)
    assert r.status_code == 404 and r.json()["status"] == 404
    r = browser.c.put("/home", headers=JSON)
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed", "status": 405,
                                                 "request_id": r.headers["x-request-id"]}


def test_forbidden_and_invalid_requests_are_pages(browser: Browser) -> None:
    uid = browser.signup("forms@example.org", "F")
    r = browser.c.post("/intake", data={"age": "40"}, headers=HTML, follow_redirects=False)  # no CSRF token
    html = _assert_error_page(r, 403, signed_in=True)
    assert "CSRF" in html
    r = browser.c.get("/invites/accept", headers=HTML)  # clinicians only, and POST only
    assert r.status_code == 405
    r = browser.c.get(f"/u/{uid}/plan?start=2026-01-07", headers=HTML)  # not a Monday
    html = _assert_error_page(r, 422, signed_in=True)
    assert "Monday" in html
    r = browser.c.get("/u/not-a-number/plan", headers=HTML)
    _assert_error_page(r, 422, signed_in=True)


def test_an_unhandled_error_is_a_500_page_with_the_request_id(app, make_browser, caplog) -> None:
    from fastapi.testclient import TestClient

    boom = APIRouter()

    @boom.get("/boom-for-test")
    def _boom() -> None:
        raise RuntimeError("secret detail that must not reach the page")

    app.include_router(boom)
    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/boom-for-test", headers={**HTML, "x-request-id": "req-12345678"})
    assert r.status_code == 500 and "secret detail" not in r.text
    assert "req-12345678" in r.text and '<html lang="en">' in r.text
    r = client.get("/boom-for-test", headers=JSON)
    assert r.status_code == 500 and r.json()["status"] == 500 and "secret" not in r.text


def test_viewer_snapshot_survives_a_closed_session(app, browser: Browser) -> None:
    """The cause of the 500: the template read an expired ORM row after the session closed."""
    from kneecoach.store.models import User

    uid = browser.signup("snap@example.org", "Snap")
    factory = app.state.session_factory
    with factory() as db:
        user = db.get(User, uid)
        viewer = Viewer.of(user)
        db.rollback()  # what an exception in a dependency does
    assert (viewer.id, viewer.role, viewer.display_name) == (uid, "runner", "Snap")
    with pytest.raises(Exception):
        _ = user.role  # the ORM row itself is no longer readable
