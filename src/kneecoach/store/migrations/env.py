"""Alembic environment for kneecoach.

The URL comes, in order, from a connection handed over by
:mod:`kneecoach.store.migrate` (``config.attributes["connection"]``), from
``-x url=...`` on the alembic command line, or from
:func:`kneecoach.store.db.default_url`. It never comes from the ini file, so
a password in a PostgreSQL URL is not written anywhere.

SQLite cannot ``ALTER`` most things, so migrations run in batch mode there
(``render_as_batch``): Alembic copies the table, which keeps later migrations
portable between SQLite (the CLI) and PostgreSQL (a shared server).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kneecoach.store.db import default_url, make_engine
from kneecoach.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url") or default_url()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
