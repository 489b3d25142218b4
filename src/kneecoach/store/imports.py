"""Transactional import of watch files into one owner's runs.

Parsing and writing are separate steps on purpose. Every file is parsed
first (slow, may fail per file, no database involved); then all good runs go
into the database in ONE transaction. So a bulk export with a few corrupt
files still imports the rest, while a database failure half-way (disk full,
lost connection) leaves no half-imported batch behind: either the whole
batch is stored or none of it is, and the runner can simply run the import
again.

Duplicates (same :attr:`Activity.fingerprint` as a stored run, or twice in
the batch, e.g. the same run exported as GPX and FIT) are skipped and named in
the report. Non-running activities (rides, swims) are skipped with a note:
knee load from a bike ride is not comparable to running distance, and
storing them would make every load chart wrong by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from sqlalchemy.exc import SQLAlchemyError

from kneecoach.store import repo
from kneecoach.store.db import retry_locked, transaction
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers import ActivityFileError, FileResult, parse_bytes, parse_path
from kneecoach.tracking.load import is_running

__all__ = ["ImportReport", "ImportWriteError", "import_activities", "import_bytes", "import_path"]


class ImportWriteError(RuntimeError):
    """The batch could not be written (nothing of it was stored); ``names`` are the files not stored.

    Raised after one retry when SQLite stayed locked, or on any other
    database error, so the caller can tell the runner which files to upload
    again instead of a bare "failed".
    """

    def __init__(self, names: list[str], cause: BaseException) -> None:
        self.names = names
        self.cause_name = type(cause).__name__
        self.orig = getattr(cause, "orig", None)  # the driver's message, for the CLI's one-line reason
        reason = (str(self.orig if self.orig is not None else cause).strip().splitlines() or [self.cause_name])[0]
        super().__init__(f"{len(names)} file(s) not stored ({self.cause_name}: {reason})")

ProgressFn = Callable[[int, int | None], None]


@dataclass
class ImportReport:
    """What an import did. ``errors`` keep each bad file's name and a readable reason."""

    imported: int = 0
    duplicates: list[str] = field(default_factory=list)
    errors: list[FileResult] = field(default_factory=list)
    skipped_non_running: list[str] = field(default_factory=list)
    run_ids: list[int] = field(default_factory=list)
    #: Imported but flagged: average speed impossible for running (left out of load until confirmed).
    speed_flagged: list[str] = field(default_factory=list)

    @property
    def files_seen(self) -> int:
        return self.imported + len(self.duplicates) + len(self.errors) + len(self.skipped_non_running)

    @property
    def all_failed(self) -> bool:
        """True when files were seen and every one of them was an error."""
        return bool(self.errors) and self.files_seen == len(self.errors)

    def summary(self) -> str:
        parts = [f"{self.imported} run(s) imported"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate(s) skipped")
        if self.skipped_non_running:
            parts.append(f"{len(self.skipped_non_running)} non-running activit(ies) skipped")
        if self.errors:
            parts.append(f"{len(self.errors)} file(s) could not be read")
        if self.speed_flagged:
            parts.append(f"{len(self.speed_flagged)} run(s) flagged: average speed impossible for running "
                         "(left out of load until you confirm them)")
        return ", ".join(parts)


def _label(a: Activity, fallback: str = "") -> str:
    return a.source_name or fallback or f"{a.start:%Y-%m-%d %H:%M} {a.distance_km:.1f} km"


def import_activities(
    factory: sessionmaker[Session], owner_id: int, results: Iterable[FileResult], report: ImportReport | None = None
) -> ImportReport:
    """Store the good activities among ``results`` in one transaction.

    All results are collected before the transaction opens, so a slow parse
    never holds a database lock. The write is retried once when SQLite
    answers ``database is locked`` (the failed try was rolled back, so no
    run is stored twice); if it still fails, :class:`ImportWriteError` names
    the files of the batch, none of which was stored.
    """
    report = report or ImportReport()
    good: list[tuple[str, Activity]] = []
    for r in results:
        if r.activity is None:
            report.errors.append(r)
        elif not is_running(r.activity):
            report.skipped_non_running.append(f"{r.name} ({r.activity.sport})")
        else:
            good.append((r.name, r.activity))
    if not good:
        return report
    names = {id(a): name for name, a in good}

    def write() -> tuple[list[int], list[str], list[Activity]]:
        with transaction(factory) as s:
            rows, dups = repo.add_runs(s, owner_id, [a for _, a in good])
            return ([r.id for r in rows],
                    [f"{r.source_name or r.start_time} (id {r.id})" for r in rows if r.speed_unconfirmed], dups)

    try:
        ids, flagged, dups = retry_locked(write)
    except SQLAlchemyError as exc:
        raise ImportWriteError([name for name, _ in good], exc) from exc
    report.imported += len(ids)
    report.run_ids.extend(ids)
    report.speed_flagged.extend(flagged)
    report.duplicates.extend(names.get(id(a)) or _label(a) for a in dups)
    return report


def import_path(
    factory: sessionmaker[Session],
    owner_id: int,
    path: Path | str | Sequence[Path | str],
    *,
    on_progress: ProgressFn | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import every activity file under ``path`` (a file, folder or zip; or several).

    ``on_progress(done, total)`` is called as files are parsed (total over all
    paths). A path that does not exist raises ``FileNotFoundError`` before
    anything is written.
    """
    paths = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"no such file or folder: {p}")
    results: list[FileResult] = []
    if on_progress is None:
        for p in paths:
            results.extend(parse_path(p, workers=workers))
    else:
        from kneecoach.tracking.importers import count_sources

        total = sum(count_sources(p) for p in paths)
        offset = 0
        on_progress(0, total)
        for p in paths:
            before = len(results)
            for r in parse_path(p, workers=workers):
                results.append(r)
                on_progress(offset + len(results) - before, total)
            offset += len(results) - before
    return import_activities(factory, owner_id, results)


def import_bytes(factory: sessionmaker[Session], owner_id: int, name: str, data: bytes) -> ImportReport:
    """Import one uploaded file (web). A bad file gives a report with one error, not an exception."""
    try:
        result = FileResult(name, parse_bytes(data, name), None)
    except ActivityFileError as exc:
        result = FileResult(name, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - an odd upload must give a message, not a 500
        result = FileResult(name, None, f"{name}: could not be read ({type(exc).__name__})")
    return import_activities(factory, owner_id, [result])
