"""Transactional import: good files stored together, bad files reported, failures leave nothing."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from .conftest import gpx_text, write_gpx
from kneecoach.store import imports, repo
from kneecoach.store.db import transaction
from kneecoach.store.models import RunRecord


def _owner(factory: sessionmaker[Session], email: str = "r@x.org") -> int:
    with transaction(factory) as s:
        return repo.create_user(s, email, "R").id


def _count(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        return s.scalar(select(func.count()).select_from(RunRecord)) or 0


def _t(day: int, hour: int = 7) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=timezone.utc)


def test_folder_import_with_bad_file_duplicates_and_progress(factory: sessionmaker[Session], tmp_path: Path) -> None:
    owner = _owner(factory)
    folder = tmp_path / "export"
    for day in (2, 4, 6):
        write_gpx(folder, _t(day), 8.0)
    # The same run as the 2 March one, under another name: a duplicate within the batch.
    (folder / "copy-of-first.gpx").write_text(gpx_text(_t(2), 8.0), encoding="utf-8")
    (folder / "broken.gpx").write_text("<gpx><trk>", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    seen: list[tuple[int, int | None]] = []

    report = imports.import_path(factory, owner, folder, on_progress=lambda d, t: seen.append((d, t)))

    assert report.imported == 3
    assert report.duplicates == ["copy-of-first.gpx"]  # sorted after 20260302T0700.gpx, so it is the copy
    assert [e.name for e in report.errors] == ["broken.gpx"] and report.errors[0].error
    assert not report.all_failed
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert _count(factory) == 3

    # Importing again stores nothing new and names every file as a duplicate.
    again = imports.import_path(factory, owner, folder)
    assert again.imported == 0 and len(again.duplicates) == 4
    assert _count(factory) == 3


def test_zip_and_several_paths(factory: sessionmaker[Session], tmp_path: Path) -> None:
    owner = _owner(factory)
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("activities/a.gpx", gpx_text(_t(9), 5.0))
        zf.writestr("activities/b.gpx", gpx_text(_t(10), 6.0))
    single = write_gpx(tmp_path / "one", _t(11), 7.0)
    report = imports.import_path(factory, owner, [z, single])
    assert report.imported == 3 and not report.errors
    with transaction(factory) as s:
        assert sorted(round(a.distance_km) for a in repo.list_runs(s, owner)) == [5, 6, 7]


def test_every_file_failing_is_reported_not_raised(factory: sessionmaker[Session], tmp_path: Path) -> None:
    owner = _owner(factory)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.fit").write_bytes(b"\x0e\x10garbage")
    (bad / "b.gpx").write_text("not xml at all", encoding="utf-8")
    report = imports.import_path(factory, owner, bad)
    assert report.imported == 0 and report.all_failed and len(report.errors) == 2
    assert _count(factory) == 0


def test_missing_path_raises_before_writing(factory: sessionmaker[Session], tmp_path: Path) -> None:
    owner = _owner(factory)
    good = write_gpx(tmp_path, _t(3), 5.0)
    with pytest.raises(FileNotFoundError):
        imports.import_path(factory, owner, [good, tmp_path / "nope.gpx"])
    assert _count(factory) == 0


def test_non_running_activities_are_skipped_with_a_note(factory: sessionmaker[Session], tmp_path: Path) -> None:
    owner = _owner(factory)
    ride = gpx_text(_t(5), 30.0).replace("<type>running</type>", "<type>cycling</type>")
    report = imports.import_bytes(factory, owner, "ride.gpx", ride.encode())
    assert report.imported == 0 and report.skipped_non_running and "ride.gpx" in report.skipped_non_running[0]
    assert _count(factory) == 0


def test_import_bytes_good_and_bad(factory: sessionmaker[Session]) -> None:
    owner = _owner(factory)
    ok = imports.import_bytes(factory, owner, "up.gpx", gpx_text(_t(12), 9.0).encode())
    assert ok.imported == 1 and len(ok.run_ids) == 1
    bad = imports.import_bytes(factory, owner, "up2.fit", b"")
    assert bad.imported == 0 and bad.all_failed and "up2.fit" in (bad.errors[0].error or "")
    dup = imports.import_bytes(factory, owner, "again.gpx", gpx_text(_t(12), 9.0).encode())
    assert dup.duplicates == ["again.gpx"]


def test_database_failure_mid_batch_writes_nothing(
    factory: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = _owner(factory)
    write_gpx(tmp_path / "old", _t(1), 4.0)
    imports.import_path(factory, owner, tmp_path / "old")
    assert _count(factory) == 1

    folder = tmp_path / "new"
    for day in (2, 3, 4, 5):
        write_gpx(folder, _t(day), 6.0)
    real_add_runs = repo.add_runs

    def add_then_fail(s: Session, owner_id: int, activities):  # type: ignore[no-untyped-def]
        rows, dups = real_add_runs(s, owner_id, list(activities)[:2])  # rows are flushed to the DB...
        assert s.scalar(select(func.count()).select_from(RunRecord)) == 3
        raise OSError("disk full")  # ...then the write fails half-way

    monkeypatch.setattr(repo, "add_runs", add_then_fail)
    with pytest.raises(OSError, match="disk full"):
        imports.import_path(factory, owner, folder)
    assert _count(factory) == 1  # the old run survives, nothing of the batch is stored


def test_constraint_violation_rolls_back_whole_batch(factory: sessionmaker[Session], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A real database error (not a Python one) in the middle of the batch also rolls everything back."""
    owner = _owner(factory)
    folder = tmp_path / "batch"
    for day in (2, 3, 4):
        write_gpx(folder, _t(day), 6.0)
    # Make the duplicate check blind, so the second copy of a run hits the UNIQUE constraint.
    (folder / "z-dup.gpx").write_text(gpx_text(_t(3), 6.0), encoding="utf-8")
    monkeypatch.setattr(repo, "stored_fingerprints", lambda *a, **k: _Blind())
    with pytest.raises(Exception, match="UNIQUE|unique"):
        imports.import_path(factory, owner, folder)
    assert _count(factory) == 0


class _Blind(set):
    def __contains__(self, item: object) -> bool:
        return False
