"""Load analytics: hand-worked weekly totals, ACWR and warnings, plus properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.load import (
    acwr_ewma,
    acwr_rolling,
    daily_distance_km,
    load_warnings,
    longest_before,
    week_start,
    weekly_load,
)


def run(day: date, km: float, *, hour: int = 7, minutes: float | None = None,
        gain: float = 0.0, sport: str = "running") -> Activity:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
    dur = (minutes if minutes is not None else km * 6) * 60
    return Activity(start=start, duration_s=dur, distance_m=km * 1000, elevation_gain_m=gain,
                    sport=sport)


MON = date(2026, 3, 2)  # a Monday
assert MON.weekday() == 0


# ----------------------------------------------------------------- weekly_load

def test_weekly_totals_hand_worked() -> None:
    acts = [
        run(MON, 5, gain=50),
        run(MON + timedelta(days=2), 8, gain=120, minutes=48),
        run(MON + timedelta(days=6), 12, gain=30),          # Sunday: same week
        run(MON + timedelta(days=7), 10),                   # next Monday
    ]
    weeks = weekly_load(acts)
    assert [w.week_start for w in weeks] == [MON, MON + timedelta(days=7)]
    w0, w1 = weeks
    assert w0.distance_km == pytest.approx(25.0)
    assert w0.runs == 3
    assert w0.elevation_gain_m == pytest.approx(200.0)
    assert w0.gain_per_km == pytest.approx(8.0)
    assert w0.longest_run_km == pytest.approx(12.0)
    assert w0.duration_h == pytest.approx((30 + 48 + 72) / 60)
    assert w0.change_pct is None
    assert w1.distance_km == pytest.approx(10.0)
    assert w1.change_pct == pytest.approx(-60.0)


def test_sunday_late_utc_and_monday_early_fall_in_different_weeks() -> None:
    sunday = MON + timedelta(days=6)
    acts = [run(sunday, 5, hour=23), run(MON + timedelta(days=7), 7, hour=0)]
    weeks = weekly_load(acts)
    assert [(w.week_start, w.distance_km) for w in weeks] == [
        (MON, pytest.approx(5.0)), (MON + timedelta(days=7), pytest.approx(7.0))]


def test_non_utc_start_uses_utc_date() -> None:
    # 00:30 on Monday in UTC+2 is 22:30 Sunday UTC -> previous week.
    tz = timezone(timedelta(hours=2))
    a = Activity(start=datetime(2026, 3, 9, 0, 30, tzinfo=tz), duration_s=1800, distance_m=5000)
    assert weekly_load([a])[0].week_start == MON


def test_empty_weeks_are_zero_and_break_change_pct() -> None:
    acts = [run(MON, 10), run(MON + timedelta(days=21), 10)]
    weeks = weekly_load(acts)
    assert len(weeks) == 4
    assert [w.distance_km for w in weeks] == [10.0, 0.0, 0.0, 10.0]
    assert weeks[1].change_pct == pytest.approx(-100.0)
    assert weeks[2].change_pct is None          # previous week was 0
    assert weeks[3].change_pct is None
    assert weeks[1].gain_per_km == 0.0


def test_explicit_range_and_previous_week_outside_it() -> None:
    acts = [run(MON, 10), run(MON + timedelta(days=7), 15)]
    weeks = weekly_load(acts, start=MON + timedelta(days=9), end=MON + timedelta(days=20))
    assert [w.week_start for w in weeks] == [MON + timedelta(days=7), MON + timedelta(days=14)]
    assert weeks[0].change_pct == pytest.approx(50.0)  # uses the week before the range
    assert weeks[1].distance_km == 0.0


def test_empty_input() -> None:
    assert weekly_load([]) == []
    weeks = weekly_load([], start=MON, end=MON + timedelta(days=13))
    assert len(weeks) == 2 and all(w.runs == 0 for w in weeks)
    with pytest.raises(ValueError):
        weekly_load([], start=MON + timedelta(days=14), end=MON)
    # all runs after an open-ended range's end: nothing to show, not an error
    assert weekly_load([run(MON + timedelta(days=30), 5)], end=MON) == []


def test_non_running_excluded_by_default() -> None:
    acts = [run(MON, 5), run(MON, 40, sport="cycling")]
    assert weekly_load(acts)[0].distance_km == pytest.approx(5.0)
    assert weekly_load(acts, sports=None)[0].distance_km == pytest.approx(45.0)


def test_week_start() -> None:
    assert week_start(MON + timedelta(days=6)) == MON
    assert week_start(MON) == MON
    assert week_start(MON - timedelta(days=1)) == MON - timedelta(days=7)


# ----------------------------------------------------------------- daily

def test_daily_distance_every_day_in_range() -> None:
    acts = [run(MON, 5), run(MON, 3, hour=18), run(MON + timedelta(days=10), 4)]
    daily = daily_distance_km(acts, MON - timedelta(days=1), MON + timedelta(days=3))
    assert list(daily) == [MON + timedelta(days=i) for i in range(-1, 4)]
    assert daily[MON] == pytest.approx(8.0)
    assert sum(daily.values()) == pytest.approx(8.0)  # the day-10 run is out of range


# ----------------------------------------------------------------- ACWR

def test_rolling_constant_load_gives_ratio_one() -> None:
    daily = {MON + timedelta(days=i): 5.0 for i in range(60)}
    pts = acwr_rolling(daily)
    assert len(pts) == 60
    assert all(p.ratio is None for p in pts[:27])
    for p in pts[27:]:
        assert p.acute_km == pytest.approx(35.0)
        assert p.chronic_km == pytest.approx(35.0)
        assert p.ratio == pytest.approx(1.0)
        assert p.method == "rolling"


def test_rolling_doubling_week_is_a_spike() -> None:
    # 4 weeks at 5 km/day then one week at 10 km/day.
    daily = {MON + timedelta(days=i): (5.0 if i < 28 else 10.0) for i in range(35)}
    last = acwr_rolling(daily)[-1]
    # acute 70; chronic = (21*5 + 7*10)/4 = 43.75; ratio 1.6
    assert last.acute_km == pytest.approx(70.0)
    assert last.chronic_km == pytest.approx(43.75)
    assert last.ratio == pytest.approx(1.6)


def test_rolling_fills_gaps_as_rest() -> None:
    daily = {MON: 10.0, MON + timedelta(days=29): 10.0}
    pts = acwr_rolling(daily)
    assert len(pts) == 30
    assert pts[-1].acute_km == pytest.approx(10.0)
    assert pts[-1].chronic_km == pytest.approx(2.5)   # day 0 fell out of the 28-day window
    assert pts[-1].ratio == pytest.approx(4.0)
    assert pts[-2].ratio is None                       # day 28: window days 1-28 all rest


def test_rolling_rejects_negative_and_handles_empty() -> None:
    assert acwr_rolling({}) == []
    assert acwr_ewma({}) == []
    with pytest.raises(ValueError, match="negative"):
        acwr_rolling({MON: -1.0})


def test_ewma_hand_worked() -> None:
    daily = {MON: 10.0, MON + timedelta(days=1): 0.0, MON + timedelta(days=2): 4.0}
    pts = acwr_ewma(daily)
    la, lc = 2 / 8, 2 / 29
    ea = la * 4 + (1 - la) * ((1 - la) * 10)
    ec = lc * 4 + (1 - lc) * ((1 - lc) * 10)
    assert pts[2].acute_km == pytest.approx(ea * 7)
    assert pts[2].chronic_km == pytest.approx(ec * 7)
    assert pts[2].ratio is None  # under 28 days of history
    assert pts[0].method == "ewma"


def test_ewma_constant_load_and_spike() -> None:
    steady = {MON + timedelta(days=i): 5.0 for i in range(40)}
    assert all(p.ratio == pytest.approx(1.0) for p in acwr_ewma(steady)[27:])
    spike = dict(steady)
    for i in range(40, 47):
        spike[MON + timedelta(days=i)] = 15.0
    ratio = acwr_ewma(spike)[-1].ratio
    assert ratio is not None and ratio > 1.5


def test_ewma_validates_windows() -> None:
    with pytest.raises(ValueError):
        acwr_ewma({MON: 1.0}, acute_days=28, chronic_days=7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=50, allow_nan=False), min_size=1, max_size=80),
       st.floats(min_value=0.1, max_value=10))
def test_acwr_ratio_is_scale_invariant(kms: list[float], factor: float) -> None:
    daily = {MON + timedelta(days=i): km for i, km in enumerate(kms)}
    scaled = {d: km * factor for d, km in daily.items()}
    for fn in (acwr_rolling, acwr_ewma):
        a, b = fn(daily), fn(scaled)
        assert len(a) == len(kms)
        for p, q in zip(a, b):
            assert p.acute_km >= 0 and p.chronic_km >= 0
            assert (p.ratio is None) == (q.ratio is None)
            if p.ratio is not None:
                assert q.ratio == pytest.approx(p.ratio, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.floats(0, 40, allow_nan=False)), max_size=40))
def test_weekly_totals_conserve_distance(items: list[tuple[int, float]]) -> None:
    acts = [run(MON + timedelta(days=d), km) for d, km in items]
    weeks = weekly_load(acts)
    assert sum(w.distance_km for w in weeks) == pytest.approx(sum(km for _, km in items))
    assert sum(w.runs for w in weeks) == len(items)
    for a, b in zip(weeks, weeks[1:]):
        assert b.week_start - a.week_start == timedelta(days=7)
        assert b.week_start.weekday() == 0


# ----------------------------------------------------------------- warnings

def test_no_warnings_for_steady_training() -> None:
    acts = [run(MON + timedelta(days=i), 6) for i in range(70)]
    assert load_warnings(acts) == []
    assert load_warnings([]) == []


def test_doubling_week_warns_spike_and_jump() -> None:
    acts = [run(MON + timedelta(days=i), 5) for i in range(28)]
    acts += [run(MON + timedelta(days=i), 10) for i in range(28, 35)]
    ws = load_warnings(acts)
    kinds = {w.kind for w in ws}
    assert kinds == {"acwr_spike", "week_jump", "long_run_jump"}
    spikes = [w for w in ws if w.kind == "acwr_spike"]
    assert len(spikes) == 1                       # one episode, not one per day
    assert spikes[0].value == pytest.approx(1.6)
    assert spikes[0].day > MON + timedelta(days=28)
    jump = next(w for w in ws if w.kind == "week_jump")
    assert jump.day == MON + timedelta(days=28)
    assert jump.value == pytest.approx(100.0)
    assert "35.0 km" in jump.message and "70.0 km" in jump.message
    assert ws == sorted(ws, key=lambda w: w.day)


def test_thresholds_are_respected() -> None:
    acts = [run(MON + timedelta(days=i), 5) for i in range(28)]
    acts += [run(MON + timedelta(days=i), 10) for i in range(28, 35)]
    ws = load_warnings(acts, acwr_high=2.0, week_jump_pct=150, long_run_jump_pct=150)
    assert ws == []


def test_long_run_jump() -> None:
    acts = [run(MON + timedelta(days=i), 8) for i in range(0, 28, 3)]
    acts.append(run(MON + timedelta(days=29), 14))     # +75% over 8 km
    ws = [w for w in load_warnings(acts) if w.kind == "long_run_jump"]
    assert len(ws) == 1
    assert ws[0].value == pytest.approx(75.0)
    assert ws[0].day == MON + timedelta(days=29)
    assert "14.0 km" in ws[0].message


def test_small_weeks_not_flagged() -> None:
    acts = [run(MON, 2), run(MON + timedelta(days=7), 4)]  # +100% but tiny
    assert [w for w in load_warnings(acts) if w.kind == "week_jump"] == []


def test_invalid_threshold() -> None:
    with pytest.raises(ValueError):
        load_warnings([run(MON, 5)], acwr_high=0)


def test_warnings_ewma_method_and_until() -> None:
    acts = [run(MON + timedelta(days=i), 5) for i in range(35)]
    acts += [run(MON + timedelta(days=i), 15) for i in range(35, 40)]
    spikes = [w for w in load_warnings(acts, acwr_method="ewma") if w.kind == "acwr_spike"]
    assert len(spikes) == 1 and spikes[0].value > 1.5
    assert spikes[0].day >= MON + timedelta(days=35)
    # Extending to "today" after the spike adds rest days but the episode stays one warning.
    later = load_warnings(acts, acwr_method="ewma", until=MON + timedelta(days=60))
    assert [w for w in later if w.kind == "acwr_spike"] == spikes


def test_daily_history_starts_at_first_run_not_before():
    from datetime import date, datetime, timezone

    from kneecoach.tracking.activity import Activity
    from kneecoach.tracking.load import acwr_rolling, daily_history_km

    runs = [
        Activity(start=datetime(2026, 10, d, 7, tzinfo=timezone.utc), duration_s=1800, distance_m=5000)
        for d in range(1, 31)
    ]
    daily = daily_history_km(runs, date(2026, 10, 30), lookback_days=90)
    assert min(daily) == date(2026, 10, 1)  # not 90 days back: those days are unknown, not rest
    # With real zeros before the first run a steady 5 km/day would look like a spike; here it does not.
    ratios = [p.ratio for p in acwr_rolling(daily) if p.ratio is not None]
    assert ratios and all(abs(r - 1.0) < 1e-9 for r in ratios)
    # A rest week after the first run is a real zero.
    gap = [r for r in runs if not (10 <= r.start.day <= 16)]
    assert daily_history_km(gap, date(2026, 10, 30), lookback_days=90)[date(2026, 10, 12)] == 0.0
    # Looking back less than the history clips at the lookback; no runs at all gives one empty day.
    assert min(daily_history_km(runs, date(2026, 10, 30), lookback_days=7)) == date(2026, 10, 23)
    assert daily_history_km([], date(2026, 10, 30), lookback_days=7) == {date(2026, 10, 30): 0.0}


# ----------------------------------------------------------------- longest_before (sliding window)


def _longest_before_by_scan(acts: list[Activity], window: timedelta) -> list[float | None]:
    """The former quadratic definition: scan every earlier run for each run."""
    out: list[float | None] = []
    for i, a in enumerate(acts):
        earlier = [b.distance_km for b in acts[:i] if a.start - b.start <= window]
        out.append(max(earlier) if earlier else None)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 23), st.floats(0, 40, allow_nan=False)),
                max_size=60),
       st.integers(1, 40))
def test_longest_before_matches_full_scan(entries: list[tuple[int, int, float]], days: int) -> None:
    """Same answers as scanning all earlier runs, with same-hour runs and runs exactly on the window edge."""
    acts = sorted((run(MON + timedelta(days=d), km, hour=h) for d, h, km in entries), key=lambda a: a.start)
    window = timedelta(days=days)
    assert longest_before(acts, window) == _longest_before_by_scan(acts, window)


def test_long_run_warnings_unchanged_on_a_long_history() -> None:
    """A year of runs: the long-run warnings equal those found by scanning every earlier run."""
    acts = [run(MON + timedelta(days=d), 5 + (d * 7) % 23, hour=6 + d % 12) for d in range(0, 365, 2)]
    window = timedelta(days=30)
    expected = [
        a.start.date() for a, longest in zip(acts, _longest_before_by_scan(acts, window))
        if a.distance_km >= 5 and longest and (a.distance_km - longest) / longest * 100 > 10
    ]
    found = [w.day for w in load_warnings(acts) if w.kind == "long_run_jump"]
    assert found == expected and found
