"""Run the packaged Alembic migrations from code (the CLI, the web app, tests).

The ini file and scripts ship inside the package, so this works from any
working directory and from an installed wheel. The database URL is passed
programmatically (never written into the ini) which keeps passwords out of
files and lets one process migrate several databases.

    python -m kneecoach.store.migrate [upgrade|current|downgrade REV] [URL]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from kneecoach.store.db import make_engine, resolve_url




@contextmanager
def _config(url: str) -> Iterator[Config]:
    """An Alembic config pointing at the packaged scripts, with a live connection to ``url``."""
    package = resources.files("kneecoach.store")
    with resources.as_file(package / "alembic.ini") as ini, resources.as_file(package / "migrations") as scripts:
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(Path(scripts)))
        cfg.attributes["url"] = url
        engine = make_engine(url)
        try:
            with engine.begin() as connection:
                cfg.attributes["connection"] = connection
                yield cfg
        finally:
            engine.dispose()


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default :func:`default_url`; a bare path means SQLite) up to ``revision``.

    Idempotent: upgrading a database that is already at head does nothing, so
    the CLI calls this before every command and a fresh machine just works.
    """
    with _config(resolve_url(url)) as cfg:
        command.upgrade(cfg, revision)


def downgrade(url: str | None, revision: str) -> None:
    """Step the database back to ``revision`` (``"base"`` drops every table: data is lost)."""
    with _config(resolve_url(url)) as cfg:
        command.downgrade(cfg, revision)


def current(url: str | None = None) -> str | None:
    """The revision the database is at, or ``None`` for an empty (unmigrated) database."""
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this version of kneecoach."""
    package = resources.files("kneecoach.store")
    with resources.as_file(package / "alembic.ini") as ini, resources.as_file(package / "migrations") as scripts:
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(Path(scripts)))
        found = ScriptDirectory.from_config(cfg).get_current_head()
    if found is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError("no migrations found in the kneecoach package")
    return found


def is_current(url: str | None = None) -> bool:
    """True when the database is at the packaged head (no upgrade needed)."""
    return current(url) == head()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    action = args.pop(0) if args else "upgrade"
    if action == "upgrade":
        upgrade(args[0] if args else None)
    elif action == "current":
        print(current(args[0] if args else None) or "(empty)")
    elif action == "downgrade" and args:
        downgrade(args[1] if len(args) > 1 else None, args[0])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
