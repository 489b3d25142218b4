"""The Typer application object, shared by the command modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kneecoach",
    help="Runners' knee pain: intake, self-tests, explained hypotheses, a phased plan and load tracking. "
    "Education, not a diagnosis.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
