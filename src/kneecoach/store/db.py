"""Engines and sessions.

SQLite in the user's data folder by default; any SQLAlchemy URL (PostgreSQL
for a shared server) through ``KNEECOACH_DB`` or an explicit argument.

The data is health data, so the default folder is made 0700, a SQLite file is
made (or narrowed to) 0600 before the first connection, and every SQLite
connection turns ``secure_delete`` on, so an erased person's rows are
overwritten with zeros instead of lingering in free pages of the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def resolve_url(value: str | None) -> str:
    """A database URL as given, a bare file path as a SQLite URL, nothing as :func:`default_url`."""
    if not value:
        return default_url()
    return value if "://" in value else f"sqlite:///{Path(value).expanduser()}"


def default_url() -> str:
    """``KNEECOACH_DB`` if set (a URL or a file path), else ``~/.local/share/kneecoach/kneecoach.db``."""
    value = os.environ.get("KNEECOACH_DB")
    if value:
        return resolve_url(value)
    data_home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    folder = private_folder(data_home / "kneecoach")
    return f"sqlite:///{folder / 'kneecoach.db'}"


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) if needed and make it 0700: only its owner may list or read it."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    return folder


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 (or narrow an existing one) before SQLite creates it with the umask.

    The ``-wal`` and ``-shm`` files SQLite adds take the database file's mode.
    """
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # let SQLite report the missing folder
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def make_engine(url: str | None = None) -> Engine:
    """An engine for a URL or a SQLite file path (default: :func:`default_url`)."""
    url = resolve_url(url)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
