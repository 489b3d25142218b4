"""Every `kneecoach ...` command in README and docs/ runs as written (issue 22).

The documents are parsed with markdown-it-py (the Markdown parser Rich already brings); each fenced
block's commands run in order, in a sandbox home per document that holds what a reader would have
(the shipped examples, a folder and a zip of runs, the bad profile shown in README). A command
fails the test when it exits otherwise than the document implies (0, or 2 where the document shows
an `Error:`), and a sample output shown under a `$ kneecoach` line must keep its shape: the words
of its first line (numbers and dates aside) appear, in order, in what the command prints now.

Commands that cannot run here say why (`SKIP`): they serve, ask at a prompt, need the `[video]`
extra, a PostgreSQL server or a placeholder the reader fills in.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent

#: (pattern on the command line, why it is not run here)
SKIP: list[tuple[str, str]] = [
    (r"^kneecoach serve\b", "starts a long-running server (tests/web/test_web_serve.py runs it)"),
    (r"^kneecoach intake\b", "asks its questions at a prompt (tests/engine/test_cli_intake.py answers them)"),
    (r"^kneecoach recheck\s*(#|$)", "asks its questions at a prompt"),
    (r"^kneecoach erase\b", "asks for confirmation (tests/store/test_cli_account.py confirms)"),
    (r"^kneecoach selftest video\b", "needs the [video] extra and the reader's own clip (tests/video runs a real one)"),
    (r"postgresql", "needs a PostgreSQL server"),
    (r"\b[A-Z]{3,}\b", "a placeholder the reader fills in"),
    (r"\[--", "a usage line, not a command"),
    (r"/backups/", "writes outside the sandbox"),
]


@dataclass
class Command:
    doc: str
    line: int
    text: str
    shown: list[str] = field(default_factory=list)  # sample output under a `$ ` line

    @property
    def expects_error(self) -> bool:
        return bool(self.shown) and self.shown[0].startswith("Error:")


def commands_in(doc: Path) -> list[Command]:
    out: list[Command] = []
    for tok in MarkdownIt().parse(doc.read_text(encoding="utf-8")):
        if tok.type != "fence" or tok.map is None:
            continue
        current: Command | None = None
        for offset, raw in enumerate(tok.content.splitlines()):
            line = raw.strip()
            prompt = line.startswith("$ ")
            cmd = line[2:] if prompt else line
            cmd = cmd.removeprefix(".venv/bin/")
            if cmd.startswith("kneecoach "):
                cmd = re.sub(r"\s+#.*$", "", cmd)
                current = Command(doc.name, tok.map[0] + offset + 2, cmd)
                out.append(current)
            elif prompt or not line:
                current = None if prompt else current
            elif current is not None and tok.info in ("text", "console", ""):
                current.shown.append(line)
    return out


def skip_reason(cmd: str) -> str | None:
    return next((why for pattern, why in SKIP if re.search(pattern, cmd)), None)


def _gpx(path: Path, start: datetime, km: float) -> None:
    n = max(2, int(km * 10))
    points = "".join(
        f'<trkpt lat="{47.0 + i * km / n / 111.2:.6f}" lon="8.5"><ele>400</ele>'
        f"<time>{(start + timedelta(seconds=i * 330 * km / n)).isoformat()}Z</time></trkpt>"
        for i in range(n + 1)
    )
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><type>running</type><trkseg>{points}</trkseg></trk></gpx>",
        encoding="utf-8",
    )


def sandbox(tmp: Path) -> dict[str, str]:
    """A reader's folder: runs, a zip of runs, the bad profile README shows; and the environment."""
    (tmp / "runs").mkdir()
    today = datetime.now().replace(hour=7, minute=0, second=0, microsecond=0)
    for i in range(6):
        _gpx(tmp / "runs" / f"run{i}.gpx", today - timedelta(days=3 + 4 * i), 6.0 + i % 3)
    with zipfile.ZipFile(tmp / "runs.zip", "w") as z:
        z.write(tmp / "runs" / "run0.gpx", "activities/run0.gpx")
    (tmp / "Downloads").mkdir()
    shutil.copy(tmp / "runs.zip", tmp / "Downloads" / "export.zip")
    (tmp / "bad.yaml").write_text(
        "symptoms: {sides: [left], locations: [around_kneecap], agravators: [stairs_up]}\n"
        "running: {current_weekly_km: -5, target_weekly_km: 30}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNEECOACH_")}
    env.update(
        HOME=str(tmp), XDG_DATA_HOME=str(tmp / ".local" / "share"), COLUMNS="120",
        KNEECOACH_DB=str(tmp / "kneecoach.db"), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    if "KNEECOACH_CACHE_DIR" in os.environ:
        env["KNEECOACH_CACHE_DIR"] = os.environ["KNEECOACH_CACHE_DIR"]
    return env


def words(line: str) -> list[str]:
    """The shape of a line: its words without digits, dates or punctuation."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", line) if len(w) > 2]


def keeps_shape(shown: str, actual: str) -> bool:
    """The label before a colon (``- Decision: ...``) or else the first three words, in order.

    What follows a label depends on the reader's data (a decision, a distance); the label is what
    the command promises to print."""
    head, colon, _ = shown.partition(":")
    wanted = words(head)[:3] if colon and len(head) <= 30 else words(shown)[:3]
    got = words(actual)
    i = 0
    for w in got:
        if i < len(wanted) and w == wanted[i]:
            i += 1
    return i == len(wanted)


def runnable(doc: Path) -> list[Command]:
    return [c for c in commands_in(doc) if not skip_reason(c.text)]


#: Documents with at least one command to run here (the others only serve, or show none).
RUNNABLE_DOCS = [d for d in DOCS if runnable(d)]


def test_most_documented_commands_are_run() -> None:
    """The skip list stays an exception: most commands the documents show are really run."""
    cmds = [c for d in DOCS for c in commands_in(d)]
    assert len([c for c in cmds if not skip_reason(c.text)]) >= 0.7 * len(cmds)
    assert {d.name for d in RUNNABLE_DOCS} >= {"README.md", "formats.md", "figures.md"}


@pytest.mark.parametrize("doc", RUNNABLE_DOCS, ids=lambda p: p.name)
def test_documented_commands_run_as_written(doc: Path, tmp_path: Path) -> None:
    env = sandbox(tmp_path)
    problems: list[str] = []
    for c in runnable(doc):
        res = subprocess.run(["bash", "-c", c.text], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300, stdin=subprocess.DEVNULL)
        output = res.stdout + res.stderr
        want = 2 if c.expects_error else (3, 0)
        if (res.returncode not in want) if isinstance(want, tuple) else res.returncode != want:
            problems.append(f"{c.doc}:{c.line}: `{c.text}` exited {res.returncode}:\n{output[-800:]}")
        elif c.shown and not keeps_shape(c.shown[0], output):
            problems.append(f"{c.doc}:{c.line}: `{c.text}` no longer prints the shape shown "
                            f"({c.shown[0]!r}); now:\n{output[:800]}")
        if "Traceback" in output:
            problems.append(f"{c.doc}:{c.line}: `{c.text}` printed a traceback:\n{output[-800:]}")
    assert not problems, "\n\n".join(problems)


def test_the_reader_parses_prompts_samples_and_comments() -> None:
    md = "```text\n$ kneecoach log pain 14   # too high\nError: pain score must be from 0\n$ kneecoach runs\n```\n"
    doc = ROOT / "tests" / "docs" / "_probe.md"
    try:
        doc.write_text(md, encoding="utf-8")
        cmds = commands_in(doc)
    finally:
        doc.unlink()
    assert [c.text for c in cmds] == ["kneecoach log pain 14", "kneecoach runs"]
    assert cmds[0].expects_error and not cmds[1].shown
    assert keeps_shape("Error: pain score must be from 0 (none)", "Error: pain score must be from 0 (none) to 10")
    assert not keeps_shape("- Decision: step back", "- Verdict: step back")
    assert keeps_shape("- Decision: step back, next week", "- Decision: hold, next week")
    assert skip_reason("kneecoach serve --port 8080") and skip_reason("kneecoach user reset-password EMAIL --db URL")
