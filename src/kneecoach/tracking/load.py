"""Running load: weekly totals, acute:chronic workload ratio (ACWR) and warnings.

Everything here is a pure function over :class:`~kneecoach.tracking.activity.Activity`
lists (or a day -> km mapping), so the store, the review and the plots can all
compute the same numbers from the same runs without touching a database.

Conventions
-----------
* **Local date = UTC date of ``Activity.start``.** Activities carry no time zone
  of the runner, and a run that crosses midnight in some zone would otherwise
  land on different days depending on who computes it. UTC keeps results
  reproducible; the cost is that a late-evening run in the Americas may count
  for the next day.
* **Weeks start on Monday** (ISO weeks).
* **Only running counts toward load** by default. Importers keep cycling, hikes
  etc. (with their ``sport``), but knee load from a bike ride is not comparable
  to running kilometres. Pass ``sports=None`` to count everything.
* Load is measured in **kilometres**. Distance is the one quantity every watch
  file has; duration- or heart-rate-based loads would exclude manual entries.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from typing import Literal

from kneecoach.intake.units import KM, DistanceFormat
from kneecoach.tracking.activity import Activity

__all__ = [
    "RUNNING_SPORTS",
    "AcwrPoint",
    "LoadWarning",
    "WeekLoad",
    "acwr_ewma",
    "acwr_rolling",
    "activity_day",
    "daily_distance_km",
    "is_running",
    "load_warnings",
    "week_start",
    "weekly_load",
]

#: Sport labels (lower case) that count toward running load. Importers emit
#: ``"running"`` for runs; the others cover FIT sub-sports and manual entries.
RUNNING_SPORTS: frozenset[str] = frozenset(
    {"running", "run", "trail_running", "treadmill_running", "track_running", "street_running"}
)

#: How many days of history the chronic window needs before a ratio is given.
CHRONIC_DAYS = 28
ACUTE_DAYS = 7


def is_running(activity: Activity, sports: Collection[str] | None = RUNNING_SPORTS) -> bool:
    """True when ``activity`` counts toward load under the ``sports`` filter.

    ``sports=None`` means "every activity counts".
    """
    if sports is None:
        return True
    return activity.sport.strip().lower() in sports


def activity_day(activity: Activity) -> date:
    """The day an activity belongs to: the UTC calendar date of its start."""
    return activity.start.astimezone(timezone.utc).date()


def week_start(day: date) -> date:
    """Monday of the ISO week that contains ``day``."""
    return day - timedelta(days=day.weekday())


def _filtered(activities: Iterable[Activity], sports: Collection[str] | None) -> list[Activity]:
    return [a for a in activities if is_running(a, sports)]


# --------------------------------------------------------------------------- weeks


@dataclass(frozen=True)
class WeekLoad:
    """Totals for one Monday-to-Sunday week.

    ``gain_per_km`` is metres climbed per kilometre run (hilliness), 0 when the
    week has no distance. ``change_pct`` compares ``distance_km`` with the week
    before; it is ``None`` when that week had no distance (a percentage change
    from zero is meaningless, and "first week back" should not read as +inf%).
    """

    week_start: date
    distance_km: float
    duration_h: float
    runs: int
    elevation_gain_m: float
    gain_per_km: float
    longest_run_km: float
    change_pct: float | None


@dataclass
class _WeekAcc:
    distance_km: float = 0.0
    duration_h: float = 0.0
    runs: int = 0
    elevation_gain_m: float = 0.0
    longest_run_km: float = 0.0


def weekly_load(
    activities: Iterable[Activity],
    *,
    start: date | None = None,
    end: date | None = None,
    sports: Collection[str] | None = RUNNING_SPORTS,
) -> list[WeekLoad]:
    """Consecutive weekly totals, empty weeks included as zeros.

    The range covers every week from the one containing ``start`` (default: the
    first activity) to the one containing ``end`` (default: the last activity),
    so a gap in training shows up as zero weeks rather than silently vanishing
    from a chart. Activities outside that range are not counted in any returned
    week, but the week just before the range is still used for the first
    week's ``change_pct``. With no activities and no explicit range the result
    is empty.
    """
    acts = _filtered(activities, sports)
    acc: dict[date, _WeekAcc] = defaultdict(_WeekAcc)
    for a in acts:
        w = acc[week_start(activity_day(a))]
        km = a.distance_km
        w.distance_km += km
        w.duration_h += a.duration_s / 3600.0
        w.runs += 1
        w.elevation_gain_m += a.elevation_gain_m
        w.longest_run_km = max(w.longest_run_km, km)

    if start is None and end is None and not acc:
        return []
    if start is not None:
        first = week_start(start)
    elif acc:
        first = min(acc)
    else:
        assert end is not None
        first = week_start(end)
    if end is not None:
        last = week_start(end)
    else:
        last = max(first, max(acc)) if acc else first
    if last < first:
        if start is not None and end is not None:
            raise ValueError(f"end ({end}) is before start ({start})")
        return []  # open-ended range with no activity inside it

    out: list[WeekLoad] = []
    monday = first
    while monday <= last:
        w = acc.get(monday, _WeekAcc())
        prev = acc.get(monday - timedelta(days=7))
        prev_km = prev.distance_km if prev is not None else 0.0
        change = (w.distance_km - prev_km) / prev_km * 100.0 if prev_km > 0 else None
        out.append(
            WeekLoad(
                week_start=monday,
                distance_km=w.distance_km,
                duration_h=w.duration_h,
                runs=w.runs,
                elevation_gain_m=w.elevation_gain_m,
                gain_per_km=w.elevation_gain_m / w.distance_km if w.distance_km > 0 else 0.0,
                longest_run_km=w.longest_run_km,
                change_pct=change,
            )
        )
        monday += timedelta(days=7)
    return out


def daily_distance_km(
    activities: Iterable[Activity],
    start: date,
    end: date,
    *,
    sports: Collection[str] | None = RUNNING_SPORTS,
) -> dict[date, float]:
    """Kilometres per day for every day from ``start`` to ``end`` inclusive.

    Days without running are present with 0.0: ACWR needs rest days as real
    zeros, not as missing data.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    out = {start + timedelta(days=i): 0.0 for i in range((end - start).days + 1)}
    for a in _filtered(activities, sports):
        d = activity_day(a)
        if d in out:
            out[d] += a.distance_km
    return out


def weekly_rise_pct(activities: Iterable[Activity], today: date, *, recent_weeks: int = 2, back_weeks: int = 6) -> float | None:
    """How much weekly distance rose: the last ``recent_weeks`` 7-day blocks against the block ``back_weeks`` ago.

    The bone stress screen asks whether running rose by about half or more over 4-6 weeks
    (warden2021); with imported runs kneecoach reads it from them instead of asking. ``None``
    when there was no running ``back_weeks`` ago (no base to compare with: a rise from nothing is
    a restart, which the ramp handles) or no runs at all.
    """
    acts = list(_filtered(activities, RUNNING_SPORTS))
    if not acts:
        return None
    start = today - timedelta(days=7 * back_weeks - 1)
    daily = daily_distance_km(acts, start, today, sports=None)

    def block(i: int) -> float:
        """Kilometres in the i-th 7-day block back from today (0 = the last 7 days)."""
        end = today - timedelta(days=7 * i)
        return sum(km for d, km in daily.items() if end - timedelta(days=6) <= d <= end)

    before = block(back_weeks - 1)
    if before <= 0:
        return None
    recent = sum(block(i) for i in range(recent_weeks)) / recent_weeks
    return round((recent - before) / before * 100.0, 1)


# --------------------------------------------------------------------------- ACWR


@dataclass(frozen=True)
class AcwrPoint:
    """Acute and chronic load on one day, both as kilometres per week.

    Expressing both windows as "weekly-equivalent km" makes the two numbers
    directly comparable on a chart and makes the ratio ~1.0 at steady training.
    ``ratio`` is ``None`` until a full chronic window (28 days, counting the day
    itself) of history exists, or when chronic load is zero: a ratio computed
    from a half-filled window is inflated by the missing days and would flag
    every new runner's second week as a spike.
    """

    day: date
    acute_km: float
    chronic_km: float
    ratio: float | None
    method: Literal["rolling", "ewma"]


def daily_history_km(
    activities: Iterable[Activity],
    until: date,
    *,
    lookback_days: int,
    sports: Collection[str] | None = RUNNING_SPORTS,
) -> dict[date, float]:
    """Daily kilometres up to ``until``, starting at the first recorded run (at most ``lookback_days`` back).

    Days before the first recorded run are unknown, not rest: counted as zeros
    they would show a false load spike on the day tracking starts. Rest days
    *after* it are real zeros. Every ACWR chart and review should start here.
    """
    runs = _filtered(activities, sports)
    first = min((activity_day(a) for a in runs), default=until)
    start = min(max(until - timedelta(days=lookback_days), first), until)
    return daily_distance_km(runs, start, until, sports=None)


def _dense_series(daily: Mapping[date, float]) -> list[tuple[date, float]]:
    """Days from the first to the last key, missing days filled with 0."""
    if not daily:
        return []
    for d, km in daily.items():
        if km < 0:
            raise ValueError(f"negative distance {km} km on {d}")
    first, last = min(daily), max(daily)
    return [
        (first + timedelta(days=i), float(daily.get(first + timedelta(days=i), 0.0)))
        for i in range((last - first).days + 1)
    ]


def _ratio(acute: float, chronic: float, history_days: int, needed: int) -> float | None:
    if history_days < needed or chronic <= 0:
        return None
    return acute / chronic


def acwr_rolling(daily: Mapping[date, float]) -> list[AcwrPoint]:
    """Rolling-average ACWR, one point per day from the first to the last day.

    acute = sum of the last 7 days (the day included); chronic = sum of the last
    28 days / 4, i.e. the average week of the past four. The acute week is part
    of the chronic window ("coupled" ACWR, the form most running studies and
    watch apps report). Missing days in ``daily`` count as rest (0 km).
    """
    series = _dense_series(daily)
    kms = [km for _, km in series]
    out: list[AcwrPoint] = []
    # Prefix sums keep this O(n) for multi-year histories.
    prefix = [0.0]
    for km in kms:
        prefix.append(prefix[-1] + km)
    for i, (day, _) in enumerate(series):
        acute = prefix[i + 1] - prefix[max(0, i + 1 - ACUTE_DAYS)]
        chronic = (prefix[i + 1] - prefix[max(0, i + 1 - CHRONIC_DAYS)]) / (CHRONIC_DAYS / 7)
        # Clamp float noise from prefix subtraction (e.g. -1e-15 after rest days).
        acute, chronic = max(acute, 0.0), max(chronic, 0.0)
        out.append(
            AcwrPoint(day, acute, chronic, _ratio(acute, chronic, i + 1, CHRONIC_DAYS), "rolling")
        )
    return out


def acwr_ewma(
    daily: Mapping[date, float], acute_days: int = ACUTE_DAYS, chronic_days: int = CHRONIC_DAYS
) -> list[AcwrPoint]:
    """Exponentially weighted ACWR (Williams et al., 2017, BJSM).

    Each window is an exponentially weighted moving average of daily km::

        EWMA_today = lambda * km_today + (1 - lambda) * EWMA_yesterday
        lambda     = 2 / (N + 1)      (N = 7 acute, 28 chronic)

    Recent days weigh most and old days fade out gradually instead of falling
    off a 28-day cliff, which is why it reacts more smoothly than the rolling
    form. Both averages are seeded with the first day's km and reported ×7
    (weekly-equivalent km, like :func:`acwr_rolling`); the ratio is unaffected
    by that scaling. As with the rolling form the ratio is ``None`` for the
    first ``chronic_days - 1`` days, while the seed still dominates.
    """
    if acute_days < 1 or chronic_days <= acute_days:
        raise ValueError("need 1 <= acute_days < chronic_days")
    series = _dense_series(daily)
    la, lc = 2.0 / (acute_days + 1), 2.0 / (chronic_days + 1)
    out: list[AcwrPoint] = []
    ea = ec = 0.0
    for i, (day, km) in enumerate(series):
        if i == 0:
            ea = ec = km
        else:
            ea = la * km + (1 - la) * ea
            ec = lc * km + (1 - lc) * ec
        acute, chronic = ea * 7, ec * 7
        out.append(
            AcwrPoint(day, acute, chronic, _ratio(acute, chronic, i + 1, chronic_days), "ewma")
        )
    return out


# --------------------------------------------------------------------------- warnings

WarningKind = Literal["acwr_spike", "week_jump", "long_run_jump"]


@dataclass(frozen=True)
class LoadWarning:
    """Something in the training history a runner with sore knees should notice.

    ``value`` is the number that triggered it: the peak ratio for
    ``acwr_spike``, the percentage increase for the two jump kinds.
    """

    day: date
    kind: WarningKind
    message: str
    value: float


def longest_before(acts: Sequence[Activity], window: timedelta) -> list[float | None]:
    """For each run (``acts`` sorted by start), the longest distance among the earlier runs in ``window``.

    An earlier run counts when it started at most ``window`` before this one;
    ``None`` when there is none. A sliding-window maximum (a deque of
    candidates with falling distances), so ten years of runs cost one pass
    rather than a scan of every earlier run for each run.
    """
    out: list[float | None] = []
    candidates: deque[Activity] = deque()  # earlier runs in the window, distances strictly falling
    for a in acts:
        while candidates and a.start - candidates[0].start > window:
            candidates.popleft()
        out.append(candidates[0].distance_km if candidates else None)
        while candidates and candidates[-1].distance_km <= a.distance_km:
            candidates.pop()
        candidates.append(a)
    return out


def load_warnings(
    activities: Iterable[Activity],
    *,
    acwr_high: float = 1.5,
    week_jump_pct: float = 30.0,
    long_run_jump_pct: float = 10.0,
    min_week_km: float = 10.0,
    min_long_run_km: float = 5.0,
    long_run_window_days: int = 30,
    acwr_method: Literal["rolling", "ewma"] = "rolling",
    until: date | None = None,
    sports: Collection[str] | None = RUNNING_SPORTS,
    fmt: DistanceFormat = KM,
) -> list[LoadWarning]:
    """Flag sudden increases in running load, sorted by day (messages say distances in ``fmt``'s unit;
    thresholds and values stay kilometres).

    Thresholds and why they are the defaults. The single-run spike comes first:
    it is the load pattern the largest cohort links to overuse injury
    (frandsen2025); the ACWR is reported only as a description of recent change.

    * ``acwr_high=1.5`` — proposed as a spike threshold (gabbett2016), but the
      ratio's value as an injury predictor is disputed (impellizzeri2020/2021) and
      a watch-data cohort found no link (frandsen2025); the message describes the
      change and does not speak of risk. One warning is given per spike
      episode (consecutive days above the threshold), dated on its first day,
      with the episode's peak ratio as ``value``, so a 10-day spike is one
      message rather than ten.
    * ``week_jump_pct=30`` — the familiar "10% per week" rule is conservative
      and poorly supported (a trial of it in novices found no fewer injuries);
      a cohort of novice runners (Nielsen et al., 2014) saw more
      distance-related injuries among those who raised weekly volume by more
      than ~30% over two weeks, not among those between 10 and 30%. Weeks under ``min_week_km`` are not flagged:
      going from 3 to 6 km is +100% but not a meaningful knee load.
    * ``long_run_jump_pct=10`` — a single run more than 10 % longer than the
      longest of the previous ``long_run_window_days`` (30) days went with a
      higher overuse-injury rate in 5,200 runners (Frandsen et al., BJSM 2025),
      more so above 100 %. This is the main load warning.
      Runs under ``min_long_run_km`` and runs with no earlier run in the
      window are not judged.

    These are prompts to look at the plan, not diagnoses; the messages say so.
    ``until`` extends the ACWR series past the last run (e.g. to today) so rest
    days at the end are taken into account.
    """
    for name, val in (
        ("acwr_high", acwr_high),
        ("week_jump_pct", week_jump_pct),
        ("long_run_jump_pct", long_run_jump_pct),
    ):
        if val <= 0:
            raise ValueError(f"{name} must be positive, got {val}")
    acts = sorted(_filtered(activities, sports), key=lambda a: a.start)
    if not acts:
        return []
    warnings: list[LoadWarning] = []

    # 1. ACWR spikes, one per episode.
    first_day = activity_day(acts[0])
    last_day = max(activity_day(acts[-1]), until or first_day)
    daily = daily_distance_km(acts, first_day, last_day, sports=None)
    points = acwr_rolling(daily) if acwr_method == "rolling" else acwr_ewma(daily)
    episode: list[AcwrPoint] = []

    def close_episode() -> None:
        if not episode:
            return
        peak = max(episode, key=lambda p: p.ratio or 0.0)
        warnings.append(
            LoadWarning(
                day=episode[0].day,
                kind="acwr_spike",
                value=peak.ratio or 0.0,
                message=(
                    f"From {episode[0].day:%a %d %b} your last-7-days running reached "
                    f"{peak.ratio:.1f}x your average week of the past four "
                    f"({fmt.km(peak.acute_km, 1)} vs {fmt.num(peak.chronic_km, 1)} {fmt.per_week}). "
                    "This describes how fast your load changed; it is not an injury "
                    "prediction (the ratio's link to injury is disputed: impellizzeri2021, "
                    "frandsen2025). Check how the knee responds before adding more."
                ),
            )
        )
        episode.clear()

    for p in points:
        if p.ratio is not None and p.ratio > acwr_high:
            episode.append(p)
        else:
            close_episode()
    close_episode()

    # 2. Week-over-week jumps.
    for w in weekly_load(acts, sports=None):
        if w.change_pct is not None and w.change_pct > week_jump_pct and w.distance_km >= min_week_km:
            prev_km = w.distance_km / (1 + w.change_pct / 100.0)
            warnings.append(
                LoadWarning(
                    day=w.week_start,
                    kind="week_jump",
                    value=w.change_pct,
                    message=(
                        f"The week of {w.week_start:%d %b} had {fmt.km(w.distance_km, 1)}, "
                        f"{w.change_pct:.0f}% more than the week before ({fmt.km(prev_km, 1)}). "
                        "Big week-to-week jumps give tendons and the kneecap joint little "
                        "time to adapt; a smaller step next time is kinder to the knee."
                    ),
                )
            )

    # 3. Single runs much longer than the recent longest.
    for a, longest in zip(acts, longest_before(acts, timedelta(days=long_run_window_days))):
        if a.distance_km < min_long_run_km or longest is None or longest <= 0:
            continue
        jump = (a.distance_km - longest) / longest * 100.0
        if jump > long_run_jump_pct:
            warnings.append(
                LoadWarning(
                    day=activity_day(a),
                    kind="long_run_jump",
                    value=jump,
                    message=(
                        f"Your {fmt.km(a.distance_km, 1)} run on {activity_day(a):%a %d %b} was "
                        f"{jump:.0f}% longer than your longest run of the previous "
                        f"{long_run_window_days} days ({fmt.km(longest, 1)}). Runs more than 10% "
                        "longer than the recent longest went with more overuse injuries in a "
                        "large cohort (frandsen2025); lengthen long runs in smaller steps."
                    ),
                )
            )

    kind_order = {"long_run_jump": 0, "week_jump": 1, "acwr_spike": 2}
    warnings.sort(key=lambda w: (w.day, kind_order[w.kind]))
    return warnings

