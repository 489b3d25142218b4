"""Database backup and restore for SQLite, with SQLite's online backup API.

The online backup API (``sqlite3.Connection.backup``) copies a live database
page by page under SQLite's own locking, so a backup taken while
``kneecoach serve`` is writing is consistent, which copying the file (and its
``-wal`` side file) is not. PostgreSQL is backed up with its own tools
(``pg_dump`` / ``pg_restore``, see docs/deployment.md); these functions
refuse a non-SQLite URL with a message saying so.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; :class:`BackupError` for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            f"{parsed.get_backend_name()} databases are backed up with their own tools: for PostgreSQL use "
            "'pg_dump -Fc -f kneecoach.dump DBNAME' and 'pg_restore --clean -d DBNAME kneecoach.dump' "
            "(see docs/deployment.md)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _check_kneecoach_db(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    finally:
        conn.close()
    if ok != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {ok}")
    if not {"alembic_version", "users"} <= tables:
        raise BackupError(f"{path} is not a kneecoach database (no users/alembic_version table)")


def backup(url: str, dest: Path, *, overwrite: bool = False) -> int:
    """Copy the live database at ``url`` to ``dest``; returns the size in bytes.

    Written to a temporary name first and renamed, so a failed backup never
    leaves a half-written file where a good one was.
    """
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} exists; choose another name or pass --overwrite")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)  # a new backup folder is made, as `cp -r` users expect
    except OSError as exc:
        raise BackupError(f"cannot create the folder {dest.parent} ({exc.strerror or exc})") from None
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        tmp.chmod(0o600)  # health data: readable by the owner only
        tmp.replace(dest)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)  # nothing half-written is left behind
        raise BackupError(f"cannot write the backup {dest} ({exc})") from None
    return dest.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup at ``source`` (checked first).

    The backup is checked (integrity, kneecoach tables) before anything is
    touched; the copy then goes through the backup API into the live file,
    which SQLite applies as one transaction: readers see the old or the new
    database, never a mix.
    """
    target = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    _check_kneecoach_db(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
