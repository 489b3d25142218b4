"""Garmin Training Center XML (TCX), parsed once with lxml (entities, DTDs and network refused).

Two readers share one tree. The column reader (:func:`_columns`) asks lxml's C iterator for all
``Time``, ``AltitudeMeters``, ``Value`` (heart rate) and ``RunCadence`` elements of each track in
one call per tag, which is what makes a 6-hour file take well under 100 ms: the Python work per
point is one ``float()``. It only answers for regular files (one reading of each kind per
trackpoint, one cadence convention, coordinates in range); anything else, and any coordinate that
may be out of range, goes through the general per-trackpoint reader (:func:`_trackpoints`), which
is the reference: a test checks that both give the same Activity on every generated variant.

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

from functools import lru_cache
from datetime import datetime, timezone
from typing import Any

from lxml import etree

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import (
    Element,
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    float_or_none,
    mean_or_none,
    normalise_sport,
    path_length_m,
    valid_coordinate,
    xml_root,
)

__all__ = ["parse_tcx"]


@lru_cache(maxsize=256)
def _local(tag: Any) -> str:
    """'{ns}Name' -> 'Name' (cached: a file repeats the same few tags thousands of times)."""
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
    return float_or_none(el.text) if el is not None else None


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


def parse_tcx(data: bytes, name: str, *, _force_general: bool = False) -> Activity:
    """Parse the first activity of a TCX file; :class:`ActivityFileError` if unusable.

    ``_force_general`` skips the column reader (tests and the benchmark compare the two).
    """
    root = xml_root(data, name, "TCX", "TrainingCenterDatabase")
    activities = _child(root, "Activities")
    act = _child(activities, "Activity") if activities is not None else None
    if act is None:
        raise ActivityFileError(name, "TCX file contains no activity (a course or workout?)")

    sport = normalise_sport(act.get("Sport"))
    laps = _children(act, "Lap")
    tracks = [t for lap in laps for t in _children(lap, "Track")]
    lap_dists = [_float(_child(lap, "DistanceMeters")) for lap in laps]
    need_points_distance = not (laps and all(d is not None for d in lap_dists))
    cols = None if _force_general else _columns(tracks, need_points_distance)
    if cols is None:
        cols = _trackpoints(tracks, name)
    times, alts, hrs, cads, cum_dists, positions = cols

    id_el = _child(act, "Id")
    lap_starts = [t for t in (_time(lap.get("StartTime")) for lap in laps) if t is not None]
    start = _time(id_el.text if id_el is not None else None) or (min(lap_starts) if lap_starts else None)
    if start is None and times:
        start = min(times).astimezone(timezone.utc)
    if start is None:
        raise ActivityFileError(name, "TCX activity has no start time (no Id, lap StartTime or trackpoint Time)")
    if not laps:  # trackpoints live inside laps, so no laps means no trackpoints either
        raise ActivityFileError(name, "TCX activity has no laps or trackpoints")

    lap_secs = [_float(_child(lap, "TotalTimeSeconds")) for lap in laps]
    if not need_points_distance:
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


_Columns = tuple[
    list[datetime], list["float | None"], list["float | None"], list["float | None"],
    list[float], list[tuple[float, float]],
]


def _trackpoints(tracks: list[Element], name: str) -> _Columns:
    """The general reader: every trackpoint's children in one pass (the reference behaviour)."""
    times: list[datetime] = []
    alts: list[float | None] = []
    hrs: list[float | None] = []
    cads: list[float | None] = []
    cum_dists: list[float] = []
    positions: list[tuple[float, float]] = []
    n_points = 0
    for track in tracks:
        for tp in _children(track, "Trackpoint"):
            n_points += 1
            alt = hr = cad = run_cad = None
            # One pass over the trackpoint's children (local names cached).
            for c in tp:
                local = _local(c.tag)
                if local == "Time":
                    t = _time(c.text)
                    if t is not None:
                        times.append(t)
                elif local == "AltitudeMeters":
                    alt = _float(c)
                elif local == "DistanceMeters":
                    d = _float(c)
                    if d is not None:
                        cum_dists.append(d)
                elif local == "Position":
                    lat = _float(_child(c, "LatitudeDegrees"))
                    lon = _float(_child(c, "LongitudeDegrees"))
                    if lat is not None and lon is not None:
                        if not valid_coordinate(lat, lon):
                            raise ActivityFileError(name, f"invalid coordinates in trackpoint {n_points}")
                        positions.append((lat, lon))
                elif local == "HeartRateBpm":
                    hr = _float(_child(c, "Value"))
                elif local == "Cadence":
                    cad = _float(c)
                elif local == "Extensions" and run_cad is None:
                    run_cad = _float(_descendant(c, "RunCadence"))
            alts.append(alt)
            hrs.append(hr)
            cads.append(run_cad if run_cad is not None else cad)
    return times, alts, hrs, cads, cum_dists, positions


def _texts(track: Element, tag: str) -> list[str | None]:
    """Text of every ``tag`` element (any namespace) under ``track``, in document order (C loop)."""
    return [e.text for e in track.iter("{*}" + tag)]


def _floats(texts: list[str | None]) -> list[float | None]:
    """``float()`` of each text; an unreadable or NaN value becomes None, as in :func:`_float`."""
    try:
        values: list[float] = list(map(float, texts))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return [float_or_none(t) for t in texts]  # None for unreadable text and for NaN
    total = sum(values)
    if total != total:  # a NaN somewhere (or inf - inf): drop NaNs one by one
        return [v if v == v else None for v in values]
    return values  # type: ignore[return-value]


def _times(texts: list[str | None]) -> list[datetime]:
    """Parsed trackpoint times in UTC; the fast path handles the usual ``...Z`` stamps."""
    try:
        out = [datetime.fromisoformat(t) for t in texts]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        out = []
    if len(out) == len(texts) and all(t.tzinfo is not None for t in out):
        return out  # aware datetimes subtract correctly whatever their offsets
    return [t for t in map(_time, texts) if t is not None]


def _columns(tracks: list[Element], need_distance: bool) -> _Columns | None:
    """Whole columns per tag through lxml's C iterator, or None when the file is not regular.

    Regular means: each kind of reading at most once per trackpoint, heart-rate ``Value`` elements
    only inside ``HeartRateBpm``, one cadence convention (``RunCadence`` or core ``Cadence``, not
    both), and every latitude and longitude paired and in range. Those are the files watches
    write; the general reader handles the rest and names the trackpoint of a bad coordinate.
    """
    time_t: list[str | None] = []
    alt_t: list[str | None] = []
    hr_t: list[str | None] = []
    cad_t: list[str | None] = []
    dist_t: list[str | None] = []
    lat_t: list[str | None] = []
    lon_t: list[str | None] = []
    for track in tracks:
        n = _count(track, "Trackpoint")
        t_time, t_alt, t_hr = _texts(track, "Time"), _texts(track, "AltitudeMeters"), _texts(track, "Value")
        t_run, t_cad = _texts(track, "RunCadence"), _texts(track, "Cadence")
        t_lat, t_lon = _texts(track, "LatitudeDegrees"), _texts(track, "LongitudeDegrees")
        t_dist = _texts(track, "DistanceMeters") if need_distance else []
        if (
            max(len(t_time), len(t_alt), len(t_hr), len(t_run), len(t_cad), len(t_lat), len(t_dist)) > n
            or (t_run and t_cad)
            or len(t_lat) != len(t_lon)
            # Fewer readings than trackpoints: check that each belongs to its own parent element.
            or (len(t_hr) < n and len(t_hr) != _count_any(track, "HeartRateBpm"))
            or (len(t_lat) < n and len(t_lat) != _count_any(track, "Position"))
        ):
            return None
        time_t += t_time
        alt_t += t_alt
        hr_t += t_hr
        cad_t += t_run or t_cad
        dist_t += t_dist
        lat_t += t_lat
        lon_t += t_lon
    lats, lons = _floats(lat_t), _floats(lon_t)
    if None in lats or None in lons:
        # Unreadable coordinates are skipped per trackpoint, as in the general reader.
        pairs = [(la, lo) for la, lo in zip(lats, lons, strict=True) if la is not None and lo is not None]
        lats, lons = [p[0] for p in pairs], [p[1] for p in pairs]
    if lats and not (-90.0 <= min(lats) and max(lats) <= 90.0 and -180.0 <= min(lons) and max(lons) <= 180.0):
        return None  # the general reader raises, naming the trackpoint
    cum = [d for d in _floats(dist_t) if d is not None]
    positions = list(zip(lats, lons, strict=True)) if need_distance and not cum else []
    return _times(time_t), _floats(alt_t), _floats(hr_t), _floats(cad_t), cum, positions  # type: ignore[return-value]


def _count(track: Element, tag: str) -> int:
    """How many ``tag`` children (in the track's own namespace) the track holds, counted in C."""
    return int(_count_xpath(etree.QName(track).namespace, tag)(track))


def _count_any(track: Element, tag: str) -> int:
    """How many ``tag`` elements (any namespace, any depth) the track holds."""
    return len(list(track.iter("{*}" + tag)))


@lru_cache(maxsize=32)
def _count_xpath(namespace: str | None, tag: str) -> Any:
    if namespace is None:
        return etree.XPath(f"count({tag})")
    return etree.XPath(f"count(t:{tag})", namespaces={"t": namespace})
