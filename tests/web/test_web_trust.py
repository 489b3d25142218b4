"""What a clinic needs to trust the server: revocable sessions, shared throttles, data rights, FHIR, ops."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from kneecoach.store.models import AuthAttempt, Base, CareLink, User, UserSession
from kneecoach.web.app import SESSION_COOKIE
from kneecoach.web.throttle import LOGIN_ACCOUNT, LOGIN_ACCOUNT_ADDRESS, DbThrottle, Rule, key_for

from .conftest import PASSWORD, Browser
from .test_web_security import world  # noqa: F401  (fixture: runners a, b; clinicians c, d; d linked to a)

NEW_PASSWORD = "a brand new passphrase"


def _count(app, model, **where) -> int:
    with app.state.session_factory() as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.scalar(stmt)


# --------------------------------------------------------------------------- sessions


def test_replayed_cookie_after_logout_is_refused(app, make_browser):
    b = make_browser()
    b.signup("r@example.org")
    stolen = b.c.cookies.get(SESSION_COOKIE)
    assert b.c.get("/api/v1/me").status_code == 200
    assert b.post("/logout").status_code == 303
    thief = Browser(app)
    thief.c.cookies.set(SESSION_COOKIE, stolen)
    assert thief.c.get("/api/v1/me").status_code == 401
    assert thief.c.get("/home", follow_redirects=False).status_code == 303


def test_api_logout_revokes_the_session_server_side(app, make_browser):
    b = make_browser()
    b.signup("r@example.org")
    stolen = b.c.cookies.get(SESSION_COOKIE)
    token = b.c.get("/api/v1/csrf").json()["csrf_token"]
    assert b.c.post("/api/v1/logout", headers={"X-CSRF-Token": token}).status_code == 204
    thief = Browser(app)
    thief.c.cookies.set(SESSION_COOKIE, stolen)
    assert thief.c.get("/api/v1/me").status_code == 401


def test_password_change_ends_other_sessions_and_keeps_this_one(app, make_browser):
    laptop, phone = make_browser(), make_browser()
    uid = laptop.signup("r@example.org")
    assert phone.post("/login", {"email": "r@example.org", "password": PASSWORD}).status_code == 303
    r = laptop.post("/account/password", {"current_password": "wrong", "new_password": "short",
                                          "confirm_password": "other"})
    assert r.status_code == 400
    for field in ("current_password", "new_password", "confirm_password"):
        assert f'id="err-{field}"' in r.text
    assert phone.c.get("/api/v1/me").status_code == 200  # a failed change ends nothing
    r = laptop.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                          "confirm_password": NEW_PASSWORD})
    assert r.status_code == 303
    assert laptop.c.get("/api/v1/me").json()["id"] == uid
    assert phone.c.get("/api/v1/me").status_code == 401
    assert _count(app, UserSession, user_id=uid) == 1
    fresh = make_browser()
    assert fresh.post("/login", {"email": "r@example.org", "password": PASSWORD}).status_code == 400
    assert fresh.post("/login", {"email": "r@example.org", "password": NEW_PASSWORD}).status_code == 303


def test_log_out_everywhere(app, make_browser):
    a, b = make_browser(), make_browser()
    uid = a.signup("r@example.org")
    b.post("/login", {"email": "r@example.org", "password": PASSWORD})
    assert _count(app, UserSession, user_id=uid) == 2
    r = a.post("/account/logout-everywhere")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert a.c.get("/api/v1/me").status_code == 401 and b.c.get("/api/v1/me").status_code == 401
    assert _count(app, UserSession, user_id=uid) == 0


def test_api_password_change_refusals_have_clear_codes(app, make_browser):
    b = make_browser()
    b.signup("r@example.org")
    tok = b.c.get("/api/v1/csrf").json()["csrf_token"]
    r = b.c.post("/api/v1/account/password", json={"current_password": "nope", "new_password": NEW_PASSWORD},
                 headers={"X-CSRF-Token": tok})
    assert r.status_code == 403 and "current_password" in r.json()["detail"]
    r = b.c.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": "short"},
                 headers={"X-CSRF-Token": tok})
    assert r.status_code == 422 and "new_password" in r.json()["detail"]
    r = b.c.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                 headers={"X-CSRF-Token": tok})
    assert r.status_code == 204


def test_expired_session_is_refused(app, make_browser):
    b = make_browser()
    uid = b.signup("r@example.org")
    with app.state.session_factory.begin() as s:
        for row in s.scalars(select(UserSession).where(UserSession.user_id == uid)):
            row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert b.c.get("/api/v1/me").status_code == 401


# --------------------------------------------------------------------------- throttles


def test_attacker_address_cannot_lock_out_the_owner(app, world):  # noqa: F811
    attacker = Browser(app, address="203.0.113.9")
    codes = [attacker.post("/login", {"email": "a@example.org", "password": "wrong password!"}).status_code
             for _ in range(LOGIN_ACCOUNT_ADDRESS.limit + 1)]
    assert codes[:LOGIN_ACCOUNT_ADDRESS.limit] == [400] * LOGIN_ACCOUNT_ADDRESS.limit
    assert codes[-1] == 429
    r = attacker.post("/login", {"email": "a@example.org", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Try again in" in r.text
    owner = Browser(app, address="198.51.100.7")
    assert owner.post("/login", {"email": "a@example.org", "password": PASSWORD}).status_code == 303


def test_api_login_throttle_answers_429_with_retry_after(app, world):  # noqa: F811
    x = Browser(app, address="203.0.113.10")
    tok = x.c.get("/api/v1/csrf").json()["csrf_token"]
    for _ in range(LOGIN_ACCOUNT_ADDRESS.limit):
        r = x.c.post("/api/v1/login", json={"email": "b@example.org", "password": "wrong"},
                     headers={"X-CSRF-Token": tok})
        assert r.status_code == 401
    r = x.c.post("/api/v1/login", json={"email": "b@example.org", "password": PASSWORD},
                 headers={"X-CSRF-Token": tok})
    assert r.status_code == 429 and r.headers["Retry-After"].isdigit()
    assert r.json()["detail"].startswith("Too many attempts")


def test_throttle_is_shared_by_apps_on_one_database(db_url):
    """Two app instances (as two workers) count into the same table."""
    from kneecoach.web.app import create_app

    one = create_app(db_url, secret_key="s" * 40)
    two = create_app(db_url, secret_key="s" * 40, migrate=False)
    Browser(one).signup("shared@example.org")
    b1, b2 = Browser(one, address="192.0.2.1"), Browser(two, address="192.0.2.1")
    for i in range(LOGIN_ACCOUNT_ADDRESS.limit):
        who = b1 if i % 2 else b2
        assert who.post("/login", {"email": "shared@example.org", "password": "bad guess!"}).status_code == 400
    assert b1.post("/login", {"email": "shared@example.org", "password": PASSWORD}).status_code == 429
    assert b2.post("/login", {"email": "shared@example.org", "password": PASSWORD}).status_code == 429


def test_per_account_backoff_slows_but_does_not_lock(app):
    now = [datetime(2026, 11, 24, 12, tzinfo=timezone.utc)]
    t = DbThrottle(app.state.session_factory, clock=lambda: now[0])
    rule = Rule("t-acct", limit=3, window_s=3600, backoff_s=2, max_backoff_s=8)
    key = key_for(rule.scope, "someone@example.org")
    for _ in range(3):
        assert t.retry_after([(rule, key)]) == 0
        t.record(key)
    assert t.retry_after([(rule, key)]) == 2  # first step
    now[0] += timedelta(seconds=2)
    assert t.retry_after([(rule, key)]) == 0  # the owner gets a try after the short wait
    t.record(key)
    assert t.retry_after([(rule, key)]) == 4  # doubling
    for _ in range(10):
        t.record(key)
    assert t.retry_after([(rule, key)]) == 8  # capped
    hard = Rule("t-hard", limit=2, window_s=60)
    hk = key_for(hard.scope, "x")
    t.record(hk)
    t.record(hk)
    assert t.retry_after([(hard, hk)]) == 60
    now[0] += timedelta(seconds=61)
    assert t.retry_after([(hard, hk)]) == 0


def test_concurrent_attempts_cannot_race_past_the_limit(app):
    """Counted before judged: a burst of simultaneous attempts gets at most ``limit`` through."""
    from concurrent.futures import ThreadPoolExecutor

    t = DbThrottle(app.state.session_factory)
    rule = Rule("t-burst", limit=4, window_s=600)
    checks = [(rule, key_for(rule.scope, "burst"))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _i: t.acquire(checks), range(24)))
    allowed = [ids for wait, ids in results if wait == 0]
    assert 1 <= len(allowed) <= rule.limit
    assert all(wait > 0 and ids == [] for wait, ids in results if wait)
    t.release(allowed[0])  # a released attempt (e.g. a correct password) stops counting
    assert t.retry_after(checks) == 0


def test_throttle_stores_no_email_or_address(app, world):  # noqa: F811
    Browser(app, address="203.0.113.77").post("/login", {"email": "a@example.org", "password": "nope nope"})
    with app.state.session_factory() as s:
        keys = list(s.scalars(select(AuthAttempt.key)))
    assert keys and not any("a@example.org" in k or "203.0.113.77" in k for k in keys)
    assert any(k.startswith(LOGIN_ACCOUNT.scope + ":") for k in keys)


def test_invite_code_guessing_is_throttled(app, world):  # noqa: F811
    c = world["c"]
    codes = [c.post("/invites/accept", {"code": f"guess-{i}"}).status_code for i in range(11)]
    assert codes[0] == 400 and codes[-1] == 429


# --------------------------------------------------------------------------- data rights


def test_export_zip_holds_everything_and_a_readme(app, world):  # noqa: F811
    a = world["a"]
    a.post("/diary/pain", {"timing": "daily", "score": "4", "pain_note": "stairs"})
    r = a.c.get("/account/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(zf.namelist())
    assert {"README.txt", "manifest.json", "data/users.json", "data/profiles.json", "data/plans.json",
            "data/pain_entries.json", "data/care_links.json"} <= names
    # every owner-scoped table is in the export (new tables join automatically)
    owner_tables = {t.name for t in Base.metadata.sorted_tables if "owner_id" in t.c}
    assert {f"data/{t}.json" for t in owner_tables} <= names
    users = json.loads(zf.read("data/users.json"))
    assert users[0]["email"] == "a@example.org" and "password_hash" not in users[0]
    pain = json.loads(zf.read("data/pain_entries.json"))
    assert [p["note"] for p in pain] == ["stairs"]
    assert len(json.loads(zf.read("data/profiles.json"))) >= 1
    assert "invite_code" not in zf.read("data/care_links.json").decode()
    readme = zf.read("README.txt").decode()
    assert "data/pain_entries.json" in readme and "not a diagnosis" in readme
    # nothing of another runner
    assert "b@example.org" not in b"".join(zf.read(n) for n in names).decode()


def test_erase_needs_confirmation_then_removes_everything(app, world):  # noqa: F811
    a, d, a_id = world["a"], world["d"], world["a_id"]
    assert d.c.get(f"/u/{a_id}/plan").status_code == 200
    stolen = a.c.cookies.get(SESSION_COOKIE)
    r = a.post("/account/erase", {"confirm": "nope", "password": PASSWORD})
    assert r.status_code == 400 and "Nothing was deleted" in r.text
    r = a.post("/account/erase", {"confirm": "erase", "password": "wrong"})
    assert r.status_code == 400
    assert _count(app, User, id=a_id) == 1
    r = a.post("/account/erase", {"confirm": "erase", "password": PASSWORD})
    assert r.status_code == 303
    assert _count(app, User, id=a_id) == 0
    for table in Base.metadata.sorted_tables:
        if "owner_id" in table.c:
            with app.state.session_factory() as s:
                assert s.scalar(select(func.count()).select_from(table).where(table.c.owner_id == a_id)) == 0
    assert _count(app, CareLink, runner_id=a_id) == 0 and _count(app, UserSession, user_id=a_id) == 0
    assert d.c.get(f"/u/{a_id}/plan").status_code == 404  # clinician access ended at once
    thief = Browser(app)
    thief.c.cookies.set(SESSION_COOKIE, stolen)
    assert thief.c.get("/api/v1/me").status_code == 401
    assert world["b"].c.get("/api/v1/me").status_code == 200  # others untouched


def test_api_erase_refusals(app, make_browser):
    b = make_browser()
    b.signup("r@example.org")
    tok = b.c.get("/api/v1/csrf").json()["csrf_token"]
    h = {"X-CSRF-Token": tok}
    assert b.c.post("/api/v1/account/erase", json={"password": PASSWORD, "confirm": "no"}, headers=h).status_code == 422
    assert b.c.post("/api/v1/account/erase", json={"password": "bad", "confirm": "erase"}, headers=h).status_code == 403
    assert b.c.post("/api/v1/account/erase", json={"password": PASSWORD, "confirm": "erase"},
                    headers=h).status_code == 204
    assert _count(app, User) == 0


# --------------------------------------------------------------------------- FHIR


def test_fhir_bundle_for_runner_and_linked_clinician(app, world):  # noqa: F811
    from fhir.resources.R4B.bundle import Bundle

    a_id = world["a_id"]
    mine = world["a"].c.get(f"/u/{a_id}/fhir.json")
    theirs = world["d"].c.get(f"/api/v1/users/{a_id}/fhir")
    assert mine.status_code == 200 and theirs.status_code == 200
    assert mine.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(theirs.content)
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds[:2] == ["Patient", "Questionnaire"] and "CarePlan" in kinds
    assert world["c"].c.get(f"/api/v1/users/{a_id}/fhir").status_code == 404


# --------------------------------------------------------------------------- operations


def test_healthz_and_request_id(app):
    b = Browser(app)
    r = b.c.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}
    assert len(r.headers["X-Request-ID"]) >= 8
    r = b.c.get("/healthz", headers={"X-Request-ID": "proxy-abc-123"})
    assert r.headers["X-Request-ID"] == "proxy-abc-123"
    r = b.c.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert r.headers["X-Request-ID"] != "bad id\nwith newline"


def test_healthz_reports_an_unreachable_database(tmp_path):
    from kneecoach.web.app import create_app

    broken = create_app(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", secret_key="s" * 40, migrate=False)
    assert Browser(broken).c.get("/healthz").status_code == 503


def test_access_log_is_json_with_route_templates_and_no_health_data(app, world, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="kneecoach.access")
    a, a_id = world["a"], world["a_id"]
    a.post("/diary/pain", {"timing": "daily", "score": "9", "pain_note": "private-note-xyz"})
    a.c.get(f"/u/{a_id}/plan?start=2026-01-05")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kneecoach.access"]
    assert lines and all({"ts", "request_id", "method", "route", "status", "duration_ms", "pid"} == set(x) for x in lines)
    assert any(x["route"] == "/u/{owner_id}/plan" and x["status"] == 200 for x in lines)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("private-note-xyz", "a@example.org", "2026-01-05", f"/u/{a_id}/"):
        assert secret not in text


def test_signup_race_with_an_existing_email_answers_alike_and_keeps_the_account(app, make_browser, monkeypatch):
    """As if another request registered the e-mail between the check and the insert."""
    from types import SimpleNamespace

    from kneecoach.store import repo
    from kneecoach.web import routes_auth

    make_browser().signup("race@example.org")
    shim = SimpleNamespace(get_user_by_email=lambda *_a: None, create_user=repo.create_user, RepoError=repo.RepoError)
    monkeypatch.setattr(routes_auth, "repo", shim)
    b = make_browser()
    r = b.post("/signup", {"email": "race@example.org", "display_name": "X", "password": "another password",
                           "role": "runner"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    monkeypatch.undo()
    assert b.post("/login", {"email": "race@example.org", "password": "another password"}).status_code == 400
    assert b.post("/login", {"email": "race@example.org", "password": PASSWORD}).status_code == 303
    assert _count(app, User) == 1
