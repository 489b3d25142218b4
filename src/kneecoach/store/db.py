"""Engines and sessions.

SQLite in the user's data folder by default; any SQLAlchemy URL (PostgreSQL
for a shared server) through ``KNEECOACH_DB`` or an explicit argument.
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
    folder = data_home / "kneecoach"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'kneecoach.db'}"


def make_engine(url: str | None = None) -> Engine:
    """An engine for a URL or a SQLite file path (default: :func:`default_url`)."""
    url = resolve_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
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
