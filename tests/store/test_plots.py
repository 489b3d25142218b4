"""The load chart is written as a real PNG/SVG, deterministically."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import act
from kneecoach.tracking.diary import PainObs
from kneecoach.tracking.load import acwr_rolling, daily_distance_km, weekly_load
from kneecoach.tracking.plots import date_ticks, nice_ticks, plot_load, plot_trends
from kneecoach.tracking.progress import TrendPoint

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


def _trends():  # type: ignore[no-untyped-def]
    points = [TrendPoint(START + timedelta(days=21 * i), "retest", 60 + 8 * i,
                         {"hop": 65.0 + 9 * i, "sit-to-stand": 70.0 + 7 * i} if i else {},
                         None if i == 1 else 20.0 + 10 * i, None) for i in range(4)]
    runs = [act(START + timedelta(days=d), 5 + (d % 7)) for d in range(0, 70, 2)]
    pain = [PainObs(START + timedelta(days=d), "during", d % 6) for d in range(0, 70, 3)]
    return points, weekly_load(runs), pain


def test_trends_png_and_svg(tmp_path: Path) -> None:
    points, weeks, pain = _trends()
    data = plot_trends(points, weeks, pain, tmp_path / "t.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert data == plot_trends(points, weeks, pain, tmp_path / "t2.png").read_bytes()
    text = plot_trends(points, weeks, pain, tmp_path / "t.svg").read_text(encoding="utf-8")
    for label in ("Re-tests: Kujala, limb symmetry and plank", "Kujala (0-100)", "LSI hop (%)",
                  "LSI sit-to-stand (%)", "Plank (s)", "km / week", "pain 0-10"):
        assert label in text
    assert "stroke-dasharray" in text  # the dotted 90 % line


def test_trends_without_retests_or_runs_still_draws(tmp_path: Path) -> None:
    assert "km / week" in plot_trends([], [], [], tmp_path / "e.svg").read_text(encoding="utf-8")
    assert plot_trends([], [], [], tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"


def test_svg_text_is_escaped(tmp_path: Path) -> None:
    weeks, pain, points = _data()
    text = plot_load(weeks, pain, points, tmp_path / "x.svg", title="Knee <left> & right").read_text(encoding="utf-8")
    assert "Knee &lt;left&gt; &amp; right" in text and "<left>" not in text


def test_round_axis_ticks() -> None:
    assert nice_ticks(330) == [0, 50, 100, 150, 200, 250, 300]
    assert nice_ticks(10, 5) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(2.0, 5) == [0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(0) == [0.0]


def test_date_ticks_pick_round_dates() -> None:
    from datetime import date

    assert date_ticks(date(2026, 9, 8), date(2026, 12, 6)) == [
        date(2026, 9, 15), date(2026, 10, 1), date(2026, 10, 15), date(2026, 11, 1), date(2026, 11, 15),
        date(2026, 12, 1)]
    assert date_ticks(date(2026, 3, 2), date(2026, 3, 9)) == [date(2026, 3, 2) + timedelta(days=i) for i in range(8)]
    assert all(d.month == 1 and d.day == 1 for d in date_ticks(date(2016, 5, 1), date(2026, 5, 1)))
    assert len(date_ticks(date(2016, 5, 1), date(2026, 5, 1))) <= 8
