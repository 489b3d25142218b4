"""Garmin/ANT FIT activity files, decoded with ``fitdecode``.

What is read
------------
* The ``session`` message when present (watches write one at the end of a
  recording): ``start_time``, ``total_distance``, ``total_elapsed_time`` (falling
  back to ``total_timer_time``), ``total_ascent``, ``avg_heart_rate``,
  ``avg_running_cadence``/``avg_cadence`` + ``avg_fractional_cadence``, ``sport``.
* ``record`` messages (the 1 Hz samples) always, as a fallback for anything
  the session lacks, and for the whole summary when there is no session (a
  crashed watch, some third-party exporters).

Cadence: FIT stores running cadence **per leg** (strides/min, about 80-95 for
a runner); kneecoach stores steps/min (both feet), so foot-sport cadence is
doubled. Cycling cadence is crank rpm, not steps, and is dropped.

Integrity: the file CRC is checked (``CrcCheck.RAISE``) and reading past the
declared end fails, so a truncated download or a corrupted file raises
:class:`ActivityFileError` rather than returning a half-run. Profile quirks
inside a CRC-valid file (developer fields from Connect IQ apps without their
description message, odd field sizes) are tolerated (``ErrorHandling.IGNORE``):
they come from real, intact recordings, and the fields kneecoach reads are
unaffected.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import fitdecode

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import (
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    mean_or_none,
    normalise_sport,
    path_length_m,
)

__all__ = ["looks_like_fit", "parse_fit"]

_SEMICIRCLE_TO_DEG = 180.0 / 2**31
_RECORD_FIELDS = frozenset(
    {
        "timestamp",
        "distance",
        "altitude",
        "enhanced_altitude",
        "heart_rate",
        "cadence",
        "fractional_cadence",
        "position_lat",
        "position_long",
    }
)


def looks_like_fit(data: bytes) -> bool:
    """True when ``data`` starts with a FIT file header (".FIT" signature)."""
    return len(data) >= 12 and data[8:12] == b".FIT"


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _fields(frame: fitdecode.FitDataMessage, wanted: frozenset[str] | None = None) -> dict[str, Any]:
    """Field name -> value for one message (one pass; get_value() is a linear scan)."""
    out: dict[str, Any] = {}
    for f in frame.fields:
        if (wanted is None or f.name in wanted) and f.value is not None:
            out[f.name] = f.value
    return out


def parse_fit(data: bytes, name: str) -> Activity:
    """Decode a FIT activity file into an :class:`Activity`.

    Raises :class:`ActivityFileError` naming the file for anything that is not
    a complete, CRC-valid FIT activity with some distance or time in it.
    """
    if not data:
        raise ActivityFileError(name, "empty file")
    if not looks_like_fit(data):
        raise ActivityFileError(name, "not a FIT file (missing .FIT header)")

    sessions: list[dict[str, Any]] = []
    sport_msg: str | None = None
    file_created: datetime | None = None
    times: list[datetime] = []
    dists: list[float] = []
    alts: list[float | None] = []
    hrs: list[float | None] = []
    cads: list[float | None] = []
    positions: list[tuple[float, float]] = []

    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                msg = frame.name
                if msg == "record":
                    r = _fields(frame, _RECORD_FIELDS)
                    ts = _as_utc(r.get("timestamp"))
                    if ts is not None:
                        times.append(ts)
                    d = _num(r.get("distance"))
                    if d is not None:
                        dists.append(d)
                    alt = _num(r.get("enhanced_altitude", r.get("altitude")))
                    alts.append(alt)
                    hrs.append(_num(r.get("heart_rate")))
                    cad = _num(r.get("cadence"))
                    if cad is not None:
                        cad += _num(r.get("fractional_cadence")) or 0.0
                    cads.append(cad)
                    lat, lon = _num(r.get("position_lat")), _num(r.get("position_long"))
                    if lat is not None and lon is not None:
                        positions.append((lat * _SEMICIRCLE_TO_DEG, lon * _SEMICIRCLE_TO_DEG))
                elif msg == "session":
                    sessions.append(_fields(frame))
                elif msg == "sport" and sport_msg is None:
                    s = _fields(frame)
                    sport_msg = s.get("sport")
                elif msg == "file_id":
                    file_created = _as_utc(_fields(frame).get("time_created"))
    except fitdecode.FitCRCError as exc:
        raise ActivityFileError(name, "corrupt FIT file (CRC check failed)") from exc
    except fitdecode.FitEOFError as exc:
        raise ActivityFileError(name, "truncated FIT file (ends before its declared size)") from exc
    except fitdecode.FitHeaderError as exc:
        raise ActivityFileError(name, "not a FIT file (invalid header)") from exc
    except fitdecode.FitError as exc:
        raise ActivityFileError(name, f"corrupt FIT file ({type(exc).__name__})") from exc
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
        # fitdecode can trip over nonsense field definitions before the CRC is
        # reached; that is still a corrupt file, not a bug in the caller.
        raise ActivityFileError(name, f"corrupt FIT file ({type(exc).__name__})") from exc

    if not sessions and not times:
        raise ActivityFileError(name, "FIT file has no session or record data (not an activity?)")

    # ---- start, duration, distance -------------------------------------------------
    s = _merge_sessions(sessions)
    start = _as_utc(s.get("start_time")) or (min(times) if times else None) or file_created
    if start is None:
        raise ActivityFileError(name, "FIT file has no start time")

    duration = _num(s.get("total_elapsed_time"))
    if duration is None:
        duration = _num(s.get("total_timer_time"))
    if duration is None:
        duration = (max(times) - min(times)).total_seconds() if times else 0.0

    distance = _num(s.get("total_distance"))
    if distance is None:
        if dists:
            distance = max(dists)
        else:
            distance = path_length_m(positions)

    ascent = _num(s.get("total_ascent"))
    if ascent is None:
        ascent = elevation_gain(alts)

    sport = normalise_sport(s.get("sport") or sport_msg)

    hr = _num(s.get("avg_heart_rate"))
    if hr is None or hr <= 0:
        hr = mean_or_none(hrs)

    cadence_spm: float | None = None
    if sport in FOOT_SPORTS:
        per_leg = _num(s.get("avg_running_cadence"))
        if per_leg is None:
            per_leg = _num(s.get("avg_cadence"))
        if per_leg is not None and per_leg > 0:
            per_leg += _num(s.get("avg_fractional_cadence")) or 0.0
        else:
            per_leg = mean_or_none(cads)
        cadence_spm = per_leg * 2 if per_leg is not None else None

    if distance <= 0 and duration <= 0:
        raise ActivityFileError(name, "FIT file has neither distance nor duration")
    return Activity(
        start=start,
        duration_s=max(duration, 0.0),
        distance_m=max(distance, 0.0),
        elevation_gain_m=max(ascent, 0.0),
        avg_cadence_spm=cadence_spm,
        avg_heart_rate_bpm=hr,
        sport=sport,
        source_format="fit",
        source_name=name,
    )


def _merge_sessions(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for the whole file.

    Almost every file has one session. Multisport files (brick sessions) have
    several: totals are summed, averages time-weighted, start is the earliest,
    and the sport is the one of the longest session, so a run with a short
    walk warm-up still counts as a run.
    """
    if len(sessions) <= 1:
        return sessions[0] if sessions else {}
    merged: dict[str, Any] = {}
    starts = [t for t in (_as_utc(x.get("start_time")) for x in sessions) if t is not None]
    if starts:
        merged["start_time"] = min(starts)
    for key in ("total_elapsed_time", "total_timer_time", "total_distance", "total_ascent"):
        vals = [_num(x.get(key)) for x in sessions]
        present = [v for v in vals if v is not None]
        if present:
            merged[key] = sum(present)
    longest = max(sessions, key=lambda x: _num(x.get("total_distance")) or 0.0)
    merged["sport"] = longest.get("sport")
    for key in ("avg_heart_rate", "avg_running_cadence", "avg_cadence", "avg_fractional_cadence"):
        num = den = 0.0
        for x in sessions:
            v, w = _num(x.get(key)), _num(x.get("total_timer_time")) or 0.0
            if v is not None and v > 0 and w > 0:
                num += v * w
                den += w
        if den > 0:
            merged[key] = num / den
    return merged
