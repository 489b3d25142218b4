"""Garmin/ANT FIT activity files, decoded with ``fitfast`` and, as fallback, ``fitdecode``.

Decoders
--------
``fitfast`` (Rust, the ``rustyfit`` crate) decodes a one-hour file in a few
milliseconds, about 80x faster than pure-Python ``fitdecode``
(``benchmarks/bench_fit_import.py``). It refuses some valid older Garmin files
on its CRC check, so every file it refuses is decoded again with
``fitdecode``, which stays the reference: its errors are the ones reported.
Both decoders fill the same :class:`_Decoded` and one summarising function
makes the :class:`Activity`, so the numbers are identical whichever decoded it.

Relative time: watches without a clock fix at start (e.g. the Forerunner 70
of fitdecode's ``compressed-speed-distance.fit``) write device seconds instead
of calendar time. Such times are placed with a ``timestamp_correlation``
message (UTC) or the ``activity`` message's ``local_timestamp`` (the watch's
wall clock).

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
from datetime import datetime, timedelta, timezone
from typing import Any


from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import (
    FOOT_SPORTS,
    ActivityFileError,
    elevation_gain,
    mean_or_none,
    normalise_sport,
    path_length_m,
)

__all__ = ["looks_like_fit", "parse_fit", "parse_fit_fitdecode"]

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


def _fields(frame: Any, wanted: frozenset[str] | None = None) -> dict[str, Any]:
    """Field name -> value for one message (one pass; get_value() is a linear scan)."""
    out: dict[str, Any] = {}
    for f in frame.fields:
        if (wanted is None or f.name in wanted) and f.value is not None:
            out[f.name] = f.value
    return out


class _Decoded:
    """What either decoder extracts from a FIT file, in one shape.

    Date-time values are ``datetime`` (UTC) when absolute and ``int`` (FIT
    seconds) when the file stores *relative* device time (values below
    ``0x10000000``, written by older watches without a GPS fix at start),
    exactly as ``fitdecode`` reports them, so both decoders feed the same
    summarising code and give bit-identical numbers.
    """

    __slots__ = ("_raw_records", "alts", "anchor", "cads", "dists", "file_created", "hrs",
                 "positions", "rel_times", "sessions", "sport_msg", "times")

    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.sport_msg: str | None = None
        self.file_created: datetime | None = None
        self.times: list[datetime] = []
        self.rel_times: list[int] = []
        self.dists: list[float] = []
        self.alts: list[float | None] = []
        self.hrs: list[float | None] = []
        self.cads: list[float | None] = []
        self.positions: list[tuple[float, float]] = []
        #: (relative device seconds, absolute datetime) pair, to place relative times.
        self.anchor: tuple[int, datetime] | None = None
        #: fitfast's record dicts, summarised only if the session lacks something
        #: (turning 3,600 dicts into lists costs more than decoding the file).
        self._raw_records: list[dict[Any, Any]] | None = None

    def defer_records(self, raw: list[dict[Any, Any]]) -> None:
        self._raw_records = raw

    def records(self) -> _Decoded:
        """Make the per-record lists available (a no-op once done or for fitdecode)."""
        raw, self._raw_records = self._raw_records, None
        for r in raw or ():
            ts = r.get("timestamp")
            if ts is not None:
                r = dict(r)
                r["timestamp"] = _fitfast_time(ts)
            self.add_record(r)
        return self

    def add_record(self, r: dict[str, Any]) -> None:
        ts = r.get("timestamp")
        if isinstance(ts, datetime):
            self.times.append(_as_utc(ts))  # type: ignore[arg-type]
        elif isinstance(ts, int) and not isinstance(ts, bool):
            self.rel_times.append(ts)
        d = _num(r.get("distance"))
        if d is not None:
            self.dists.append(d)
        self.alts.append(_num(r.get("enhanced_altitude", r.get("altitude"))))
        self.hrs.append(_num(r.get("heart_rate")))
        cad = _num(r.get("cadence"))
        if cad is not None:
            cad += _num(r.get("fractional_cadence")) or 0.0
        self.cads.append(cad)
        lat, lon = _num(r.get("position_lat")), _num(r.get("position_long"))
        if lat is not None and lon is not None:
            self.positions.append((lat * _SEMICIRCLE_TO_DEG, lon * _SEMICIRCLE_TO_DEG))

    def add_anchor(self, msg: str, f: dict[str, Any]) -> None:
        """Remember one relative/absolute time pair (first one wins).

        ``timestamp_correlation`` pairs device time with UTC; failing that, the
        ``activity`` message pairs its (relative) ``timestamp`` with the
        watch's wall clock ``local_timestamp`` - local time, the best a watch
        without a UTC fix offers, and what the runner saw on the watch.
        """
        if self.anchor is not None:
            return
        if msg == "timestamp_correlation":
            rel, absolute = f.get("system_timestamp"), f.get("timestamp")
        else:
            rel, absolute = f.get("timestamp"), f.get("local_timestamp")
        if isinstance(rel, int) and not isinstance(rel, bool) and isinstance(absolute, datetime):
            self.anchor = (rel, _as_utc(absolute))  # type: ignore[assignment]


def parse_fit(data: bytes, name: str) -> Activity:
    """Decode a FIT activity file into an :class:`Activity`.

    The fast decoder (``fitfast``) is tried first; any file it refuses (it is
    stricter than fitdecode about some older Garmin files) is decoded again
    with ``fitdecode``, whose verdict, and error message, is final. Both feed
    the same summarising code, so the numbers do not depend on the decoder
    (``tests/tracking/test_fit_fast.py`` compares them file by file).

    Raises :class:`ActivityFileError` naming the file for anything that is not
    a complete, CRC-valid FIT activity with some distance or time in it.
    """
    if not data:
        raise ActivityFileError(name, "empty file")
    if not looks_like_fit(data):
        raise ActivityFileError(name, "not a FIT file (missing .FIT header)")
    decoded = _decode_fitfast(data)
    if decoded is None:
        decoded = _decode_fitdecode(data, name)
    return _summarise(decoded, name)


def parse_fit_fitdecode(data: bytes, name: str) -> Activity:
    """:func:`parse_fit` with fitdecode only (the reference path; tests and benchmarks)."""
    if not data:
        raise ActivityFileError(name, "empty file")
    if not looks_like_fit(data):
        raise ActivityFileError(name, "not a FIT file (missing .FIT header)")
    return _summarise(_decode_fitdecode(data, name), name)


#: FIT epoch (1989-12-31T00:00:00Z) in Unix seconds; fitfast adds it to every date_time.
_FIT_EPOCH_UNIX = 631065600
#: FIT date_time values below this are relative device seconds, not calendar time.
_FIT_MIN_ABSOLUTE = 0x10000000
_TIME_FIELDS = frozenset({"timestamp", "start_time", "time_created", "local_timestamp",
                          "system_timestamp"})


def _fitfast_time(value: Any) -> datetime | int | None:
    """fitfast's Unix seconds -> what fitdecode reports (datetime or relative int)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    fit_s = value - _FIT_EPOCH_UNIX
    if fit_s < _FIT_MIN_ABSOLUTE:
        return int(fit_s)
    return datetime.fromtimestamp(value, tz=timezone.utc)


def _fitfast_fields(f: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in f.items():
        if isinstance(k, str):
            out[k] = _fitfast_time(v) if k in _TIME_FIELDS else v
    return out


def _decode_fitfast(data: bytes) -> _Decoded | None:
    """Decode with fitfast (Rust); ``None`` when it refuses the file or is not installed."""
    try:
        import fitfast
    except ImportError:  # pragma: no cover - fitfast is a dependency; stay correct without it
        return None
    try:
        msgs = fitfast.parse(data, enum_names=True, datetimes=False)
    except (fitfast.FitDecodeError, ValueError, OverflowError):
        return None
    out = _Decoded()
    out.defer_records(msgs.get("record", []))
    out.sessions = [_fitfast_fields(s) for s in msgs.get("session", ())]
    for s in msgs.get("sport", ())[:1]:
        out.sport_msg = s.get("sport")
    for f in msgs.get("file_id", ()):
        # fitdecode keeps the last file_id's value; so do we
        t = _fitfast_time(f.get("time_created"))
        out.file_created = t if isinstance(t, datetime) else None
    for kind in ("timestamp_correlation", "activity"):
        for f in msgs.get(kind, ()):
            out.add_anchor(kind, _fitfast_fields(f))
    return out


def _decode_fitdecode(data: bytes, name: str) -> _Decoded:
    """Decode with fitdecode (pure Python, lenient about old files; the reference)."""
    import fitdecode

    out = _Decoded()
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
                    out.add_record(_fields(frame, _RECORD_FIELDS))
                elif msg == "session":
                    out.sessions.append(_fields(frame))
                elif msg == "sport" and out.sport_msg is None:
                    out.sport_msg = _fields(frame).get("sport")
                elif msg == "file_id":
                    out.file_created = _as_utc(_fields(frame).get("time_created"))
                elif msg in ("timestamp_correlation", "activity"):
                    out.add_anchor(msg, _fields(frame))
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
    return out


def _resolve_relative(rel: Any, anchor: tuple[int, datetime] | None) -> datetime | None:
    if anchor is None or not isinstance(rel, int) or isinstance(rel, bool):
        return None
    return anchor[1] + timedelta(seconds=rel - anchor[0])


def _summarise(dec: _Decoded, name: str) -> Activity:
    sessions = dec.sessions
    if not sessions:
        dec.records()
    if not sessions and not dec.times and not dec.rel_times:
        raise ActivityFileError(name, "FIT file has no session or record data (not an activity?)")

    # ---- start, duration, distance -------------------------------------------------
    s = _merge_sessions(sessions)
    start = _as_utc(s.get("start_time"))
    if start is None:
        times = dec.records().times
        start = (min(times) if times else None) or dec.file_created
    if start is None:
        # Relative device time only (older watches): place it with an anchor.
        rel_start = s.get("start_time")
        if not isinstance(rel_start, int) and dec.records().rel_times:
            rel_start = min(dec.rel_times)
        start = _resolve_relative(rel_start, dec.anchor)
    if start is None:
        raise ActivityFileError(name, "FIT file has no start time")

    duration = _num(s.get("total_elapsed_time"))
    if duration is None:
        duration = _num(s.get("total_timer_time"))
    if duration is None:
        times = dec.records().times
        if not times and dec.rel_times:
            times = [start, start + timedelta(seconds=max(dec.rel_times) - min(dec.rel_times))]
        duration = (max(times) - min(times)).total_seconds() if times else 0.0

    distance = _num(s.get("total_distance"))
    if distance is None:
        if dec.records().dists:
            distance = max(dec.dists)
        else:
            distance = path_length_m(dec.positions)

    ascent = _num(s.get("total_ascent"))
    if ascent is None:
        ascent = elevation_gain(dec.records().alts)

    sport = normalise_sport(s.get("sport") or dec.sport_msg)

    hr = _num(s.get("avg_heart_rate"))
    if hr is None or hr <= 0:
        hr = mean_or_none(dec.records().hrs)

    cadence_spm: float | None = None
    if sport in FOOT_SPORTS:
        per_leg = _num(s.get("avg_running_cadence"))
        if per_leg is None:
            per_leg = _num(s.get("avg_cadence"))
        if per_leg is not None and per_leg > 0:
            per_leg += _num(s.get("avg_fractional_cadence")) or 0.0
        else:
            per_leg = mean_or_none(dec.records().cads)
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
