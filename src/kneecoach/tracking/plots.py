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

__all__ = ["ACWR_BAND", "plot_load"]

#: The acute:chronic band usually described as "load matches what the body is used to".
ACWR_BAND = (0.8, 1.3)


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

    path.parent.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, str | None] = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with matplotlib.rc_context({"svg.hashsalt": "kneecoach", "svg.fonttype": "none"}):
        fig.savefig(path, format=fmt, metadata=metadata)
    return path
