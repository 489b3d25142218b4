"""Command-line face of kneecoach: thin commands over the engine, tracking and store.

Each module registers its commands on :data:`kneecoach.cli.app.app`:
``assess`` (intake -> plan), ``tracking`` (import, log, review, plot), ``serve`` (web).
"""

from __future__ import annotations

from kneecoach.cli import account, assess, intake, serve, tracking  # noqa: F401  (registers commands)
from kneecoach.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
