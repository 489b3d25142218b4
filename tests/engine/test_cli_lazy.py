"""The CLI imports only what the command being run needs (start-up < 0.2 s)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "matplotlib", "fastapi", "kneecoach.store.db", "kneecoach.web")

PROBE = """
import json, sys
from kneecoach.cli import main
sys.argv = ["kneecoach", *{argv!r}]
try:
    main()
except SystemExit:
    pass
print("\\n@@" + json.dumps(sorted(sys.modules)))
"""


def _modules_after(argv: list[str]) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True,
                         text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.rsplit("@@", 1)[1]))


@pytest.mark.parametrize("argv", [["assess", "--example", "runners_knee_004", "-f", "json"],
                                  ["example", "marathoner_000"], ["kb", "check"]])
def test_fast_commands_skip_database_web_and_plotting(argv: list[str]) -> None:
    loaded = _modules_after(argv)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_every_registered_command_is_mapped_to_its_module() -> None:
    import typer.main

    from kneecoach.cli import COMMAND_MODULES, app

    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    assert names == set(COMMAND_MODULES), "add new commands to kneecoach.cli.COMMAND_MODULES"
