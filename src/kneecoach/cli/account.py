"""Operator and data-rights commands: user reset-password, export, erase, fhir, db backup/restore.

``export``, ``erase`` and ``fhir`` act on the CLI's local runner by default,
or on the account named with ``--email`` (an operator of a shared server
acting on a person's request). Failures end with one sentence and exit 1;
nothing is changed in that case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from kneecoach.cli.app import app
from kneecoach.cli.tracking import DbOpt, _bad_input, _describe, _fail, _open, db_app, out
from kneecoach.store import repo
from kneecoach.store.db import resolve_url, transaction

user_app = typer.Typer(help="Accounts on a shared server (operator commands).", no_args_is_help=True)
app.add_typer(user_app, name="user")

EmailOpt = Annotated[str | None, typer.Option("--email", help="Account to act on (default: the local runner).")]


def _owner(s: Session, email: str | None, local_id: int) -> int:
    if email is None:
        return local_id
    user = repo.get_user_by_email(s, email)
    if user is None:
        raise _bad_input(f"no account with the e-mail {email!r}")
    return user.id


@user_app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    db: DbOpt = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from stdin.")] = False,
) -> None:
    """Set a new password for a forgotten one, and sign that account out everywhere.

    There is no e-mail in kneecoach, so an operator does this after checking
    who is asking. The password is typed twice (hidden) or read from stdin.
    """
    import sys

    from kneecoach.web.accounts import MIN_PASSWORD
    from kneecoach.web.security import hash_password
    from kneecoach.web.sessions import close_all_sessions

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD or len(password) > 1024:
        raise _bad_input(f"the password must have {MIN_PASSWORD} to 1024 characters; nothing was changed")
    factory, _local = _open(db)
    with transaction(factory) as s:
        user = repo.get_user_by_email(s, email)
        if user is None:
            raise _bad_input(f"no account with the e-mail {email!r}; nothing was changed")
        user.password_hash = hash_password(password)
        ended = close_all_sessions(s, user.id)
    out.print(f"Password reset; {ended} open sign-in(s) ended.")


@user_app.command("units")
def user_units(
    unit: Annotated[str | None, typer.Argument(help="km or mi; leave out to show the current setting.")] = None,
    email: EmailOpt = None,
    db: DbOpt = None,
) -> None:
    """Show or set the runner's distance unit (km or mi): what every command and page shows by default.

    Stored distances stay metric; this only changes how they are shown and typed. ``--units`` on a
    command or ``$KNEECOACH_UNITS`` still win for that command.
    """
    from kneecoach.intake.units import UNIT_WORDS, check_unit
    from kneecoach.store.models import User

    try:
        chosen = None if unit is None else check_unit(unit)
    except ValueError as exc:
        raise _bad_input(f"{exc}; nothing was changed") from exc
    factory, local = _open(db)
    with transaction(factory) as s:
        user = s.get(User, _owner(s, email, local))
        assert user is not None
        if chosen is not None:
            user.distance_unit = chosen
        now = user.distance_unit
    out.print(f"Distances in {UNIT_WORDS[now]} ({now}).", highlight=False)


@app.command("export")
def export_cmd(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Zip file to write.")] = Path("kneecoach-export.zip"),
    email: EmailOpt = None,
    db: DbOpt = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write everything stored about the runner to a zip of JSON files with a README."""
    from kneecoach.store.portability import export_zip

    if out_path.exists() and not overwrite:
        raise _bad_input(f"{out_path} exists; choose another --out or pass --overwrite")
    factory, local = _open(db)
    with transaction(factory) as s:
        blob = export_zip(s, _owner(s, email, local))
    out_path.write_bytes(blob)
    out_path.chmod(0o600)
    out.print(f"Wrote {out_path} ({len(blob):,} bytes). README.txt inside explains the format.")


@app.command("fhir")
def fhir_cmd(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write ('-' for stdout).")] = Path(
        "kneecoach-fhir.json"),
    email: EmailOpt = None,
    db: DbOpt = None,
) -> None:
    """Write a FHIR R4 Bundle (Kujala questionnaire and scores, plan, referral) for a clinic."""
    from kneecoach.render.fhir import bundle_for_owner

    factory, local = _open(db)
    with transaction(factory) as s:
        text = bundle_for_owner(s, _owner(s, email, local)).model_dump_json(by_alias=True, exclude_none=True,
                                                                            indent=2)
    if str(out_path) == "-":
        typer.echo(text)
    else:
        out_path.write_text(text, encoding="utf-8")
        out.print(f"Wrote {out_path}.")


@app.command("erase")
def erase_cmd(
    email: EmailOpt = None,
    db: DbOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the runner and everything stored about them (asks first). Export first to keep a copy."""
    from kneecoach.store.models import User
    from kneecoach.web.erasure import erase_person
    from kneecoach.web.video_jobs import VideoJobs, default_folder

    factory, local = _open(db)
    with transaction(factory) as s:
        owner = s.get(User, _owner(s, email, local))
        label = owner.email
    if not yes:
        answer = typer.prompt(f"This deletes {label} and all their data for good. Type the e-mail to confirm")
        if answer.strip().lower() != label.lower():
            raise _bad_input("confirmation did not match; nothing was deleted")
    with transaction(factory) as s:
        # Also the video files in $KNEECOACH_VIDEO_DIR (or the data folder's) and throttle rows.
        removed = erase_person(s, s.get(User, owner.id), VideoJobs(default_folder(), factory=factory))
    out.print("Deleted: " + ", ".join(f"{n} {t}" for t, n in sorted(removed.items())))


@db_app.command("backup")
def db_backup(
    dest: Annotated[Path, typer.Argument(help="Backup file to write.")],
    db: DbOpt = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing backup file.")] = False,
) -> None:
    """Copy the SQLite database safely while it is in use (online backup API). PostgreSQL: use pg_dump."""
    from kneecoach.store.backup import BackupError, backup

    try:
        size = backup(resolve_url(db), dest, overwrite=overwrite)
    except BackupError as exc:
        raise _bad_input(str(exc)) from None
    except OSError as exc:
        raise _fail(_describe(exc)) from None
    out.print(f"Backed up to {dest} ({size:,} bytes).")


@db_app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Argument(help="Backup file made by 'kneecoach db backup'.")],
    db: DbOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing the database.")] = False,
) -> None:
    """Replace the SQLite database with a checked backup, then upgrade it to this version's schema."""
    from kneecoach.store import migrate
    from kneecoach.store.backup import BackupError, restore

    url = resolve_url(db)
    if not yes and not typer.confirm(f"Replace the database at {url} with {source}?"):
        raise _bad_input("nothing was restored")
    try:
        restore(url, source)
        migrate.upgrade(url)
    except BackupError as exc:
        raise _bad_input(str(exc)) from None
    except OSError as exc:
        raise _fail(_describe(exc)) from None
    out.print(f"Restored from {source}; database at revision {migrate.current(url)}.")


__all__ = ["user_app"]
