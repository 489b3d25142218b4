"""Security properties of the web app, checked over EVERY route the app exposes.

The route lists are built from ``app.routes`` so a route added later is
covered automatically (or makes these tests fail until it is classified).
"""

from __future__ import annotations

import base64
import json
import logging
import re

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import create_engine, text

from kneecoach.web.app import SESSION_COOKIE

from .conftest import PASSWORD, Browser

#: Parameterised routes that are not owner-scoped reads, with how they are protected.
OTHER_PARAM_ROUTES = {"/invites/{link_id}/revoke", "/jobs/{job_id}"}  # jobs: tests/web/test_web_jobs.py
# Video analysis jobs (issue 9): owner-checked by the job runner; covered by
# tests/web/test_web_video.py::test_jobs_are_private.
OTHER_PARAM_ROUTES |= {"/selftests/video/{job_id}", "/selftests/video/{job_id}/{name}.png", "/selftests/video/{job_id}/apply",
                       "/api/v1/selftests/video/{job_id}", "/api/v1/selftests/video/{job_id}/apply"}
# Kept clips (issue 9): deleting is for the owning runner only (repo.delete_video_clip checks the owner);
# covered by tests/web/test_web_video.py::test_a_clip_is_kept_only_when_asked_and_can_be_watched_and_deleted.
OTHER_PARAM_ROUTES |= {"/selftests/clips/{clip_id}/delete", "/api/v1/clips/{clip_id}"}
# Marking a run as a race (issue 21): the owning runner only (run_log.set_race checks the owner);
# covered by tests/web/test_web_review_runlog.py::test_only_the_owner_marks_a_race.
OTHER_PARAM_ROUTES |= {"/api/v1/runs/{run_id}/race"}
# Consent to plan changes (issue 17): only the runner who owns the link; covered by
# tests/web/test_clinician_workspace.py::test_consent_is_only_the_runners_to_give.
OTHER_PARAM_ROUTES |= {"/invites/{link_id}/consent", "/api/v1/account/links/{link_id}/consent"}
# Correcting the diary (issue 16): the owning runner only (store.diary_edit checks the owner: another
# runner's id is 404, a clinician 403); covered by tests/web/test_web_diary_edit.py.
OTHER_PARAM_ROUTES |= {"/diary/exercise/{entry_id}/edit", "/diary/exercise/{entry_id}/delete",
                       "/diary/pain/{entry_id}/edit", "/diary/pain/{entry_id}/delete",
                       "/api/v1/exercise/{entry_id}", "/api/v1/pain/{entry_id}"}
SAFE = {"GET", "HEAD", "OPTIONS"}
#: Other ids in owner routes, filled with a real row of runner A's (made in the ``world`` fixture).
WORLD_IDS: dict[str, int] = {}


def all_routes(app):
    """(path, methods) for every route, flattening FastAPI's included routers."""
    out = []
    for r in app.routes:
        contexts = getattr(r, "effective_route_contexts", None)
        for rc in (contexts() if contexts else [r]):
            path = getattr(rc, "path", None)
            if path and not path.startswith("/static"):
                out.append((path, set(getattr(rc, "methods", None) or set())))
    return out


def fill(path: str, owner_id: int) -> str:
    path = path.replace("{owner_id}", str(owner_id))
    for name, value in WORLD_IDS.items():
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.fixture()
def world(app, make_browser):
    """Runner A with a plan and a run, runner B, clinician C (not linked), clinician D (linked to A)."""
    a, b, c, d = make_browser(), make_browser(), make_browser(), make_browser()
    a_id = a.signup("a@example.org", "Alice")
    a.intake(name="Alice Secret")
    from .conftest import make_gpx

    r = a.c.post("/upload", files={"files": ("a.gpx", make_gpx(), "application/gpx+xml")},
                 headers={"X-CSRF-Token": a.token("/upload")})
    assert r.status_code == 200
    b.signup("b@example.org", "Bob")
    b.intake(name="Bob")
    c.signup("c@example.org", "Cleo", role="clinician")
    d.signup("d@example.org", "Dan", role="clinician")
    a.post("/invites")
    page = a.c.get("/home").text
    code = re.search(r"<code>([^<]+)</code>", page).group(1)
    r = d.post("/invites/accept", {"code": code})
    assert r.status_code == 303
    # A kept squat clip of A's, so owner routes with a {clip_id} are exercised on a real row.
    from kneecoach.store import repo
    from kneecoach.store.db import transaction

    with transaction(app.state.session_factory) as s:
        clip = repo.add_video_clip(s, a_id, side="left", filename="a.mp4", content_type="video/mp4",
                                   data=b"Alice's clip")
        WORLD_IDS["clip_id"] = clip.id
    return {"a": a, "b": b, "c": c, "d": d, "a_id": a_id}


def owner_routes(app):
    return sorted({p for p, m in all_routes(app) if "{owner_id}" in p and m & {"GET"}})


def test_every_parameterised_route_is_classified(app):
    params = {p for p, _ in all_routes(app) if "{" in p}
    unknown = {p for p in params if "{owner_id}" not in p} - OTHER_PARAM_ROUTES
    assert not unknown, f"new parameterised routes need an access-control test: {unknown}"
    # the read routes this file must cover, at least
    assert {"/u/{owner_id}/results", "/u/{owner_id}/plan", "/u/{owner_id}/review",
            "/api/v1/users/{owner_id}/plan"} <= set(owner_routes(app))


def test_other_runner_gets_404_on_every_owner_route(app, world):
    a_id, b = world["a_id"], world["b"]
    for path in owner_routes(app):
        r = b.c.get(fill(path, a_id), follow_redirects=False)
        assert r.status_code == 404, (path, r.status_code)
        assert "Alice Secret" not in r.text


def test_unlinked_clinician_gets_404_on_every_owner_route(app, world):
    for path in owner_routes(app):
        r = world["c"].c.get(fill(path, world["a_id"]), follow_redirects=False)
        assert r.status_code == 404, (path, r.status_code)


def test_linked_clinician_can_read_every_owner_route(app, world):
    for path in owner_routes(app):
        r = world["d"].c.get(fill(path, world["a_id"]), follow_redirects=False)
        assert r.status_code in (200, 303), (path, r.status_code)


def test_anonymous_is_refused_on_every_owner_route(app, world):
    anon = Browser(app)
    for path in owner_routes(app):
        r = anon.c.get(fill(path, world["a_id"]), follow_redirects=False)
        assert r.status_code in (401, 303), (path, r.status_code)
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login")


def test_guessing_ids_beyond_existing_users_gives_404(app, world):
    for path in owner_routes(app):
        for bogus in (0, 9999, -1):
            r = world["b"].c.get(fill(path, bogus), follow_redirects=False)
            assert r.status_code in (404, 422), (path, bogus, r.status_code)


def test_revoking_someone_elses_link_is_404_and_access_ends_on_revoke(world):
    a, b, d = world["a"], world["b"], world["d"]
    link_id = int(re.search(r"/invites/(\d+)/revoke", a.c.get("/home").text).group(1))
    assert b.post(f"/invites/{link_id}/revoke").status_code == 404
    assert d.c.get(f"/u/{world['a_id']}/plan").status_code == 200
    assert a.post(f"/invites/{link_id}/revoke").status_code == 303
    assert d.c.get(f"/u/{world['a_id']}/plan").status_code == 404


def test_invite_code_is_single_use_and_runners_cannot_accept(world):
    a, b, c = world["a"], world["b"], world["c"]
    a.post("/invites")
    codes = re.findall(r"<code>([^<]+)</code>", a.c.get("/home").text)
    fresh = codes[-1]
    r = b.post("/invites/accept", {"code": fresh})
    assert r.status_code == 403  # runner role cannot accept
    used = codes[0]
    r = c.post("/invites/accept", {"code": used})
    assert r.status_code == 400 and "already been used" in r.text
    assert c.c.get(f"/u/{world['a_id']}/results").status_code == 404


def test_clinician_home_lists_only_linked_runners(world):
    page = world["d"].c.get("/home").text
    assert "Alice" in page and "Bob" not in page
    assert "Alice" not in world["c"].c.get("/home").text


def test_runner_only_pages_refuse_clinicians(world):
    for path in ("/intake", "/selftests", "/upload", "/diary"):
        assert world["d"].c.get(path, follow_redirects=False).status_code == 403


def test_every_state_changing_route_refuses_missing_or_wrong_csrf(app, world):
    b = world["b"]
    unsafe = [(p, m) for p, methods in all_routes(app) for m in methods - SAFE]
    assert len(unsafe) >= 10
    for path, method in unsafe:
        url = fill(path, world["a_id"]).replace("{link_id}", "1")
        r = b.c.request(method, url, data={"x": "1"}, follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)
        r = b.c.request(method, url, data={"csrf_token": "forged-token-1234567890"}, follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)
        r = b.c.request(method, url, json={}, headers={"X-CSRF-Token": "nope"}, follow_redirects=False)
        assert r.status_code == 403, (method, path, r.status_code)


def test_csrf_token_of_another_session_is_refused(world):
    a, b = world["a"], world["b"]
    r = b.c.post("/diary/pain", data={"csrf_token": a.token("/diary"), "timing": "daily", "score": "2"},
                 follow_redirects=False)
    assert r.status_code == 403


def test_passwords_are_argon2_hashes(world, db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("select email, password_hash from users")).all()
    engine.dispose()
    assert len(rows) == 4
    for _email, pw in rows:
        assert pw.startswith("$argon2id$")
        assert PASSWORD not in pw


def _cookie(b: Browser) -> str:
    return b.c.cookies.get(SESSION_COOKIE)


def test_tampered_session_cookie_is_rejected(app, world):
    b = world["b"]
    cookie = _cookie(b)
    assert b.c.get("/api/v1/me").status_code == 200
    payload, rest = cookie.split(".", 1)
    data = json.loads(base64.b64decode(payload + "=="))
    data["uid"] = world["a_id"]  # claim to be Alice, keep the old signature
    forged = base64.b64encode(json.dumps(data).encode()).decode() + "." + rest
    attacker = Browser(app)
    attacker.c.cookies.set(SESSION_COOKIE, forged)
    assert attacker.c.get("/api/v1/me").status_code == 401
    assert attacker.c.get(f"/u/{world['a_id']}/plan", follow_redirects=False).status_code == 303
    # flipping one signature character is also rejected
    attacker.c.cookies.set(SESSION_COOKIE, cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])
    assert attacker.c.get("/api/v1/me").status_code == 401


def test_cookie_signed_with_another_key_is_rejected(app, world):
    data = base64.b64encode(json.dumps({"uid": world["a_id"]}).encode())
    forged = TimestampSigner("not-the-server-key").sign(data).decode()
    attacker = Browser(app)
    attacker.c.cookies.set(SESSION_COOKIE, forged)
    assert attacker.c.get("/api/v1/me").status_code == 401


def test_session_cookie_flags(app):
    b = Browser(app)
    r = b.c.get("/login")
    header = r.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "secure" not in header
    from kneecoach.web.app import create_app

    secure_app = create_app(str(app.state.engine.url), secret_key="k" * 40, https_only=True, migrate=False)
    r = Browser(secure_app).c.get("/login")
    assert "secure" in r.headers["set-cookie"].lower()


def test_login_is_throttled_after_repeated_failures(app, world):
    attacker = Browser(app)
    codes = []
    for _ in range(12):
        r = attacker.post("/login", {"email": "a@example.org", "password": "wrong password!"})
        codes.append(r.status_code)
    assert codes[0] == 400 and codes[-1] == 429
    # even the right password is refused while throttled
    r = attacker.post("/login", {"email": "a@example.org", "password": PASSWORD})
    assert r.status_code == 429


def test_login_error_does_not_reveal_whether_the_account_exists(app, world):
    x = Browser(app)
    known = x.post("/login", {"email": "a@example.org", "password": "wrong password!"}).text
    unknown = x.post("/login", {"email": "nobody@example.org", "password": "wrong password!"}).text
    msg = "E-mail or password is wrong."
    assert msg in known and msg in unknown


def test_open_redirect_after_login_is_refused(app, world):
    x = Browser(app)
    r = x.post("/login", {"email": "b@example.org", "password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/home"


def test_nothing_sensitive_is_logged(app, caplog):
    caplog.set_level(logging.DEBUG)
    x = Browser(app)
    x.signup("log@example.org", "Logan")
    x.post("/login", {"email": "log@example.org", "password": "not the password"})
    x.intake(name="Very Private Name")
    x.post("/diary/pain", {"timing": "daily", "score": "7", "pain_note": "secret-pain-note"})
    text_logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASSWORD, "not the password", "Very Private Name", "secret-pain-note", "log@example.org"):
        assert secret not in text_logged


def test_security_headers_on_pages(app):
    r = Browser(app).c.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_user_supplied_text_is_escaped(app):
    x = Browser(app)
    x.signup("xss@example.org", "<script>alert(1)</script>")
    page = x.c.get("/home").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
