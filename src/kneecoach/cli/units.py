"""One rule for the distance unit of every command: ``--units`` > ``$KNEECOACH_UNITS`` > the runner's stored
setting (``users.distance_unit``, set on the web account page) > km.

Typer reads the environment variable into the option, so a command sees option-or-env as one value.
A command with no database (``assess`` on a file) stops at km. A unit that is neither km nor mi is
bad input (exit 2) and is reported before anything is read or written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from kneecoach.cli.app import EXIT_BAD_INPUT
from kneecoach.intake.units import DistanceUnit, check_unit

if TYPE_CHECKING:  # SQLAlchemy stays out of commands that start fast (assess)
    from sqlalchemy.orm import Session

__all__ = ["UNITS_HELP", "UnitsOpt", "checked_units", "resolve_unit"]

UNITS_HELP = "km or mi for distances (default: $KNEECOACH_UNITS, else the runner's setting, else km)."

UnitsOpt = Annotated[str | None, typer.Option("--units", envvar="KNEECOACH_UNITS", help=UNITS_HELP)]


def checked_units(units: str | None) -> DistanceUnit | None:
    """The option's unit checked (None when not given); a clear error and exit 2 otherwise."""
    if units is None or not units.strip():
        return None
    try:
        return check_unit(units)
    except ValueError as exc:
        typer.echo(f"Error: --units: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from exc


def resolve_unit(units: str | None, s: Session | None = None, owner: int | None = None) -> DistanceUnit:
    """Option (or env) > the owner's stored setting > km."""
    chosen = checked_units(units)
    if chosen is not None:
        return chosen
    if s is not None and owner is not None:
        from kneecoach.store.models import User

        stored = getattr(s.get(User, owner), "distance_unit", None)
        if stored:
            return check_unit(stored)
    return "km"
