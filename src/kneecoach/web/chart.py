"""An inline SVG chart of weekly distance (bars) and pain (line) for the review page.

Drawn by hand rather than with matplotlib because it is a few dozen shapes:
it renders in well under a millisecond, scales crisply on phones and in
print, and carries a text alternative (``<title>``/``<desc>`` plus a data
table on the page) for screen readers.

Sized for a phone first (issue 23): the viewBox is only 440 units wide and the
text 17 units high, so at 390 px (a chart about 330 px wide) every label is
still at least 12 CSS px, and at most a handful of date labels are drawn. On a
desktop the stylesheet caps the chart's height, which keeps the same drawing
from growing huge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from kneecoach.intake.units import DistanceFormat


@dataclass(frozen=True)
class ChartWeek:
    week_start: date
    km: float
    mean_pain: float | None
    max_pain: int | None = None


#: Text height in viewBox units: 17 of 440 is >= 12 CSS px wherever the chart is >= 311 px wide.
FONT = 17
WIDTH = 440
#: At most this many date labels under the x axis (each needs about 60 units at :data:`FONT`).
MAX_X_LABELS = 5


def _label_every(n: int) -> int:
    """Label every k-th bar so that at most :data:`MAX_X_LABELS` labels fit under the axis."""
    return max(1, -(-n // MAX_X_LABELS))


def load_pain_svg(weeks: list[ChartWeek], pain_limit: int | None = None, width: int = WIDTH,
                  height: int = 300, unit: str = "km") -> str:
    """SVG markup: distance bars on the left axis (in ``unit``; ``ChartWeek.km`` stays km), pain 0-10 on the
    right axis, an optional pain-limit line."""
    fmt = DistanceFormat(unit)
    pad_l, pad_r, pad_t, pad_b = 44, 44, 40, 50
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = max(1, len(weeks))
    max_km = max([w.km / fmt.factor for w in weeks] + [1.0])
    top_km = _nice_ceiling(max_km)
    slot = plot_w / n
    bar_w = max(4.0, slot * 0.62)

    def y_km(v: float) -> float:
        return pad_t + plot_h - (v / top_km) * plot_h

    def y_pain(v: float) -> float:
        return pad_t + plot_h - (v / 10.0) * plot_h

    desc = "; ".join(
        f"week of {w.week_start.isoformat()}: {fmt.km(w.km)}"
        + (f", mean pain {w.mean_pain:.1f}" if w.mean_pain is not None else ", no pain entries")
        for w in weeks
    ) or "No runs recorded yet."
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{FONT}">',
        f'<title id="chart-title">Weekly distance (bars, {fmt.unit}) and pain (line, 0-10)</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = pad_t + plot_h - frac * plot_h
        parts.append(f'<line class="grid" x1="{pad_l}" x2="{pad_l + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{top_km * frac:g}</text>')
        parts.append(f'<text class="axis pain" x="{pad_l + plot_w + 6}" y="{y + 4:.1f}">{10 * frac:g}</text>')
    parts.append(f'<text class="axis" x="{pad_l - 6}" y="{pad_t - 16}" text-anchor="end">{fmt.unit}</text>')
    parts.append(f'<text class="axis pain" x="{pad_l + plot_w + 6}" y="{pad_t - 16}">pain</text>')
    points = []
    for i, w in enumerate(weeks):
        cx = pad_l + slot * i + slot / 2
        y = y_km(w.km / fmt.factor)
        parts.append(
            f'<rect class="bar" x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{pad_t + plot_h - y:.1f}"><title>{w.week_start.isoformat()}: {fmt.km(w.km)}</title></rect>'
        )
        if i % _label_every(n) == 0:
            parts.append(f'<text class="axis" x="{cx:.1f}" y="{height - pad_b + 20}" text-anchor="middle">'
                         f'{w.week_start.strftime("%d %b")}</text>')
        if w.mean_pain is not None:
            points.append((cx, y_pain(w.mean_pain), w))
    if pain_limit is not None:
        y = y_pain(pain_limit)
        parts.append(f'<line class="limit" x1="{pad_l}" x2="{pad_l + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis pain" x="{pad_l + 4}" y="{y - 4:.1f}">pain limit {pain_limit}</text>')
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline class="painline" points="{path}"/>')
    for x, y, w in points:
        parts.append(f'<circle class="paindot" cx="{x:.1f}" cy="{y:.1f}" r="6">'
                     f'<title>{w.week_start.isoformat()}: mean pain {w.mean_pain:.1f}</title></circle>')
    parts.append(f'<text class="axis" x="{pad_l + plot_w / 2}" y="{height - 6}" '
                 'text-anchor="middle">week starting</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(v: float) -> float:
    for step in (5, 10, 20, 25, 50, 100, 200, 500):
        if v <= step * 4:
            return float(step * max(1, -(-v // step)))
    return float(-(-v // 100) * 100)


def trends_svg(points: list, weeks: list[ChartWeek], width: int = WIDTH, height: int = 340, unit: str = "km") -> str:
    """Re-tests on one time axis: Kujala and limb symmetry (0-100 scale) as lines with dots, weekly km
    as light bars and weekly mean pain as a dashed line (scaled 0-10 -> 0-100). ``points`` are
    :class:`kneecoach.tracking.progress.TrendPoint`. Readable at phone width (viewBox scales)."""
    pad_l, pad_r, pad_t, pad_b = 40, 16, 20, 86
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    days = [p.day for p in points] + [w.week_start for w in weeks]
    if not days:
        return ""
    first, last = min(days), max(days)
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return pad_l + (d - first).days / span * plot_w

    def y(v: float) -> float:
        return pad_t + plot_h - v / 100.0 * plot_h

    fmt = DistanceFormat(unit)
    max_km = max([w.km / fmt.factor for w in weeks] + [1.0])
    top_km = _nice_ceiling(max_km)
    parts = [
        f'<svg class="chart trends" viewBox="0 0 {width} {height}" role="img" aria-labelledby="tr-title tr-desc" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet" font-size="{FONT}">',
        '<title id="tr-title">Re-test trends</title>',
        '<desc id="tr-desc">' + escape("; ".join(
            f"{p.day:%d %b}: Kujala {p.kujala if p.kujala is not None else 'not scored'}"
            + "".join(f", LSI {k} {v:.0f}%" for k, v in p.lsi.items()) for p in points)) + "</desc>",
    ]
    for v in (0, 50, 90, 100):
        parts.append(f'<line class="grid" x1="{pad_l}" x2="{width - pad_r}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="#ddd" stroke-dasharray="{"4 3" if v == 90 else "0"}"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    bar_w = max(3.0, plot_w / max(1, span / 7) * 0.6)
    for w in weeks:
        h = w.km / fmt.factor / top_km * plot_h
        parts.append(f'<rect class="bar" x="{x(w.week_start):.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar_w:.1f}" '
                     f'height="{h:.1f}" fill="#4C72B0" opacity="0.25"><title>{w.week_start:%d %b}: {fmt.km(w.km, 1)}</title></rect>')
    pain = [(w.week_start, w.mean_pain) for w in weeks if w.mean_pain is not None]
    if pain:
        pts = " ".join(f"{x(d):.1f},{y(v * 10):.1f}" for d, v in pain)
        parts.append(f'<polyline class="pain" points="{pts}" fill="none" stroke="#C44E52" stroke-dasharray="5 3" stroke-width="2"/>')

    def series(values: list[tuple[date, float]], colour: str, cls: str, label: str) -> None:
        if not values:
            return
        if len(values) > 1:
            pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in values)
            parts.append(f'<polyline class="{cls}" points="{pts}" fill="none" stroke="{colour}" stroke-width="3"/>')
        for d, v in values:
            parts.append(f'<circle class="{cls}" cx="{x(d):.1f}" cy="{y(v):.1f}" r="6" fill="{colour}">'
                         f'<title>{d:%d %b}: {label} {v:.0f}</title></circle>')

    series([(p.day, float(p.kujala)) for p in points if p.kujala is not None], "#1f4e79", "kujala", "Kujala")
    for t, colour in zip(sorted({t for p in points for t in p.lsi}), ("#2e7d32", "#6a1b9a", "#8d6e00")):
        series([(p.day, p.lsi[t]) for p in points if t in p.lsi], colour, "lsi", f"LSI {t} %")
    date_y = pad_t + plot_h + FONT + 4
    parts.append(f'<text x="{pad_l}" y="{date_y}">{first:%d %b}</text>')
    parts.append(f'<text x="{width - pad_r}" y="{date_y}" text-anchor="end">{last:%d %b}</text>')
    legend = [("#1f4e79", "Kujala"), ("#2e7d32", "LSI %"), ("#C44E52", "pain x10"), ("#4C72B0", f"{fmt.unit} (max {top_km:g})")]
    for i, (colour, label) in enumerate(legend):  # two rows of two: fits 440 units at a readable size
        lx = pad_l + (i % 2) * 190
        ly = date_y + 12 + (i // 2) * (FONT + 8)
        parts.append(f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{lx + 20}" y="{ly + 13}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
