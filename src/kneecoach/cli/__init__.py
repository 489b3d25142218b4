"""Command-line face of kneecoach: thin commands over the engine, tracking and store.

Each module registers its commands on :data:`kneecoach.cli.app.app`:
``assess`` (intake -> plan), ``tracking`` (import, log, review, plot), ``serve`` (web).

Lazy loading (why and how to add a command)
-------------------------------------------
Importing every command module costs about half a second (SQLAlchemy, Alembic,
the web stack, matplotlib) while ``kneecoach assess --example ...`` needs 1 ms
of work. So :func:`main` imports only the module(s) of the command being run,
found in :data:`COMMAND_MODULES`; anything else (``--help``, no command, an
unknown name) imports all of :data:`MODULES` first, so help and error messages
always list every command.

To add a command:

1. write it in a module under ``kneecoach/cli/`` that registers on
   ``kneecoach.cli.app.app`` (``@app.command("name")`` or ``app.add_typer``);
2. add the module to :data:`MODULES` and ``"name": "kneecoach.cli.<module>"``
   to :data:`COMMAND_MODULES`. (Forgetting step 2 still works: the name is
   unknown, so every module is loaded; it is only slower to start.)

Keep heavy imports (SQLAlchemy, matplotlib, FastAPI) inside the functions of
modules whose commands are meant to start fast (``assess.py``).

``from kneecoach.cli import app`` (tests, embedding) returns the Typer app
with every command registered.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

#: Every command module, in registration order (order of ``--help``).
MODULES: tuple[str, ...] = (
    "kneecoach.cli.assess",
    "kneecoach.cli.intake",
    "kneecoach.cli.serve",
    "kneecoach.cli.tracking",
    "kneecoach.cli.diary_edit",
    "kneecoach.cli.account",
    "kneecoach.cli.video",
    "kneecoach.cli.today",
)

#: Top-level command name -> the module that registers it.
COMMAND_MODULES: dict[str, str] = {
    "assess": "kneecoach.cli.assess",
    "example": "kneecoach.cli.assess",
    "kb": "kneecoach.cli.assess",
    "intake": "kneecoach.cli.intake",
    "serve": "kneecoach.cli.serve",
    "db": "kneecoach.cli.account",  # db upgrade/current (tracking) and backup/restore (account)
    "import": "kneecoach.cli.tracking",
    "log": "kneecoach.cli.diary_edit",  # log pain/exercise/run/day (tracking) and list/edit/delete
    "runs": "kneecoach.cli.tracking",
    "load": "kneecoach.cli.tracking",
    "review": "kneecoach.cli.tracking",
    "plot": "kneecoach.cli.tracking",
    "recheck": "kneecoach.cli.tracking",
    "user": "kneecoach.cli.account",
    "export": "kneecoach.cli.account",
    "fhir": "kneecoach.cli.account",
    "erase": "kneecoach.cli.account",
    "selftest": "kneecoach.cli.video",
    "today": "kneecoach.cli.today",
    "remind": "kneecoach.cli.today",
}


def _typer_app() -> typer.Typer:
    app = importlib.import_module("kneecoach.cli.app").app
    if app.registered_callback is None:
        # With a root callback Typer always treats the app as a group of
        # commands; without one, an app with a single loaded command (e.g.
        # only ``serve``) would run it directly and refuse its name as an
        # unexpected argument.
        app.callback()(_root)
    return app  # type: ignore[no-any-return]


def _root() -> None:
    """Runs before every command; nothing to do (see :func:`_typer_app`)."""


def load_commands(names: list[str] | None = None) -> typer.Typer:
    """Import the modules registering ``names`` (all modules for ``None``); return the app."""
    wanted = MODULES if names is None else tuple(dict.fromkeys(COMMAND_MODULES[n] for n in names))
    for mod in wanted:
        importlib.import_module(mod)
    return _typer_app()


def _command_name(argv: list[str]) -> str | None:
    """The first argument that is not an option: the root app takes no option values."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    # pydantic looks up third-party plugins through package metadata the first time it builds a
    # validator (~20 ms of a 0.2 s command); kneecoach uses none. An explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    name = _command_name(sys.argv[1:])
    app = load_commands([name] if name in COMMAND_MODULES else None)
    app()


# Importing the submodule ``kneecoach.cli.app`` binds the package attribute
# ``app`` to that module; drop it so ``from kneecoach.cli import app`` goes
# through __getattr__ below and gets the fully loaded Typer app.
_typer_app()
globals().pop("app", None)


def __getattr__(name: str) -> Any:
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMAND_MODULES", "MODULES", "app", "load_commands", "main"]
