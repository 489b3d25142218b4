"""GPX tracks (Garmin, Strava, Coros, phone apps), parsed with ``gpxpy``.

What is read
------------
* Distance: haversine (2-D) length of every track segment, summed. Gaps
  between segments (the watch was paused) add nothing.
* Duration: first to last timestamp in the file (elapsed time).
* Elevation gain: ``<ele>`` values through the hysteresis filter in
  :func:`~kneecoach.tracking.importers._common.elevation_gain`.
* Heart rate and cadence: Garmin ``TrackPointExtension`` (``gpxtpx:hr``,
  ``gpxtpx:cad``), matched by local name so any namespace prefix works.
  Like FIT, Garmin writes running cadence per leg in GPX, so ``cad`` is
  doubled to steps/min for foot sports (and dropped for cycling).
* Sport: the first track's ``<type>``; none means running.

Safety: the document is first parsed with ``defusedxml`` (DTDs and entities
refused), because ``gpxpy`` would use ``lxml`` with entity expansion when it is
installed. That pass also turns "not XML at all" into a clear message.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import gpxpy
import gpxpy.gpx

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import (
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    haversine_m,
    mean_or_none,
    normalise_sport,
    valid_coordinate,
    xml_root,
)

__all__ = ["parse_gpx"]


def _local(tag: Any) -> str:
    t = str(tag)
    return t.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        v = float(text.strip())
    except ValueError:
        return None
    return v if v == v else None  # drop NaN


def _extension_values(point: gpxpy.gpx.GPXTrackPoint) -> tuple[float | None, float | None]:
    """(hr, cad) from a point's extensions, or None each."""
    hr = cad = None
    for ext in point.extensions or ():
        for el in ext.iter():
            name = _local(el.tag)
            if name in ("hr", "heartrate") and hr is None:
                hr = _float(el.text)
            elif name in ("cad", "cadence", "runcadence") and cad is None:
                cad = _float(el.text)
    return hr, cad


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def parse_gpx(data: bytes, name: str) -> Activity:
    """Parse a GPX track into an :class:`Activity`; :class:`ActivityFileError` if unusable."""
    xml_root(data, name, "GPX", "gpx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        doc = gpxpy.parse(text)
    except Exception as exc:  # gpxpy raises GPXException and assorted ValueErrors
        raise ActivityFileError(name, f"invalid GPX ({type(exc).__name__})") from exc

    distance = 0.0
    times: list[datetime] = []
    alts: list[float | None] = []
    hrs: list[float | None] = []
    cads: list[float | None] = []
    n_points = 0
    for track in doc.tracks:
        for seg in track.segments:
            prev = None
            for pt in seg.points:
                n_points += 1
                if not valid_coordinate(pt.latitude, pt.longitude):
                    raise ActivityFileError(name, f"invalid coordinates in track point {n_points}")
                if prev is not None:
                    distance += haversine_m(prev.latitude, prev.longitude, pt.latitude, pt.longitude)
                prev = pt
                if pt.time is not None:
                    times.append(_utc(pt.time))
                alts.append(pt.elevation)
                hr, cad = _extension_values(pt)
                hrs.append(hr)
                cads.append(cad)
    if n_points == 0:
        raise ActivityFileError(name, "no track points (a route or waypoints only?)")
    if not times:
        raise ActivityFileError(name, "GPX track has no timestamps (a planned course, not a recorded run?)")

    sport = normalise_sport(next((t.type for t in doc.tracks if t.type), None))
    cad_mean = mean_or_none(cads)
    return Activity(
        start=min(times),
        duration_s=(max(times) - min(times)).total_seconds(),
        distance_m=distance,
        elevation_gain_m=elevation_gain(alts),
        avg_cadence_spm=cad_mean * 2 if cad_mean is not None and sport in FOOT_SPORTS else None,
        avg_heart_rate_bpm=mean_or_none(hrs),
        sport=sport,
        source_format="gpx",
        source_name=name,
    )
