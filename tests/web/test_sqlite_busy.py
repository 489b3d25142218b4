"""SQLite's ``database is locked``: a request is tried once more, an import says what was not stored,
and a progress line never costs the import (issue 24).

The lock is simulated by making the store raise SQLite's own error, so each
test is exact about what was stored: once, or not at all.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kneecoach.store import jobs as store_jobs
from kneecoach.store import repo
from kneecoach.store.db import is_locked_error, make_engine, pool_size, retry_locked, transaction
from kneecoach.store.models import PainEntry, RunRecord
from kneecoach.web import services

from .test_serve_load import _tiny_gpx


def locked() -> OperationalError:
    return OperationalError("INSERT INTO pain_entries ...", {}, sqlite3.OperationalError("database is locked"))


def pain_notes(app, owner_id: int) -> list[str]:
    with transaction(app.state.session_factory) as s:
        return list(s.scalars(select(PainEntry.note).where(PainEntry.owner_id == owner_id)))


def test_a_diary_post_that_meets_a_locked_database_once_is_stored_once(browser, app, monkeypatch) -> None:
    uid = browser.signup("busy@example.org")
    real, calls = repo.add_pain, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise locked()
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "add_pain", flaky)
    r = browser.post("/diary/pain", {"score": "3", "timing": "after", "pain_note": "once"})
    assert r.status_code == 303 and r.headers["location"] == "/diary"
    assert len(calls) == 2
    assert pain_notes(app, uid) == ["once"]
    page = browser.c.get("/diary").text
    assert page.count("Pain entry saved.") == 1  # the first try's flash message was not kept


def test_a_diary_post_locked_twice_stores_nothing(browser, app, monkeypatch) -> None:
    uid = browser.signup("busy2@example.org")

    def always_locked(*_args, **_kwargs):
        raise locked()

    monkeypatch.setattr(repo, "add_pain", always_locked)
    with pytest.raises(OperationalError):
        browser.post("/diary/pain", {"score": "3", "timing": "after", "pain_note": "never"})
    assert pain_notes(app, uid) == []


def test_other_database_errors_are_not_retried(browser, monkeypatch) -> None:
    browser.signup("busy3@example.org")
    calls = []

    def broken(*_args, **_kwargs):
        calls.append(1)
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(repo, "add_pain", broken)
    with pytest.raises(OperationalError):
        browser.post("/diary/pain", {"score": "3", "timing": "after"})
    assert len(calls) == 1


def test_retry_locked_runs_a_transaction_at_most_twice() -> None:
    tries = []

    def work() -> str:
        tries.append(1)
        if len(tries) < 2:
            raise locked()
        return "stored"

    assert retry_locked(work, pause_s=0) == "stored" and len(tries) == 2
    tries.clear()
    with pytest.raises(OperationalError):
        retry_locked(lambda: (tries.append(1), (_ for _ in ()).throw(locked()))[1], pause_s=0)
    assert len(tries) == 2
    assert is_locked_error(locked()) and not is_locked_error(ValueError("database is locked"))


def test_pool_size_follows_the_thread_count(tmp_path, monkeypatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}", threads=7)
    assert engine.pool.size() == pool_size(7) == 7 + 4
    monkeypatch.setenv("KNEECOACH_THREADS", "3")
    assert make_engine(f"sqlite:///{tmp_path / 'q.db'}").pool.size() == 3 + 4
    monkeypatch.setenv("KNEECOACH_THREADS", "many")
    with pytest.raises(ValueError, match="KNEECOACH_THREADS must be a number"):
        make_engine(f"sqlite:///{tmp_path / 'r.db'}")


def _zip(count: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(count):
            z.writestr(f"morning-{i}.gpx", _tiny_gpx(datetime(2025, 3, 1 + i, 7, tzinfo=timezone.utc)))
    return buf.getvalue()


def _runs(app, owner_id: int) -> int:
    with transaction(app.state.session_factory) as s:
        return int(s.scalar(select(func.count(RunRecord.id)).where(RunRecord.owner_id == owner_id)) or 0)


def test_an_import_the_database_refuses_names_the_files_not_stored(browser, app, monkeypatch) -> None:
    uid = browser.signup("imp@example.org")
    calls = []

    def refuse(*_args, **_kwargs):
        calls.append(1)
        raise locked()

    monkeypatch.setattr(repo, "add_runs", refuse)
    result = services.import_upload(app.state.session_factory, uid, "export.zip", _zip(3))
    assert not result.ok and len(calls) == 2  # tried, then once more
    for i in range(3):
        assert f"morning-{i}.gpx" in result.message
    assert "Not stored" in result.message and "upload it again" in result.message
    assert _runs(app, uid) == 0


def test_an_import_locked_once_is_stored_once(browser, app, monkeypatch) -> None:
    uid = browser.signup("imp2@example.org")
    real, calls = repo.add_runs, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise locked()
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "add_runs", flaky)
    result = services.import_upload(app.state.session_factory, uid, "export.zip", _zip(4))
    assert result.ok and result.added == 4
    assert _runs(app, uid) == 4


def test_a_progress_write_that_fails_does_not_abort_the_import(browser, app, monkeypatch) -> None:
    """Every progress UPDATE meets a locked database, as under load on SQLite; the import stores all its runs."""
    from kneecoach.web import jobs as web_jobs

    uid = browser.signup("prog@example.org")
    progress_tries = []

    def locked_update(*_args, **_kwargs):  # the only UPDATE while a handler runs is the progress line
        progress_tries.append(1)
        raise locked()

    monkeypatch.setattr(store_jobs, "update", locked_update)
    monkeypatch.setattr(store_jobs, "PROGRESS_EVERY_S", 0.0)
    ctx = store_jobs.JobContext(job_id=1, owner_id=uid, params={"name": "export.zip"}, input=_zip(5),
                                factory=app.state.session_factory)
    result = web_jobs._import_handler(ctx)
    assert len(progress_tries) >= 5, "the test did not make the progress writes fail"
    assert result["ok"] and result["added"] == 5
    assert _runs(app, uid) == 5
