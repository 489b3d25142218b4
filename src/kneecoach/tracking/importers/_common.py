"""Helpers shared by the GPX, TCX and FIT importers.

Kept in one place so the three formats compute distance, climb and cadence the
same way: the same run exported twice must produce (nearly) the same numbers,
or duplicate detection and load charts disagree with each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from lxml import etree

#: Element type returned by :func:`xml_root` (lxml's ElementTree-compatible element).
Element = Any

#: A parser that never fetches anything, never expands entities and never loads a DTD, and
#: drops comments and processing instructions; documents that carry a DTD are refused below.
_SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
    remove_comments=True, remove_pis=True,
)

__all__ = [
    "ActivityFileError",
    "EARTH_RADIUS_M",
    "ELEVATION_HYSTERESIS_M",
    "FOOT_SPORTS",
    "elevation_gain",
    "float_or_none",
    "haversine_m",
    "mean_or_none",
    "normalise_sport",
    "path_length_m",
    "valid_coordinate",
    "xml_root",
]

#: Mean Earth radius (IUGG), the usual radius for haversine distances.
EARTH_RADIUS_M = 6_371_008.8

#: Altitude changes smaller than this (metres) are treated as noise. GPS
#: altitude wobbles by a few metres even when standing still; summing every
#: wobble would report hundreds of metres of "climb" on a flat track run.
ELEVATION_HYSTERESIS_M = 3.0

#: Sports whose cadence is counted in steps (so per-leg values are doubled).
FOOT_SPORTS = frozenset({"running", "walking", "hiking", "trail_running", "treadmill_running"})


class ActivityFileError(ValueError):
    """A watch file that cannot be turned into an :class:`Activity`.

    ``name`` is the file name as the user knows it (inside a zip: the member
    name) and ``reason`` says what is wrong in plain words, e.g.
    ``"truncated FIT file"``. ``str(err)`` combines both, so a CLI or web page
    can show it as is. Subclasses ``ValueError`` so callers that only care
    about "bad input" can catch that.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")

    def __reduce__(self) -> tuple[type[ActivityFileError], tuple[str, str]]:
        # Picklable with both arguments (results cross process boundaries in bulk imports).
        return (type(self), (self.name, self.reason))


def xml_root(data: bytes, name: str, fmt: str, root_tag: str) -> Element:
    """Parse an XML watch file safely and check its root element.

    DTDs and entities are refused, so a hostile upload cannot expand into gigabytes or read local
    files: lxml parses without resolving entities, loading DTDs or touching the network, and any
    document that declares a DTD is refused outright. lxml (libxml2) is also about 4x faster than
    ElementTree here, which is what makes a 6-hour GPX import take a fraction of a second. Any
    failure is an :class:`ActivityFileError` naming the format, e.g. "not a TCX file".
    """
    if not data.strip():
        raise ActivityFileError(name, "empty file")
    try:
        root = etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:65536]:
            raise ActivityFileError(name, f"{fmt} refused: contains a DTD or entities") from exc
        raise ActivityFileError(name, f"not a {fmt} file (not valid XML)") from exc
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise ActivityFileError(name, f"{fmt} refused: contains a DTD or entities")
    local = etree.QName(root).localname
    if local.lower() != root_tag.lower():
        raise ActivityFileError(name, f"not a {fmt} file (root element is <{local}>)")
    return root


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (spherical Earth).

    Horizontal only: altitude is ignored, because watch altitude is too noisy
    to add to distance and every watch vendor reports 2-D distance too.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def valid_coordinate(lat: float, lon: float) -> bool:
    """True for a real WGS84 position (False for NaN, out-of-range values)."""
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def path_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Sum of haversine legs along ``(lat, lon)`` points."""
    return sum(
        haversine_m(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False)
    )


def elevation_gain(
    altitudes: Iterable[float | None], threshold_m: float = ELEVATION_HYSTERESIS_M
) -> float:
    """Total climb in metres, ignoring wiggles smaller than ``threshold_m``.

    Hysteresis, not smoothing: a climb starts only once altitude has risen more
    than ``threshold_m`` above the lowest point seen, and ends once it has
    dropped more than ``threshold_m`` below the highest point of the climb; the
    climb then counts in full (high - low). So a steady 100 m hill counts as
    100 m (no rounding loss at either end), while noise of less than the
    threshold on a flat or steady route adds nothing. ``None`` values (points
    without altitude) are skipped.
    """
    gain = 0.0
    low = high = None  # type: float | None
    climbing = False
    for alt in altitudes:
        if alt is None or math.isnan(alt):
            continue
        if low is None or high is None:
            low = high = alt
            continue
        if climbing:
            if alt > high:
                high = alt
            elif high - alt > threshold_m:
                gain += high - low
                climbing = False
                low = high = alt
        elif alt < low:
            low = alt
        elif alt - low > threshold_m:
            climbing = True
            high = alt
    if climbing and low is not None and high is not None:
        gain += high - low
    return gain


def float_or_none(text: str | None) -> float | None:
    """A reading's number, or None for a missing, unreadable or NaN value (watches write all three)."""
    if text is None:
        return None
    try:
        v = float(text.strip())
    except ValueError:
        return None
    return v if v == v else None


def mean_or_none(values: Iterable[float | None], *, positive_only: bool = True) -> float | None:
    """Mean of the present values; zeros dropped when ``positive_only``.

    Watches write 0 for "no reading" (HR strap dropped out, standing at a
    crossing), which would otherwise drag averages down.
    """
    total = 0.0
    n = 0
    for v in values:
        if v is None or (positive_only and v <= 0):
            continue
        total += v
        n += 1
    return total / n if n else None


_SPORT_ALIASES = {
    "run": "running",
    "running": "running",
    "trail_running": "running",
    "treadmill_running": "running",
    "street_running": "running",
    "track_running": "running",
    "biking": "cycling",
    "bike": "cycling",
    "cycling": "cycling",
    "ride": "cycling",
    "walk": "walking",
    "walking": "walking",
    "hike": "hiking",
    "hiking": "hiking",
    "swim": "swimming",
    "swimming": "swimming",
    "generic": "other",
    "other": "other",
}


def normalise_sport(raw: object | None) -> str:
    """Map a vendor sport label to kneecoach's vocabulary.

    ``running``, ``cycling``, ``walking``, ``hiking``, ``swimming`` or the
    lower-cased label itself. A file that says nothing about its sport is
    taken to be a run: this is a running app, and GPX files from most run
    trackers carry no type at all.
    """
    if raw is None:
        return "running"
    label = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
    if not label:
        return "running"
    return _SPORT_ALIASES.get(label, label)
