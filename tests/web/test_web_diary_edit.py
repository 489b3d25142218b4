"""Correcting the diary on the web (issue 16): JSON API PATCH/DELETE, the no-JS forms on Today and the
diary, someone else's id -> 404, a clinician never edits, a bad score -> 400/422 and nothing changes."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction

TODAY = date.today().isoformat()


def _rows(db_url: str, owner: int) -> tuple[list[tuple], list[tuple]]:
    f = make_session_factory(make_engine(db_url))
    with transaction(f) as s:
        ex = [(r.exercise_id, r.status, r.sets, r.reps, r.pain)
              for r in repo.list_exercise(s, owner, include_skipped=True)]
        pain = [(r.timing, r.score) for r in repo.list_pain(s, owner)]
    return ex, pain


@pytest.fixture()
def runner(browser):
    browser.signup("edit@example.org", "Edie")
    assert browser.intake().status_code == 303
    browser.h = {"X-CSRF-Token": browser.c.get("/api/v1/csrf").json()["csrf_token"]}
    return browser


def _hurt(runner, score: int = 8, key: str = "api-hurt-0001") -> int:
    body = {"day": TODAY, "exercise_id": "clamshell", "sets": 3, "reps": 15, "idempotency_key": key}
    r = runner.c.post("/api/v1/exercise", json=body, headers=runner.h)
    assert r.status_code == 201
    entry = r.json()["id"]
    r = runner.c.patch(f"/api/v1/exercise/{entry}", json={"pain": score}, headers=runner.h)
    assert r.status_code == 200, r.text
    return entry


def test_api_patch_and_delete_keep_the_tap_and_its_pain_in_step(runner, db_url) -> None:
    entry = _hurt(runner)
    body = runner.c.get(f"/api/v1/exercise/{entry}", headers=runner.h)
    assert body.status_code == 405  # no read route here: the diary lists entries
    r = runner.c.patch(f"/api/v1/exercise/{entry}", json={"pain": 3, "sets": 2}, headers=runner.h)
    assert r.status_code == 200
    out = r.json()
    assert (out["pain"], out["sets"], out["reps"], out["edited"]) == (3, 2, 15, True) and out["pain_id"]
    assert _rows(db_url, runner.user_id) == ([("clamshell", "done", 2, 15, 3)], [("daily", 3)])
    p = runner.c.patch(f"/api/v1/pain/{out['pain_id']}", json={"score": 1}, headers=runner.h)
    assert p.status_code == 200 and p.json()["exercise_entry_id"] == entry
    assert _rows(db_url, runner.user_id) == ([("clamshell", "done", 2, 15, 1)], [("daily", 1)])
    d = runner.c.delete(f"/api/v1/exercise/{entry}", headers=runner.h)
    assert d.status_code == 200 and d.json() == {"deleted": entry, "pain_id": out["pain_id"]}
    assert _rows(db_url, runner.user_id) == ([], [])
    # the original post, replayed from an offline queue, does not bring it back
    replay = runner.c.post("/api/v1/exercise", json={"day": TODAY, "exercise_id": "clamshell", "sets": 3, "reps": 15,
                                                     "idempotency_key": "api-hurt-0001"}, headers=runner.h)
    assert replay.status_code == 200 and replay.json()["deleted"] is True
    assert _rows(db_url, runner.user_id) == ([], [])


@pytest.mark.parametrize(("path", "body", "message"), [
    ("exercise", {"pain": 11}, "less than or equal to 10"),
    ("exercise", {"sets": -2}, "greater than or equal to 0"),
    ("exercise", {"exercise_id": "moonwalk"}, "moonwalk"),
    ("exercise", {"day": (date.today() + timedelta(days=6)).isoformat()}, "in the future"),
    ("exercise", {"status": "skipped", "pain": 2}, "no pain score"),
    ("exercise", {"status": None}, "cannot be empty"),
    ("pain", {"score": 11}, "less than or equal to 10"),
    ("pain", {"timing": "next_morning"}, "change its day there"),
])
def test_api_bad_values_are_refused_and_nothing_changes(runner, db_url, path, body, message) -> None:
    entry = _hurt(runner)
    before = _rows(db_url, runner.user_id)
    target = entry if path == "exercise" else runner.c.patch(
        f"/api/v1/exercise/{entry}", json={}, headers=runner.h).json()["pain_id"]
    r = runner.c.patch(f"/api/v1/{path}/{target}", json=body, headers=runner.h)
    assert r.status_code == 422 and message in r.text
    assert _rows(db_url, runner.user_id) == before


def test_api_someone_elses_id_is_404_and_csrf_is_required(runner, make_browser, db_url) -> None:
    entry = _hurt(runner)
    assert runner.c.delete(f"/api/v1/exercise/{entry}").status_code == 403  # no CSRF token
    other = make_browser()
    other.signup("other@example.org", "Otto")
    h = {"X-CSRF-Token": other.c.get("/api/v1/csrf").json()["csrf_token"]}
    assert other.c.patch(f"/api/v1/exercise/{entry}", json={"sets": 1}, headers=h).status_code == 404
    assert other.c.delete(f"/api/v1/exercise/{entry}", headers=h).status_code == 404
    assert other.c.delete(f"/api/v1/exercise/999999", headers=h).status_code == 404
    assert other.c.get(f"/diary/exercise/{entry}/edit").status_code == 404
    assert other.post(f"/diary/exercise/{entry}/delete", {"confirm": "yes"}).status_code == 404
    assert other.post(f"/diary/exercise/{entry}/edit", {"sets": "1"}).status_code == 404
    pain_id = runner.c.patch(f"/api/v1/exercise/{entry}", json={}, headers=runner.h).json()["pain_id"]
    assert other.c.patch(f"/api/v1/pain/{pain_id}", json={"score": 1}, headers=h).status_code == 404
    assert other.c.delete(f"/api/v1/pain/{pain_id}", headers=h).status_code == 404
    assert other.c.get(f"/diary/pain/{pain_id}/edit").status_code == 404
    assert other.post(f"/diary/pain/{pain_id}/edit", {"score": "1"}).status_code == 404
    assert other.post(f"/diary/pain/{pain_id}/delete", {"confirm": "yes"}).status_code == 404
    assert _rows(db_url, runner.user_id) == ([("clamshell", "done", 3, 15, 8)], [("daily", 8)])


def test_invited_clinician_sees_but_never_edits(runner, make_browser, db_url) -> None:
    entry = _hurt(runner)
    code = re.search(r"<code>([^<]+)</code>", runner.post("/invites").text or runner.c.get("/home").text)
    code = code or re.search(r"<code>([^<]+)</code>", runner.c.get("/home").text)
    doc = make_browser()
    doc.signup("doc-edit@example.org", "Doc", role="clinician")
    assert doc.post("/invites/accept", {"code": code.group(1)}).status_code in (200, 303)
    h = {"X-CSRF-Token": doc.c.get("/api/v1/csrf").json()["csrf_token"]}
    assert doc.c.patch(f"/api/v1/exercise/{entry}", json={"sets": 1}, headers=h).status_code == 403
    assert doc.c.get(f"/diary/exercise/{entry}/edit").status_code == 403
    assert doc.post(f"/diary/exercise/{entry}/delete", {"confirm": "yes"}).status_code == 403
    page = doc.c.get(f"/u/{runner.user_id}/today").text
    assert "/diary/exercise/" not in page and "Undo" not in page
    assert _rows(db_url, runner.user_id) == ([("clamshell", "done", 3, 15, 8)], [("daily", 8)])


EDIT_RE = re.compile(r'action="/diary/exercise/(\d+)/edit"')


def _tap_first(runner, status: str = "done", pain: str | None = None, sent: dict | None = None) -> tuple[str, int]:
    page = runner.c.get("/today").text
    if 'action="/today/tap"' not in page:
        pytest.skip("no exercises on this weekday for the test plan")
    form = page[page.index('action="/today/tap"'):]
    ex_id = re.search(r'name="exercise_id" value="([^"]+)"', form).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = {"exercise_id": ex_id, "idempotency_key": key} | ({"pain": pain} if pain else {"status": status})
    assert runner.post("/today/tap", data).status_code == 303
    if sent is not None:
        sent.update(data)
    page = runner.c.get("/today").text
    item = page[page.index(f'id="ex-{ex_id}"'):]
    return ex_id, int(EDIT_RE.search(item).group(1))


def test_today_change_without_javascript_corrects_the_tap_and_its_pain(runner, db_url) -> None:
    ex_id, entry = _tap_first(runner, pain="8")
    page = runner.c.get("/today").text
    assert "Done, it hurt (8/10)" in page and ">Change<" in page and ">Undo</button>" in page
    r = runner.post(f"/diary/exercise/{entry}/edit", {"next": "/today", "status": "hurt", "pain": "3", "sets": "2"})
    assert r.status_code == 303 and r.headers["location"] == "/today"
    page = runner.c.get("/today").text
    assert "Done, it hurt (3/10)" in page and "Entry corrected." in page
    ex, pain = _rows(db_url, runner.user_id)
    assert ex[0][0] == ex_id and (ex[0][1], ex[0][2], ex[0][4]) == ("done", 2, 3) and pain == [("daily", 3)]
    r = runner.post(f"/diary/exercise/{entry}/edit", {"next": "/today", "status": "done", "pain": ""})
    assert r.status_code == 303 and _rows(db_url, runner.user_id)[1] == []
    assert "Done ✓" in runner.c.get("/today").text


def test_today_undo_removes_the_tap_and_the_forms_come_back(runner, db_url) -> None:
    sent: dict = {}
    ex_id, entry = _tap_first(runner, "done", sent=sent)
    r = runner.post(f"/diary/exercise/{entry}/delete", {"next": "/today", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/today"
    page = runner.c.get("/today").text
    assert "Undone" in page and _rows(db_url, runner.user_id) == ([], [])
    item = page[page.index(f'id="ex-{ex_id}"'):]
    assert item.index('action="/today/tap"') < item.index("</li>")  # to do again
    # the same tap, queued offline before the Undo and sent now, does not bring it back
    late = runner.post("/today/tap", sent, headers={"Accept": "application/json"})
    assert late.status_code == 200 and late.json()["replayed"] and "deleted" in late.json()["detail"]
    assert _rows(db_url, runner.user_id) == ([], [])


def test_today_change_with_json_accept_answers_json(runner, db_url) -> None:
    ex_id, entry = _tap_first(runner, "done")
    h = {"Accept": "application/json"}
    bad = runner.post(f"/diary/exercise/{entry}/edit", {"next": "/today", "status": "hurt", "pain": "11"}, headers=h)
    assert bad.status_code == 400 and "0 (none) to 10" in bad.json()["detail"]
    assert _rows(db_url, runner.user_id)[0][0][4] is None  # nothing changed
    ok = runner.post(f"/diary/exercise/{entry}/edit", {"next": "/today", "status": "skipped"}, headers=h)
    assert ok.status_code == 200 and ok.json()["detail"] == "Entry corrected."
    item = next(e for e in ok.json()["today"]["exercises"] if e["id"] == ex_id)
    assert item["status"] == "skipped"


def test_diary_lists_entries_with_edit_and_delete_and_the_edit_page_keeps_what_was_typed(runner, db_url) -> None:
    entry = _hurt(runner, 6)
    diary = runner.c.get("/diary").text
    assert f'href="/diary/exercise/{entry}/edit"' in diary and f'href="/diary/exercise/{entry}/delete"' in diary
    assert "done, it hurt (6/10)" in diary and "last 30 days" in diary and "/diary/pain/" in diary
    page = runner.c.get(f"/diary/exercise/{entry}/edit").text
    assert 'value="15"' in page and 'value="hurt" checked' in page and '<option value="6" selected>' in page
    typed = {"day": TODAY, "exercise_id": "clamshell", "status": "hurt", "pain": "12", "sets": "4", "reps": "abc",
             "note": "typed note"}
    r = runner.post(f"/diary/exercise/{entry}/edit", typed)
    assert r.status_code == 400 and "Enter a whole number." in r.text
    assert 'value="4"' in r.text and 'value="typed note"' in r.text
    r = runner.post(f"/diary/exercise/{entry}/edit", typed | {"reps": "15"})
    assert r.status_code == 400 and "0 (none) to 10" in r.text and 'value="4"' in r.text and "typed note" in r.text
    assert _rows(db_url, runner.user_id) == ([("clamshell", "done", 3, 15, 6)], [("daily", 6)])
    # delete asks first; the confirmation removes the tap and its pain score
    ask = runner.post(f"/diary/exercise/{entry}/delete", {})
    assert ask.status_code == 303 and ask.headers["location"].startswith(f"/diary/exercise/{entry}/delete")
    confirm = runner.c.get(ask.headers["location"]).text
    assert "Delete this diary entry?" in confirm and "Its pain score goes with it." in confirm
    assert _rows(db_url, runner.user_id)[0]  # still there
    assert runner.post(f"/diary/exercise/{entry}/delete", {"confirm": "yes"}).status_code == 303
    assert _rows(db_url, runner.user_id) == ([], [])


def test_diary_pain_edit_and_delete(runner, db_url) -> None:
    token = runner.h
    r = runner.c.post("/api/v1/pain", json={"day": TODAY, "timing": "after", "score": 7}, headers=token)
    pid = r.json()["id"]
    page = runner.c.get(f"/diary/pain/{pid}/edit").text
    assert 'value="after" checked' in page and 'value="7" checked' in page
    bad = runner.post(f"/diary/pain/{pid}/edit", {"day": (date.today() + timedelta(days=4)).isoformat(),
                                                  "timing": "after", "score": "2"})
    assert bad.status_code == 400 and "in the future" in bad.text and 'value="2" checked' in bad.text
    assert _rows(db_url, runner.user_id)[1] == [("after", 7)]
    assert runner.post(f"/diary/pain/{pid}/edit", {"day": TODAY, "timing": "after", "score": "2"}).status_code == 303
    assert _rows(db_url, runner.user_id)[1] == [("after", 2)]
    assert runner.post(f"/diary/pain/{pid}/delete", {"confirm": "yes"}).status_code == 303
    assert _rows(db_url, runner.user_id)[1] == []


def test_the_morning_check_can_be_corrected_from_today(runner, db_url) -> None:
    page = runner.c.get("/today").text
    form = page[page.index('action="/today/morning"'):]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    assert runner.post("/today/morning", {"score": "8", "idempotency_key": key, "day": TODAY}).status_code == 303
    page = runner.c.get("/today").text
    link = re.search(r'href="(/diary/pain/(\d+)/edit\?next=/today)"', page)
    assert link and "Morning check: 8/10" in page
    edit = runner.c.get(link.group(1)).text
    assert 'name="next" value="/today"' in edit and 'value="8" checked' in edit
    r = runner.post(f"/diary/pain/{link.group(2)}/edit", {"next": "/today", "day": TODAY, "timing": "next_morning",
                                                          "score": "3"})
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert "Morning check: 3/10" in runner.c.get("/today").text
    # the morning post replayed from an offline queue does not undo the correction
    assert runner.post("/today/morning", {"score": "8", "idempotency_key": key, "day": TODAY}).status_code == 303
    assert _rows(db_url, runner.user_id)[1] == [("next_morning", 3)]
