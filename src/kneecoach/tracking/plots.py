"""Load and pain chart (weekly distance with pain, and the acute:chronic ratio); re-test trends chart.

Both are drawn with :mod:`kneecoach.tracking.canvas` (SVG by hand, PNG with
Pillow) rather than matplotlib: importing matplotlib costs about half a
second, more than the whole ``kneecoach plot`` takes otherwise on a ten-year
history, and these charts are a few dozen shapes. The layout follows the
matplotlib charts they replace (same panels, axes, colours and legends).
Output is deterministic: fixed size, no timestamps in PNG/SVG metadata, so
the same history always gives the same file (handy for tests and caching).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kneecoach.intake.units import DistanceFormat
from kneecoach.tracking.canvas import Circle, Polygon, Polyline, Rect, Scene, Shape, Text
from kneecoach.tracking.load import AcwrPoint, WeekLoad

if TYPE_CHECKING:
    from kneecoach.tracking.diary import PainObs
    from kneecoach.tracking.progress import TrendPoint

__all__ = ["ACWR_BAND", "plot_load", "plot_trends"]

#: The acute:chronic band usually described as "load matches what the body is used to".
ACWR_BAND = (0.8, 1.3)

BLUE, RED, GREEN, INK = "#4C72B0", "#C44E52", "#55A868", "#333333"
WIDTH, HEIGHT = 900, 600
TICK, LABEL, TITLE, LEGEND = 13.0, 13.0, 16.0, 11.5  # font sizes, px


def _check_suffix(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in {"png", "svg"}:
        raise ValueError(f"plot file must end in .png or .svg, got {path.name!r}")
    return fmt


# --------------------------------------------------------------------------- scales and ticks


def nice_ticks(top: float, max_ticks: int = 7) -> list[float]:
    """Ticks from 0 to ``top`` at a round step (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0]
    raw = top / max_ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [round(i * step, 10) for i in range(int(top / step + 1e-9) + 1)]


def tick_label(value: float, ticks: Sequence[float]) -> str:
    """All labels of an axis with the same number of decimals (0.0, 0.5, 1.0; 0, 50, 100)."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = 0 if float(step).is_integer() and all(float(t).is_integer() for t in ticks) else 1
    return f"{value:.{decimals}f}"


def date_ticks(first: date, last: date, max_ticks: int = 8) -> list[date]:
    """Round dates between ``first`` and ``last``: every 1-7 days, the 1st and 15th, or every 1-6 months / years."""
    span = (last - first).days
    for step in (1, 2, 7):
        if span / step <= max_ticks:
            start = first + timedelta(days=(-first.weekday()) % 7) if step == 7 else first
            return [start + timedelta(days=i) for i in range(0, (last - start).days + 1, step)]
    months = [date(y, m, d) for y in range(first.year, last.year + 1) for m in range(1, 13) for d in (1, 15)]
    semi = [d for d in months if first <= d <= last]
    if len(semi) <= max_ticks:
        return semi
    firsts = [d for d in semi if d.day == 1]
    for step in (1, 2, 3, 4, 6):
        picked = [d for d in firsts if (d.month - 1) % step == 0]
        if len(picked) <= max_ticks:
            return picked
    years = [d for d in firsts if d.month == 1]
    step = max(1, math.ceil(len(years) / max_ticks))
    return [d for d in years if d.year % step == 0]


@dataclass(frozen=True)
class Panel:
    """A plot area in pixels (left, top, right, bottom) and the data ranges it shows."""

    left: float
    top: float
    right: float
    bottom: float
    x0: float  # date ordinals
    x1: float

    def x(self, day: float) -> float:
        return self.left + (day - self.x0) / ((self.x1 - self.x0) or 1.0) * (self.right - self.left)

    def y(self, value: float, top_value: float) -> float:
        return self.bottom - value / (top_value or 1.0) * (self.bottom - self.top)


def _y_axis(p: Panel, ticks: Sequence[float], top_value: float, label: str, right: bool = False) -> list[Shape]:
    """Tick marks, numbers and the rotated axis label on the left (or right) edge of ``p``."""
    edge, sign = (p.right, 1) if right else (p.left, -1)
    shapes: list[Shape] = []
    for t in ticks:
        y = p.y(t, top_value)
        shapes.append(Polyline(((edge, y), (edge + sign * 3.5, y)), "#000000", 0.8))
        shapes.append(Text(edge + sign * 6, y, tick_label(t, ticks), TICK, "start" if right else "end"))
    widest = max((len(tick_label(t, ticks)) for t in ticks), default=1)
    if label:
        shapes.append(Text(edge + sign * (14 + 8 * widest), (p.top + p.bottom) / 2, label, LABEL, "middle", 90.0))
    return shapes


def _marker(kind: str, x: float, y: float, colour: str) -> Shape:
    """A data-point marker: "circle", "square" or "triangle" (pointing up), about 8 px across."""
    if kind == "square":
        return Polygon(((x - 3.6, y - 3.6), (x + 3.6, y - 3.6), (x + 3.6, y + 3.6), (x - 3.6, y + 3.6)), colour)
    if kind == "triangle":
        return Polygon(((x, y - 4.8), (x + 4.3, y + 3.2), (x - 4.3, y + 3.2)), colour)
    return Circle(x, y, 4.0, colour)


def _series(points: Sequence[tuple[float, float]], colour: str, marker: str | None = None) -> list[Shape]:
    """A line through ``points`` (pixels), with a marker on each when ``marker`` is given."""
    shapes: list[Shape] = [Polyline(tuple(points), colour, 2.0)] if points else []
    return shapes + [_marker(marker, x, y, colour) for x, y in points] if marker else shapes


def _legend(p: Panel, entries: Sequence[tuple[str, str, str, float]], corner: str = "upper left") -> list[Shape]:
    """A framed legend in a corner of ``p``; entries are (kind, colour, label, opacity).

    ``kind``: "bar" or "band" (a filled box), "line", or a marker name
    ("circle", "square", "triangle": a line with that marker).
    """
    if not entries:
        return []
    row, width = 19.0, 14 + max(len(e[2]) for e in entries) * 6.6 + 40
    height = row * len(entries) + 6
    x = p.left + 6 if corner.endswith("left") else p.right - 6 - width
    y = p.top + 6 if corner.startswith("upper") else p.bottom - 6 - height
    shapes: list[Shape] = [Rect(x, y, width, height, "#ffffff", "#cccccc", 0.85)]
    for i, (kind, colour, label, opacity) in enumerate(entries):
        cy = y + 3 + row * (i + 0.5)
        if kind in {"bar", "band"}:
            shapes.append(Rect(x + 8, cy - 5, 24, 10, colour, None, opacity))
        else:
            shapes.append(Polyline(((x + 8, cy), (x + 32, cy)), colour, 2.0))
            if kind != "line":
                shapes.append(_marker(kind, x + 20, cy, colour))
        shapes.append(Text(x + 40, cy, label, LEGEND, "start"))
    return shapes


def _frame(p: Panel) -> Rect:
    """The black outline of a plot area (drawn over the data, as matplotlib's spines are)."""
    return Rect(p.left, p.top, p.right - p.left, p.bottom - p.top, None, "#000000", 1.0, 0.8)


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split a series at ``None`` values: a day without a ratio is a gap in the line, not zero."""
    out: list[list[tuple[float, float]]] = [[]]
    for x, v in points:
        if v is None:
            if out[-1]:
                out.append([])
        else:
            out[-1].append((x, v))
    return [seg for seg in out if seg]


# --------------------------------------------------------------------------- the load chart


def _x_range(weeks: Sequence[WeekLoad], days: Sequence[date]) -> tuple[float, float]:
    """Date ordinals covering the bars (5 days wide, centred mid-week) and the other points, plus 5 % margins."""
    xs = [w.week_start.toordinal() + 3 + d for w in weeks for d in (-2.5, 2.5)]
    xs += [d.toordinal() for d in days]
    if not xs:
        return 0.0, 1.0
    lo, hi = min(xs), max(xs)
    pad = (hi - lo) * 0.05 or 1.0
    return lo - pad, hi + pad


def _bars(p: Panel, weeks: Sequence[WeekLoad], top: float, opacity: float = 1.0, per: float = 1.0) -> list[Shape]:
    """Weekly distance as bars 5 days wide, centred mid-week (``per``: km in one unit of the axis)."""
    shapes: list[Shape] = []
    for w in weeks:
        mid = w.week_start.toordinal() + 3
        y = p.y(w.distance_km / per, top)
        shapes.append(Rect(p.x(mid - 2.5), y, p.x(mid + 2.5) - p.x(mid - 2.5), p.bottom - y, BLUE, None, opacity))
    return shapes


def _km_panel(p: Panel, weeks: Sequence[WeekLoad], pain_by_week: Mapping[date, float | None],
              unit: str = "km") -> list[Shape]:
    """Top panel: weekly distance bars in ``unit`` (left axis), mean pain as a line with dots (right axis, 0-10)."""
    per = DistanceFormat(unit).factor
    top_km = max((w.distance_km / per for w in weeks), default=0) * 1.1 or 10
    ticks = [t for t in nice_ticks(top_km) if t <= top_km]
    shapes = _bars(p, weeks, top_km, per=per)
    pain = [(p.x(w.week_start.toordinal() + 3), p.y(v, 10)) for w in weeks
            if (v := pain_by_week.get(w.week_start)) is not None]
    shapes += _series(pain, RED, "circle")
    shapes.append(_frame(p))
    shapes += _y_axis(p, ticks, top_km, f"Weekly distance ({unit})")
    shapes += _y_axis(p, nice_ticks(10, 5), 10, "Mean pain (0-10)", right=True)
    legend = [("bar", BLUE, f"Weekly distance ({unit})", 1.0)] if weeks else []
    return shapes + _legend(p, legend + ([("circle", RED, "Mean pain (0-10)", 1.0)] if pain else []))


def _acwr_panel(p: Panel, acwr_points: Sequence[AcwrPoint]) -> list[Shape]:
    """Bottom panel: the acute:chronic ratio over the shaded comfortable band; gaps where there is no ratio."""
    finite = [a.ratio for a in acwr_points if a.ratio is not None]
    top = max(2.0, max(finite, default=0) * 1.1)
    lo, hi = ACWR_BAND
    shapes: list[Shape] = [Rect(p.left, p.y(hi, top), p.right - p.left, p.y(lo, top) - p.y(hi, top), GREEN, None, 0.2)]
    for seg in _segments([(p.x(a.day.toordinal()), a.ratio) for a in acwr_points]):
        shapes.append(Polyline(tuple((x, p.y(v, top)) for x, v in seg), INK, 2.0))
    shapes.append(_frame(p))
    shapes += _y_axis(p, [t for t in nice_ticks(top, 5) if t <= top], top, "ACWR (7 d : 28 d)")
    return shapes + _legend(p, [("band", GREEN, f"{lo}-{hi} band", 0.2), ("line", INK, "Acute:chronic ratio", 1.0)])


def _date_axis(p: Panel, top_panel: Panel) -> list[Shape]:
    """Tick marks on both panels' bottom edges; dates ("01 Oct") turned 30 degrees under the lower one."""
    if p.x1 - p.x0 <= 1:
        return []
    shapes: list[Shape] = []
    for d in date_ticks(date.fromordinal(math.ceil(p.x0)), date.fromordinal(math.floor(p.x1))):
        x = p.x(d.toordinal())
        for edge in (top_panel.bottom, p.bottom):
            shapes.append(Polyline(((x, edge), (x, edge + 3.5)), "#000000", 0.8))
        shapes.append(Text(x + 3, p.bottom + 10, f"{d:%d %b}", TICK, "end", 30.0))
    return shapes


def plot_load(
    weeks: Sequence[WeekLoad],
    pain_by_week: Mapping[date, float | None],
    acwr_points: Sequence[AcwrPoint],
    path: Path,
    *,
    title: str = "Running load and knee pain",
    unit: str = "km",
) -> Path:
    """Draw the chart to ``path`` (PNG or SVG, by suffix) and return ``path``.

    Top panel: weekly distance in ``unit`` (km or mi) as bars, mean pain (0-10) as a line on a second axis.
    Bottom panel: the acute:chronic workload ratio with the 0.8-1.3 band
    shaded; days without a ratio yet (under four weeks of history) are gaps.
    """
    path = Path(path)
    _check_suffix(path)
    x0, x1 = _x_range(weeks, [p.day for p in acwr_points])
    top = Panel(72, 36, 836, 320, x0, x1)
    bottom = Panel(72, 349, 836, 538, x0, x1)
    scene = Scene(WIDTH, HEIGHT, title)
    scene.add(Text(WIDTH / 2, 21, title, TITLE))
    scene.add(*_km_panel(top, weeks, pain_by_week, unit), *_acwr_panel(bottom, acwr_points), *_date_axis(bottom, top))
    return scene.save(path)


def _retest_panel(p: Panel, points: Sequence[TrendPoint]) -> list[Shape]:
    """Top panel of the trends chart: Kujala, limb symmetry per test and plank, with a dotted 90 % line."""
    def xy(day: date, v: float) -> tuple[float, float]:
        return p.x(day.toordinal()), p.y(v, 105)

    shapes: list[Shape] = [Polyline(((p.left, p.y(90, 105)), (p.right, p.y(90, 105))), "#999999", 1.0, (1.5, 2.5))]
    legend: list[tuple[str, str, str, float]] = []
    kj = [xy(t.day, t.kujala) for t in points if t.kujala is not None]
    if kj:
        shapes += _series(kj, BLUE, "circle")
        legend.append(("circle", BLUE, "Kujala (0-100)", 1.0))
    for test, colour in zip(sorted({k for t in points for k in t.lsi}), ("#55A868", "#8172B2", "#CCB974")):
        shapes += _series([xy(t.day, t.lsi[test]) for t in points if test in t.lsi], colour, "square")
        legend.append(("square", colour, f"LSI {test} (%)", 1.0))
    plank = [xy(t.day, t.plank_s) for t in points if t.plank_s is not None]
    if plank:
        shapes += _series(plank, "#937860", "triangle")
        legend.append(("triangle", "#937860", "Plank (s)", 1.0))
    shapes += [_frame(p), *_y_axis(p, nice_ticks(105, 6), 105, "")]
    return shapes + _legend(p, legend, "lower right")


def _weekly_panel(p: Panel, weeks: Sequence[WeekLoad], pain: Sequence[PainObs], unit: str = "km") -> list[Shape]:
    """Bottom panel of the trends chart: weekly distance bars (``unit``) and the weekly mean pain of every entry."""
    per = DistanceFormat(unit).factor
    top_km = max((w.distance_km / per for w in weeks), default=0) * 1.1 or 10
    by_week: dict[date, list[int]] = {}
    for e in pain:
        by_week.setdefault(e.day - timedelta(days=e.day.weekday()), []).append(e.score)
    means = sorted((d + timedelta(days=3), sum(v) / len(v)) for d, v in by_week.items())
    shapes = _bars(p, weeks, top_km, 0.6, per) + _series([(p.x(d.toordinal()), p.y(v, 10)) for d, v in means], RED, "circle")
    shapes += [_frame(p), *_y_axis(p, [t for t in nice_ticks(top_km) if t <= top_km], top_km, f"{unit} / week")]
    return shapes + _y_axis(p, nice_ticks(10, 5), 10, "pain 0-10", right=True)


def plot_trends(points: Sequence[TrendPoint], weeks: Sequence[WeekLoad], pain: Sequence[PainObs], path: Path,
                *, unit: str = "km") -> Path:
    """Re-test trends on one time axis: Kujala and limb symmetry (top), weekly km with mean pain (bottom).

    ``points`` are :class:`kneecoach.tracking.progress.TrendPoint`; ``pain`` diary entries. Deterministic
    output as :func:`plot_load`.
    """
    path = Path(path)
    _check_suffix(path)
    x0, x1 = _x_range(weeks, [t.day for t in points] + [e.day + timedelta(days=3) for e in pain])
    top = Panel(72, 36, 836, 320, x0, x1)
    bottom = Panel(72, 349, 836, 538, x0, x1)
    title = "Re-tests: Kujala, limb symmetry and plank"
    scene = Scene(WIDTH, HEIGHT, title)
    scene.add(Text((top.left + top.right) / 2, 21, title, TITLE))
    scene.add(*_retest_panel(top, points), *_weekly_panel(bottom, weeks, pain, unit), *_date_axis(bottom, top))
    return scene.save(path)
