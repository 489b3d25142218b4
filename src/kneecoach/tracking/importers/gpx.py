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

Speed and safety: the document is parsed once, by :func:`xml_root` (lxml with
entities, DTDs and the network refused), and the summary is read straight off
that tree. ``gpxpy``'s object model took about 1 s for a 6-hour, 1 Hz track; the
single lxml pass takes a small fraction of it. ``parse_gpx_gpxpy`` keeps the
old path, and a test checks both give the same numbers on every GPX file.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import gpxpy
import gpxpy.gpx

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import (
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    float_or_none,
    haversine_m,
    mean_or_none,
    normalise_sport,
    valid_coordinate,
    xml_root,
)

__all__ = ["parse_gpx", "parse_gpx_gpxpy"]


@lru_cache(maxsize=256)
def _local(tag: Any) -> str:
    """'{ns}Name' or 'prefix:Name' -> 'name' (cached: a file repeats the same few tags)."""
    t = str(tag)
    return t.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _extension_values(point: gpxpy.gpx.GPXTrackPoint) -> tuple[float | None, float | None]:
    """(hr, cad) from a point's extensions, or None each."""
    hr = cad = None
    for ext in point.extensions or ():
        for el in ext.iter():
            name = _local(el.tag)
            if name in ("hr", "heartrate") and hr is None:
                hr = float_or_none(el.text)
            elif name in ("cad", "cadence", "runcadence") and cad is None:
                cad = float_or_none(el.text)
    return hr, cad


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _point_time(text: str | None) -> datetime | None:
    """ISO 8601 as GPX writes it; anything odder goes through gpxpy's own time parser."""
    if not text:
        return None
    t = text.strip()
    try:
        return _utc(datetime.fromisoformat(t))
    except ValueError:
        try:
            parsed = gpxpy.gpxfield.parse_time(t)
        except Exception:  # gpxpy raises assorted errors on junk
            return None
        return _utc(parsed) if parsed is not None else None


def parse_gpx(data: bytes, name: str) -> Activity:
    """Parse a GPX track into an :class:`Activity`; :class:`ActivityFileError` if unusable.

    Reads the tree from :func:`xml_root` directly (one parse): track segments' points for distance
    (haversine within a segment), time, ``<ele>`` and the Garmin extension's hr/cad.
    """
    root = xml_root(data, name, "GPX", "gpx")
    distance = 0.0
    times: list[datetime] = []
    alts: list[float | None] = []
    hrs: list[float | None] = []
    cads: list[float | None] = []
    n_points = 0
    sport_text: str | None = None
    for trk in root.iterchildren("{*}trk"):
        if sport_text is None:
            sport_text = next((c.text for c in trk.iterchildren("{*}type") if c.text and c.text.strip()), None)
        for seg in trk.iterchildren("{*}trkseg"):
            prev: tuple[float, float] | None = None
            for pt in seg.iterchildren("{*}trkpt"):
                n_points += 1
                try:
                    lat, lon = float(pt.get("lat")), float(pt.get("lon"))  # type: ignore[arg-type]
                except (TypeError, ValueError) as exc:
                    raise ActivityFileError(name, f"invalid GPX (track point {n_points} has no valid lat/lon)") from exc
                if not valid_coordinate(lat, lon):
                    raise ActivityFileError(name, f"invalid coordinates in track point {n_points}")
                if prev is not None:
                    distance += haversine_m(prev[0], prev[1], lat, lon)
                prev = (lat, lon)
                ele = hr = cad = None
                for child in pt:
                    local = _local(child.tag)
                    if local == "ele":
                        ele = float_or_none(child.text)
                    elif local == "time":
                        t = _point_time(child.text)
                        if t is not None:
                            times.append(t)
                    elif local == "extensions":
                        for el in child.iter():
                            n = _local(el.tag)
                            if n in ("hr", "heartrate") and hr is None:
                                hr = float_or_none(el.text)
                            elif n in ("cad", "cadence", "runcadence") and cad is None:
                                cad = float_or_none(el.text)
                alts.append(ele)
                hrs.append(hr)
                cads.append(cad)
    return _summary(name, n_points, times, distance, alts, hrs, cads, sport_text)


def _summary(
    name: str, n_points: int, times: list[datetime], distance: float, alts: list[float | None],
    hrs: list[float | None], cads: list[float | None], sport_text: str | None,
) -> Activity:
    if n_points == 0:
        raise ActivityFileError(name, "no track points (a route or waypoints only?)")
    if not times:
        raise ActivityFileError(name, "GPX track has no timestamps (a planned course, not a recorded run?)")
    sport = normalise_sport(sport_text)
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


def parse_gpx_gpxpy(data: bytes, name: str) -> Activity:
    """The earlier path through gpxpy's object model (kept to check the fast path against)."""
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
    return _summary(name, n_points, times, distance, alts, hrs, cads, next((t.type for t in doc.tracks if t.type), None))
