"""The TCX importer as it was before issue 11 (ElementTree, one child lookup per field), kept
only so ``bench_gpx_tcx.py`` can time the old path beside the new one in the same run.

It parses with ``defusedxml.ElementTree`` as the original did (installed with fpdf2); where that
is missing, with the standard-library parser it wraps. Not imported by kneecoach itself.

What is read
------------
* Start: ``Activity/Id`` (a timestamp by schema), else the first lap's
  ``StartTime``, else the first trackpoint ``Time``.
* Distance: sum of ``Lap/DistanceMeters``; without laps, the last cumulative
  ``Trackpoint/DistanceMeters``; without that, haversine over positions.
* Duration (elapsed): first to last trackpoint ``Time``; without trackpoint
  times, the sum of ``Lap/TotalTimeSeconds`` (timer time, the best there is).
* Elevation gain: ``AltitudeMeters`` through the shared hysteresis filter.
* Heart rate: ``HeartRateBpm/Value`` per trackpoint, else lap averages
  (time-weighted).
* Cadence: the ``ActivityExtension`` ``RunCadence`` (trackpoint) or
  ``AvgRunCadence`` (lap) for runs, or the core ``Cadence`` element. Garmin
  writes all of these per leg (strides/min), the same convention as FIT, so
  they are doubled to steps/min for foot sports; cycling cadence (crank rpm)
  is dropped.
* Sport: ``Activity/@Sport`` (``Running``, ``Biking``, ``Other``).

Elements are matched by local name, so files with odd namespace prefixes
(Strava, Polar, TrainingPeaks exports) still parse.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from xml.etree.ElementTree import Element


from kneecoach.tracking.activity import Activity
try:
    import defusedxml.ElementTree as ET
except ImportError:  # pragma: no cover
    from xml.etree import ElementTree as ET  # type: ignore[no-redef]

from kneecoach.tracking.importers._common import (
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    mean_or_none,
    normalise_sport,
    path_length_m,
    valid_coordinate,
)


def xml_root(data: bytes, name: str, fmt: str, root_tag: str) -> Element:
    root = ET.fromstring(data)
    if str(root.tag).rsplit("}", 1)[-1].lower() != root_tag.lower():
        raise ActivityFileError(name, f"not a {fmt} file")
    return root

__all__ = ["parse_tcx_before"]


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _descendant(el: Element, name: str) -> Element | None:
    for c in el.iter():
        if c is not el and _local(c.tag) == name:
            return c
    return None


def _float(el: Element | None) -> float | None:
    if el is None or el.text is None:
        return None
    try:
        v = float(el.text.strip())
    except ValueError:
        return None
    return v if v == v else None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _hr(el: Element, tag: str = "HeartRateBpm") -> float | None:
    hr = _child(el, tag)
    return _float(_child(hr, "Value")) if hr is not None else None


def parse_tcx_before(data: bytes, name: str) -> Activity:
    """Parse the first activity of a TCX file; :class:`ActivityFileError` if unusable."""
    root = xml_root(data, name, "TCX", "TrainingCenterDatabase")
    activities = _child(root, "Activities")
    act = _child(activities, "Activity") if activities is not None else None
    if act is None:
        raise ActivityFileError(name, "TCX file contains no activity (a course or workout?)")

    sport = normalise_sport(act.get("Sport"))
    laps = _children(act, "Lap")
    times: list[datetime] = []
    alts: list[float | None] = []
    hrs: list[float | None] = []
    cads: list[float | None] = []
    cum_dists: list[float] = []
    positions: list[tuple[float, float]] = []
    n_points = 0
    for lap in laps:
        for track in _children(lap, "Track"):
            for tp in _children(track, "Trackpoint"):
                n_points += 1
                time_el = _child(tp, "Time")
                t = _time(time_el.text if time_el is not None else None)
                if t is not None:
                    times.append(t)
                alts.append(_float(_child(tp, "AltitudeMeters")))
                d = _float(_child(tp, "DistanceMeters"))
                if d is not None:
                    cum_dists.append(d)
                pos = _child(tp, "Position")
                if pos is not None:
                    lat = _float(_child(pos, "LatitudeDegrees"))
                    lon = _float(_child(pos, "LongitudeDegrees"))
                    if lat is not None and lon is not None:
                        if not valid_coordinate(lat, lon):
                            raise ActivityFileError(name, f"invalid coordinates in trackpoint {n_points}")
                        positions.append((lat, lon))
                hrs.append(_hr(tp))
                cad = _float(_descendant(tp, "RunCadence"))
                if cad is None:
                    cad = _float(_child(tp, "Cadence"))
                cads.append(cad)

    id_el = _child(act, "Id")
    lap_starts = [t for t in (_time(lap.get("StartTime")) for lap in laps) if t is not None]
    start = _time(id_el.text if id_el is not None else None) or (min(lap_starts) if lap_starts else None)
    if start is None and times:
        start = min(times)
    if start is None:
        raise ActivityFileError(name, "TCX activity has no start time (no Id, lap StartTime or trackpoint Time)")
    if not laps and n_points == 0:
        raise ActivityFileError(name, "TCX activity has no laps or trackpoints")

    lap_dists = [_float(_child(lap, "DistanceMeters")) for lap in laps]
    lap_secs = [_float(_child(lap, "TotalTimeSeconds")) for lap in laps]
    if laps and all(d is not None for d in lap_dists):
        distance = sum(d for d in lap_dists if d is not None)
    elif cum_dists:
        distance = max(cum_dists)
    else:
        distance = path_length_m(positions)

    if len(times) >= 2:
        duration = (max(times) - min(times)).total_seconds()
    elif any(s is not None for s in lap_secs):
        duration = sum(s for s in lap_secs if s is not None)
    else:
        raise ActivityFileError(name, "TCX activity has no times (no trackpoint Time or lap TotalTimeSeconds)")

    hr = mean_or_none(hrs)
    cad = mean_or_none(cads)
    if hr is None or cad is None:
        # Lap summaries only (e.g. treadmill runs without trackpoints): time-weighted.
        lap_hr = [(_hr(lap, "AverageHeartRateBpm"), s) for lap, s in zip(laps, lap_secs, strict=True)]
        lap_cad = []
        for lap, s in zip(laps, lap_secs, strict=True):
            c = _float(_descendant(lap, "AvgRunCadence"))
            lap_cad.append((c if c is not None else _float(_child(lap, "Cadence")), s))
        hr = hr if hr is not None else _weighted(lap_hr)
        cad = cad if cad is not None else _weighted(lap_cad)

    return Activity(
        start=start,
        duration_s=max(duration, 0.0),
        distance_m=max(distance, 0.0),
        elevation_gain_m=elevation_gain(alts),
        avg_cadence_spm=cad * 2 if cad is not None and sport in FOOT_SPORTS else None,
        avg_heart_rate_bpm=hr,
        sport=sport,
        source_format="tcx",
        source_name=name,
    )


def _weighted(pairs: list[tuple[float | None, float | None]]) -> float | None:
    num = den = 0.0
    for v, w in pairs:
        if v is not None and v > 0 and w is not None and w > 0:
            num += v * w
            den += w
    return num / den if den else None
