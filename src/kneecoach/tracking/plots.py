"""Load and pain chart: weekly distance with pain, and the acute:chronic ratio.

Matplotlib with the Agg backend (no display needed, safe in a web worker).
Output is deterministic: fixed figure size and DPI, no timestamps in PNG/SVG
metadata and a fixed SVG hash salt, so the same history always gives the
same file (handy for tests and for caching in the web app).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kneecoach.tracking.load import AcwrPoint, WeekLoad  # noqa: E402

__all__ = ["ACWR_BAND", "plot_load", "plot_trends"]

#: The acute:chronic band usually described as "load matches what the body is used to".
ACWR_BAND = (0.8, 1.3)


def _save(fig: Figure, path: Path, fmt: str) -> Path:
    """Write deterministically: no timestamps or software tags, a fixed SVG hash salt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, str | None] = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context({"svg.hashsalt": "kneecoach", "svg.fonttype": "none"}):
        fig.savefig(path, format=fmt, metadata=metadata)
    return path


def plot_load(
    weeks: Sequence[WeekLoad],
    pain_by_week: Mapping[date, float | None],
    acwr_points: Sequence[AcwrPoint],
    path: Path,
    *,
    title: str = "Running load and knee pain",
) -> Path:
    """Draw the chart to ``path`` (PNG or SVG, by suffix) and return ``path``.

    Top panel: weekly km as bars, mean pain (0-10) as a line on a second axis.
    Bottom panel: the acute:chronic workload ratio with the 0.8-1.3 band
    shaded; days without a ratio yet (under four weeks of history) are gaps.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in {"png", "svg"}:
        raise ValueError(f"plot file must end in .png or .svg, got {path.name!r}")

    fig = Figure(figsize=(9, 6), dpi=100)
    ax_km, ax_acwr = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})

    xs = [w.week_start + timedelta(days=3) for w in weeks]  # bar centred mid-week
    ax_km.bar(xs, [w.distance_km for w in weeks], width=5, color="#4C72B0", label="Weekly distance (km)")
    ax_km.set_ylabel("Weekly distance (km)")
    ax_km.set_ylim(0, max((w.distance_km for w in weeks), default=0) * 1.1 or 10)  # never below zero
    ax_km.set_title(title)
    ax_pain = ax_km.twinx()
    pain_pts = [(x, pain_by_week.get(w.week_start)) for x, w in zip(xs, weeks)]
    ax_pain.plot(
        [x for x, p in pain_pts if p is not None],
        [p for _, p in pain_pts if p is not None],
        color="#C44E52",
        marker="o",
        label="Mean pain (0-10)",
    )
    ax_pain.set_ylim(0, 10)
    ax_pain.set_ylabel("Mean pain (0-10)")
    handles = ax_km.get_legend_handles_labels()[0] + ax_pain.get_legend_handles_labels()[0]
    if handles:
        ax_km.legend(handles=handles, loc="upper left", fontsize="small")

    lo, hi = ACWR_BAND
    ax_acwr.axhspan(lo, hi, color="#55A868", alpha=0.2, label=f"{lo}-{hi} band")
    days = [p.day for p in acwr_points]
    ratios = [p.ratio if p.ratio is not None else float("nan") for p in acwr_points]
    ax_acwr.plot(days, ratios, color="#333333", label="Acute:chronic ratio")
    ax_acwr.set_ylabel("ACWR (7 d : 28 d)")
    finite = [r for r in ratios if r == r]
    ax_acwr.set_ylim(0, max(2.0, max(finite, default=0) * 1.1))
    ax_acwr.legend(loc="upper left", fontsize="small")
    ax_acwr.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    fig.autofmt_xdate()
    fig.tight_layout()

    return _save(fig, path, fmt)


def plot_trends(points: Sequence, weeks: Sequence[WeekLoad], pain: Sequence, path: Path) -> Path:
    """Re-test trends on one time axis: Kujala and limb symmetry (top), weekly km with mean pain (bottom).

    ``points`` are :class:`kneecoach.tracking.progress.TrendPoint`; ``pain`` diary entries. Deterministic
    output as :func:`plot_load`.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in {"png", "svg"}:
        raise ValueError(f"plot file must end in .png or .svg, got {path.name!r}")
    fig = Figure(figsize=(9, 6), dpi=100)
    ax_t, ax_km = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    kj = [(p.day, p.kujala) for p in points if p.kujala is not None]
    if kj:
        ax_t.plot([d for d, _ in kj], [v for _, v in kj], marker="o", color="#4C72B0", label="Kujala (0-100)")
    tests = sorted({t for p in points for t in p.lsi})
    for t, colour in zip(tests, ("#55A868", "#8172B2", "#CCB974")):
        pts = [(p.day, p.lsi[t]) for p in points if t in p.lsi]
        ax_t.plot([d for d, _ in pts], [v for _, v in pts], marker="s", color=colour, label=f"LSI {t} (%)")
    plank = [(p.day, p.plank_s) for p in points if p.plank_s is not None]
    if plank:
        ax_t.plot([d for d, _ in plank], [v for _, v in plank], marker="^", color="#937860", label="Plank (s)")
    ax_t.axhline(90, color="#999999", linestyle=":", linewidth=1)
    ax_t.set_ylim(0, 105)
    ax_t.set_title("Re-tests: Kujala, limb symmetry and plank")
    if ax_t.get_legend_handles_labels()[0]:
        ax_t.legend(loc="lower right", fontsize="small")
    xs = [w.week_start + timedelta(days=3) for w in weeks]
    ax_km.bar(xs, [w.distance_km for w in weeks], width=5, color="#4C72B0", alpha=0.6, label="Weekly km")
    ax_km.set_ylim(0, max((w.distance_km for w in weeks), default=0) * 1.1 or 10)
    ax_km.set_ylabel("km / week")
    by_week: dict[date, list[int]] = {}
    for e in pain:
        by_week.setdefault(e.day - timedelta(days=e.day.weekday()), []).append(e.score)
    ax_p = ax_km.twinx()
    pw = sorted((d + timedelta(days=3), sum(v) / len(v)) for d, v in by_week.items())
    ax_p.plot([d for d, _ in pw], [v for _, v in pw], color="#C44E52", marker="o", label="Mean pain (0-10)")
    ax_p.set_ylim(0, 10)
    ax_p.set_ylabel("pain 0-10")
    ax_km.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    fig.autofmt_xdate()
    fig.tight_layout()
    return _save(fig, path, fmt)
