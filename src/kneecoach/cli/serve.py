"""Command ``serve``: run the web app with uvicorn.

One worker runs the app object in-process. Several workers need an import
string that each worker process calls (``kneecoach.web.app:app_from_env``),
so the configuration travels in environment variables: ``KNEECOACH_DB`` for
the database and ``KNEECOACH_SECRET_KEY`` for the session key. The key is
resolved here once (env var or the stored 0600 key file) and handed to the
workers, so every worker signs cookies with the same key. Capacity
(``--threads``, ``--max-concurrent``) travels the same way, in
``KNEECOACH_THREADS`` and ``KNEECOACH_MAX_CONCURRENT``.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from kneecoach.cli.app import app

#: Seconds an idle kept-alive connection stays open (uvicorn's default is 5).
KEEP_ALIVE_S = 30


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on. Keep 127.0.0.1 unless behind a TLS proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: Annotated[
        str | None, typer.Option(help="Database URL or SQLite file path (default: KNEECOACH_DB or the data folder).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    threads: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Request threads per worker; each gets one pooled database connection "
                                          "(default: KNEECOACH_THREADS or 16)."),
    ] = None,
    max_concurrent: Annotated[
        int | None,
        typer.Option(min=1, max=100000, help="Requests a worker takes at once; past it the answer is 503 with "
                                             "Retry-After (default: KNEECOACH_MAX_CONCURRENT or 4 per thread)."),
    ] = None,
    https_only: Annotated[
        bool, typer.Option("--https-only/--no-https-only", help="Mark the session cookie Secure (use behind TLS).")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Reverse proxy address(es) whose X-Forwarded-For is trusted, e.g. 127.0.0.1. "
                          "Needed behind a proxy so throttles see the client's address, not the proxy's."),
    ] = None,
) -> None:
    """Serve the web app (education, not a diagnosis)."""
    import uvicorn

    from kneecoach.store.db import default_url
    from kneecoach.web.security import SECRET_ENV, load_secret_key

    if db:
        os.environ["KNEECOACH_DB"] = db
    url = default_url()
    try:
        os.environ[SECRET_ENV] = load_secret_key()
    except (OSError, ValueError) as exc:
        typer.echo(f"Error: cannot get a session key: {exc}", err=True)
        raise typer.Exit(2) from None
    if https_only:
        os.environ["KNEECOACH_HTTPS_ONLY"] = "1"
    # Every worker process reads its capacity from the environment (see kneecoach.web.capacity).
    if threads is not None:
        os.environ["KNEECOACH_THREADS"] = str(threads)
    if max_concurrent is not None:
        os.environ["KNEECOACH_MAX_CONCURRENT"] = str(max_concurrent)
    from kneecoach.store.db import pool_size, request_threads
    from kneecoach.web.capacity import max_concurrent as capacity_limit

    try:
        per_worker = request_threads()
        limit = capacity_limit(per_worker)
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    from kneecoach.store.migrate import upgrade

    upgrade(url)  # once, before workers race to do it
    typer.echo(f"kneecoach on http://{host}:{port}  (database: {url.split('://', 1)[0]}, workers: {workers}, "
               f"per worker: {per_worker} threads, {pool_size(per_worker)} connections, "
               f"503 past {limit} requests in flight)")
    from kneecoach.web.ops import log_config

    # JSON access lines come from kneecoach.access (route templates, request ids, no health data).
    # Keep-alive 30 s, not uvicorn's 5 s: under load a busy worker's event loop can notice a client's
    # next request on a kept-alive connection after its idle timer fired, and the client then sees the
    # connection reset (RemoteProtocolError/ReadError) instead of an answer (issue 24).
    common = {"host": host, "port": port, "log_level": "info", "access_log": False, "log_config": log_config(),
              "timeout_keep_alive": KEEP_ALIVE_S,
              "proxy_headers": forwarded_allow_ips is not None, "forwarded_allow_ips": forwarded_allow_ips}
    if workers == 1:
        from kneecoach.web.app import create_app

        uvicorn.run(create_app(url, https_only=https_only), **common)
    else:
        uvicorn.run("kneecoach.web.app:app_from_env", factory=True, workers=workers, **common)
