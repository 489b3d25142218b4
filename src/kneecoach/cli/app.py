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


#: Exit codes, one convention for every command (tested in tests/store/test_cli_exit_codes.py):
#: 0 done; 1 it could not be done (the database cannot be opened, an import failed, no plan is
#: stored yet); 2 the input is wrong (a bad date, a score out of range, a missing file, an unknown
#: id: Typer's own usage errors exit 2 too); 3 a clinician should be seen first (a red flag).
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFERRAL = 3
