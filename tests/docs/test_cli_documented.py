"""README's CLI list and `kneecoach --help` name the same commands (issue 22).

Every command a runner can type is in README's "The CLI" list, and every command README names
exists; `--help` lists every top-level command (the lazy loader imports them all for help).
"""

from __future__ import annotations

import re
from pathlib import Path

from typing import Any

import typer.main
from typer.testing import CliRunner

from kneecoach.cli import COMMAND_MODULES, load_commands

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def leaf_commands() -> set[str]:
    """Every runnable command path, e.g. ``assess``, ``kb check``, ``log pain``."""
    out: set[str] = set()

    def walk(cmd: Any, path: list[str]) -> None:
        if getattr(cmd, "commands", None):  # a group (Typer carries its own copy of click)
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out.add(" ".join(path))

    walk(typer.main.get_command(load_commands()), [])
    assert len(out) > 10, out  # every module registered
    return out


def cli_section() -> str:
    start = README.index("## The CLI")
    return README[start: README.index("\n## ", start + 1)]


def test_readme_cli_list_names_every_command() -> None:
    listed = cli_section()
    missing = sorted(c for c in leaf_commands() if not re.search(rf"kneecoach {re.escape(c)}\b", listed))
    assert not missing, f"README's CLI list lacks: {missing}"


def test_every_command_readme_names_exists() -> None:
    commands = leaf_commands()
    # every group above a command, nested ones too (`log`, `log edit`)
    groups = {" ".join(c.split()[:i]) for c in commands for i in range(1, len(c.split()))}
    # a command as typed in a shell line or a `code span`: `kneecoach WORD [SUBWORD]`
    named = set(re.findall(r"(?:^\$ |^|`)kneecoach ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", README, re.MULTILINE))
    unknown = sorted(
        n for n in named
        if n not in commands and n.split()[0] not in commands and n not in groups
    )
    assert not unknown, f"README names commands that do not exist: {unknown}"


def test_help_lists_every_top_level_command() -> None:
    out = CliRunner().invoke(load_commands(), ["--help"], env={"COLUMNS": "200"}).output
    top = {c.split()[0] for c in leaf_commands()}
    assert top == set(COMMAND_MODULES), "COMMAND_MODULES and the registered commands differ"
    for name in top:
        assert re.search(rf"│ {name}\b", out), f"--help does not list {name}"
