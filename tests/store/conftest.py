"""Fixtures for the store, import, review and tracking-CLI tests.

Builders write *real* watch files (GPX by hand, FIT through ``fit_tool``, the
encoder the project uses for tests) so imports go through the same parsers as
a runner's own files.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.plan.models import PainRule, Plan, RampRule, RampWeek
from kneecoach.store import migrate
from kneecoach.store.db import make_engine, make_session_factory
from kneecoach.tracking.activity import Activity

from ..tracking.fixtures import FitDesign, make_fit

EARTH_R = 6_371_008.8


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kc.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def make_plan(**ramp_overrides: float) -> Plan:
    """A plan built by hand with the knowledge base's usual rules (pain 3/3/5, 10 %/week)."""
    ramp_args: dict = dict(
        max_increase_pct=10,
        min_step_km=2,
        cutback_every_weeks=4,
        cutback_pct=20,
        restart_km=10,
        calm_load_factor=0.7,
        long_run_share=0.3,
        rationale="grow slowly",
        sources=["002_f27728aa77bad5ec.txt"],
    )
    ramp_args.update(ramp_overrides)
    return Plan(
        kb_version="test",
        phases=[],
        excluded=[],
        terrain=[],
        pain_rule=PainRule(
            max_during_run=3, max_next_morning=3, step_back_at=5, rationale="listen", sources=["001_9eaeebca36d4881b.txt"]
        ),
        ramp_rule=RampRule(**ramp_args),
        mileage_ramp=[RampWeek(week=i + 1, km=25 + 3 * i, long_run_km=8) for i in range(10)],
        start_km=25,
        target_km=55,
        disclaimer="Education, not a diagnosis.",
    )


@pytest.fixture
def plan() -> Plan:
    return make_plan()


def act(day: date, km: float, *, hour: int = 7, gain: float = 0.0, sport: str = "running", name: str = "") -> Activity:
    return Activity(
        start=datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc),
        duration_s=km * 330,
        distance_m=km * 1000,
        elevation_gain_m=gain,
        sport=sport,
        source_name=name,
    )


def gpx_text(start: datetime, km: float, *, climb_m: float = 0.0, step_m: float = 100.0) -> str:
    """A GPX track heading north from Zurich at 5:30/km, ``km`` long (+- a few metres)."""
    n = max(2, round(km * 1000 / step_m))
    dlat = math.degrees(km * 1000 / n / EARTH_R)
    pts = []
    for i in range(n + 1):
        t = start + timedelta(seconds=i * (km * 330) / n)
        # One climb to the midpoint and back down: gain == climb_m.
        ele = 400 + climb_m * (1 - abs(2 * i / n - 1))
        pts.append(
            f'<trkpt lat="{47.0 + i * dlat:.7f}" lon="8.5000000"><ele>{ele:.1f}</ele>'
            f"<time>{t:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="kneecoach-tests" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><name>run</name><type>running</type><trkseg>{''.join(pts)}</trkseg></trk></gpx>"
    )


def write_gpx(folder: Path, start: datetime, km: float, **kw: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{start:%Y%m%dT%H%M}.gpx"
    p.write_text(gpx_text(start, km, **kw), encoding="utf-8")
    return p


def fit_bytes(start: datetime, km: float, *, step_s: int = 60) -> bytes:
    """A FIT running activity (the tracking tests' fit_tool encoder): 5:30/km, a record every ``step_s`` s."""
    seconds = round(km * 330)
    design = FitDesign(
        start=start, seconds=seconds, speed_mps=km * 1000 / seconds, climb_m=0.0, heart_rate=140,
        cadence_per_leg=85, record_every_s=step_s,
    )
    return make_fit(design)


def write_fit(folder: Path, start: datetime, km: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{start:%Y%m%dT%H%M}.fit"
    p.write_bytes(fit_bytes(start, km))
    return p
