"""The load chart is written as a real PNG/SVG, deterministically."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import act
from kneecoach.tracking.load import acwr_rolling, daily_distance_km, weekly_load
from kneecoach.tracking.plots import plot_load

START = date(2026, 1, 5)


def _data():  # type: ignore[no-untyped-def]
    runs = [act(START + timedelta(days=d), 5 + (d % 7)) for d in range(0, 70, 2)]
    weeks = weekly_load(runs)
    pain = {w.week_start: float(i % 5) for i, w in enumerate(weeks)}
    pain[weeks[2].week_start] = None  # a week without scores is a gap, not zero
    points = acwr_rolling(daily_distance_km(runs, START, START + timedelta(days=70)))
    return weeks, pain, points


def test_png_written_and_deterministic(tmp_path: Path) -> None:
    weeks, pain, points = _data()
    a = plot_load(weeks, pain, points, tmp_path / "a.png")
    b = plot_load(weeks, pain, points, tmp_path / "sub" / "b.png")
    data = a.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a 900x600 chart with content, not an empty canvas
    assert data == b.read_bytes()


def test_svg_has_labels_and_band(tmp_path: Path) -> None:
    weeks, pain, points = _data()
    text = plot_load(weeks, pain, points, tmp_path / "c.svg").read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for label in ("Weekly distance (km)", "Mean pain (0-10)", "Acute:chronic ratio", "0.8-1.3 band"):
        assert label in text
    assert text == plot_load(weeks, pain, points, tmp_path / "d.svg").read_text(encoding="utf-8")


def test_empty_history_still_draws(tmp_path: Path) -> None:
    out = plot_load([], {}, [], tmp_path / "empty.svg")
    assert "Weekly distance (km)" in out.read_text(encoding="utf-8")


def test_unknown_suffix_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=".png or .svg"):
        plot_load([], {}, [], tmp_path / "chart.jpg")
    assert not (tmp_path / "chart.jpg").exists()
