"""`kneecoach assess` in a terminal: one screen of what matters, the full report in a file beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kneecoach.cli import app

SCREEN_LINES = 60  # a generous terminal; the full report is many times this


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    return result.exit_code, result.output


def flat(text: str) -> str:
    """Terminal text with Rich's wrapping and block-quote bars taken out."""
    return " ".join(text.replace("▌", " ").split())


@pytest.fixture(autouse=True)
def _data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_summary_fits_one_screen_and_the_full_report_is_written(tmp_path: Path) -> None:
    code, out = run("assess", "--example", "marathoner_000")
    assert code == 0, out
    report = tmp_path / "data" / "kneecoach" / "reports" / "marathoner_000-report.md"
    assert report.exists()
    full = report.read_text()
    assert len(out.splitlines()) <= SCREEN_LINES < len(full.splitlines())
    assert "This week" in out and "Running:" in out and "Most likely imbalances" in out
    assert str(report) in out.replace("\n", "")
    assert "not a diagnosis" in flat(out).lower()
    # the report is the full Markdown report, with its evidence tables and disagreements
    assert "## Where the sources disagree" in full and "| Evidence |" in full


def test_full_prints_everything(tmp_path: Path) -> None:
    code, out = run("assess", "--example", "marathoner_000", "--full")
    assert code == 0, out
    assert len(out.splitlines()) > SCREEN_LINES
    assert not (tmp_path / "data" / "kneecoach" / "reports").exists()


def test_report_goes_beside_the_profile_file(tmp_path: Path) -> None:
    profile = tmp_path / "riley.yaml"
    assert run("example", "chain_check_001", "-o", str(profile))[0] == 0
    code, out = run("assess", str(profile))
    assert code == 0, out
    assert (tmp_path / "riley-report.md").exists()
    assert (tmp_path / "riley-report_figures").is_dir()


def test_a_referral_leads_the_summary(tmp_path: Path) -> None:
    code, out = run("assess", "--example", "red_flag_locking")
    assert code == 3
    assert "See a clinician first" in out
    assert "This week" not in out  # no plan while a warning sign is present


def test_other_formats_are_unchanged(tmp_path: Path) -> None:
    code, out = run("assess", "--example", "marathoner_000", "-f", "markdown")
    assert code == 0 and out.startswith("# kneecoach assessment")
    assert not (tmp_path / "data" / "kneecoach" / "reports").exists()
