"""Engines and sessions.

SQLite in the user's data folder by default; any SQLAlchemy URL (PostgreSQL
for a shared server) through ``KNEECOACH_DB`` or an explicit argument.

The data is health data, so the default folder is made 0700, a SQLite file is
made (or narrowed to) 0600 before the first connection, and every SQLite
connection turns ``secure_delete`` on, so an erased person's rows are
overwritten with zeros instead of lingering in free pages of the file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Environment knobs (``kneecoach serve`` sets them for every worker).
ENV_THREADS = "KNEECOACH_THREADS"
ENV_BUSY_TIMEOUT = "KNEECOACH_SQLITE_BUSY_TIMEOUT_S"
#: Request threads per worker process, and so pooled connections (see :func:`pool_size`).
DEFAULT_THREADS = 16
#: Connections beyond the request threads: the background-job thread, a video keeper, a spare.
EXTRA_CONNECTIONS = 4
#: How long a SQLite write waits for another writer's lock before ``database is locked``.
DEFAULT_BUSY_TIMEOUT_S = 10.0


def _env_number(name: str, default: float, minimum: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, not {value!r}")
    return number


def request_threads() -> int:
    """Threads one worker runs blocking request work on (``KNEECOACH_THREADS``, default 16).

    The connection pool is sized from the same number, so a request thread
    never waits for a connection that only another request waiting for a
    thread could give back (the pool deadlock of issue 24).
    """
    return int(_env_number(ENV_THREADS, DEFAULT_THREADS, 1))


def pool_size(threads: int | None = None) -> int:
    """Pooled connections for ``threads`` request threads: one each plus the background threads'."""
    return (threads or request_threads()) + EXTRA_CONNECTIONS


def is_locked_error(exc: BaseException) -> bool:
    """True for SQLite's ``database is locked`` / ``busy`` (another writer held the lock too long)."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database is busy" in text


def retry_locked(work: Callable[[], T], *, attempts: int = 2, pause_s: float = 0.05) -> T:
    """Run ``work`` (one whole transaction) again when SQLite answered ``database is locked``.

    Only whole transactions are retried: the failed try was rolled back, so a
    retry stores its rows once or, if it fails again, not at all.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if attempt == attempts or not is_locked_error(exc):
                raise
            log.warning("database is locked; retrying the transaction (try %d of %d)", attempt + 1, attempts)
            time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


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


def make_engine(url: str | None = None, *, threads: int | None = None, pool_timeout_s: float = 30.0) -> Engine:
    """An engine for a URL or a SQLite file path (default: :func:`default_url`).

    The pool holds :func:`pool_size` connections and never more (no
    overflow): one per request thread plus the background threads, so the
    number of connections a worker opens is known (PostgreSQL's
    ``max_connections`` must cover ``workers * pool_size``).

    SQLite runs in WAL mode (readers never wait for the writer) with a busy
    timeout (``KNEECOACH_SQLITE_BUSY_TIMEOUT_S``, default 10 s) so a write
    waits for the lock instead of failing at once.
    """
    url = resolve_url(url)
    size = pool_size(threads)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        memory = ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite://")
        busy_s = _env_number(ENV_BUSY_TIMEOUT, DEFAULT_BUSY_TIMEOUT_S, 0)
        pool_args = {} if memory else {"pool_size": size, "max_overflow": 0, "pool_timeout": pool_timeout_s}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_s}, **pool_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_s * 1000)}")
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=0, pool_timeout=pool_timeout_s)


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
