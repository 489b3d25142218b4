"""Run the packaged Alembic migrations from code (the CLI, the web app, tests).

The ini file and scripts ship inside the package, so this works from any
working directory and from an installed wheel. The database URL is passed
programmatically (never written into the ini) which keeps passwords out of
files and lets one process migrate several databases.

    python -m kneecoach.store.migrate [upgrade|current|downgrade REV] [URL]

Alembic is imported only where a migration runs or its answer is needed:
every CLI command asks :func:`is_current` first, and importing Alembic (with
Mako and its DDL dialects) costs about 0.15 s of a command's start-up, so that
check reads the version table with plain SQL and the head revision from the
migration files' ``revision``/``down_revision`` lines.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from kneecoach.store.db import make_engine, resolve_url

if TYPE_CHECKING:
    from alembic.config import Config

#: ``revision = "0005"`` / ``down_revision: str | None = None`` at the start of a line in a migration file.
_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:"([^"\n]*)"|'([^'\n]*)'|(None))\s*$""",
                            re.MULTILINE)


@contextmanager
def _config(url: str) -> Iterator[Config]:
    """An Alembic config pointing at the packaged scripts, with a live connection to ``url``."""
    from alembic.config import Config

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
    from alembic import command

    with _config(resolve_url(url)) as cfg:
        command.upgrade(cfg, revision)


def downgrade(url: str | None, revision: str) -> None:
    """Step the database back to ``revision`` (``"base"`` drops every table: data is lost)."""
    from alembic import command

    with _config(resolve_url(url)) as cfg:
        command.downgrade(cfg, revision)


def current(url: str | None = None) -> str | None:
    """The revision the database is at, or ``None`` for an empty (unmigrated) database."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The newest revision shipped with this version of kneecoach."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    package = resources.files("kneecoach.store")
    with resources.as_file(package / "alembic.ini") as ini, resources.as_file(package / "migrations") as scripts:
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(Path(scripts)))
        found = ScriptDirectory.from_config(cfg).get_current_head()
    if found is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError("no migrations found in the kneecoach package")
    return found


def stored_revision(url: str | None = None) -> str | None:
    """The revision in the database's ``alembic_version`` table, read with plain SQL.

    ``None`` for an empty (unmigrated) database, and also when the table holds
    several rows (branches: kneecoach's history is linear, so let Alembic judge).
    """
    engine = make_engine(resolve_url(url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    return rows[0] if len(rows) == 1 else None


def scripted_head() -> str | None:
    """The head revision read from the migration files, without importing Alembic.

    The one ``revision`` that no file names as its ``down_revision``. ``None``
    (ask Alembic, :func:`head`) when any file's lines are not the plain form
    Alembic writes, or when the history does not end in exactly one head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    versions = resources.files("kneecoach.store") / "migrations" / "versions"
    for script in versions.iterdir():
        if not script.name.endswith(".py") or script.name.startswith("_"):
            continue
        found = {m.group(1): m.group(2) or m.group(3) or None for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
        if found.get("revision") is None or "down_revision" not in found:
            return None
        revisions.add(found["revision"])  # type: ignore[arg-type]
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])  # type: ignore[arg-type]
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_current(url: str | None = None) -> bool:
    """True when the database is at the packaged head (no upgrade needed); usually without importing Alembic."""
    stored = stored_revision(url)
    return stored is not None and stored == (scripted_head() or head())


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
