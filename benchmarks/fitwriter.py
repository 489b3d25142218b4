"""A compact FIT activity writer for benchmark data (struct + the FIT CRC-16).

``fit_tool`` (used by the unit tests) needs seconds per hour-long file, far
too slow for 2,000 of them. This writer emits only what the benchmark needs:
file_id, a timer-start event, 1 Hz ``record`` messages (timestamp, position,
distance, altitude, heart rate, cadence), then lap, session and activity
messages - the shape of a real watch recording. Field numbers, base types,
scales and offsets follow the FIT profile (Profile.xlsx); the CRC is the
FIT SDK's nibble-table CRC-16 (= CRC-16/ARC), computed with a byte table.
:func:`verify_sample` checks output against fitdecode and fitparse.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import datetime, timezone

FIT_EPOCH = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
EARTH_RADIUS_M = 6_371_008.8

_NIBBLE = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
           0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]


def _crc_byte_nibble(crc: int, byte: int) -> int:
    tmp = _NIBBLE[crc & 0xF]
    crc = (crc >> 4) & 0x0FFF
    crc = crc ^ tmp ^ _NIBBLE[byte & 0xF]
    tmp = _NIBBLE[crc & 0xF]
    crc = (crc >> 4) & 0x0FFF
    return crc ^ tmp ^ _NIBBLE[(byte >> 4) & 0xF]


# 256-entry table derived from the SDK's nibble algorithm (identical results).
_TABLE = [_crc_byte_nibble(0, b) for b in range(256)]


def fit_crc(data: bytes, crc: int = 0) -> int:
    """FIT CRC-16 of ``data`` (table-driven; same as the SDK's FitCRC_Get16)."""
    table = _TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


# Base types (FIT profile).
ENUM, UINT8, UINT16, SINT32, UINT32, UINT32Z = 0x00, 0x02, 0x84, 0x85, 0x86, 0x8C
_FMT = {ENUM: "B", UINT8: "B", UINT16: "H", SINT32: "i", UINT32: "I", UINT32Z: "I"}
_SIZE = {ENUM: 1, UINT8: 1, UINT16: 2, SINT32: 4, UINT32: 4, UINT32Z: 4}

# (global message number, [(field number, base type), ...])
FILE_ID = (0, [(0, ENUM), (1, UINT16), (2, UINT16), (3, UINT32Z), (4, UINT32)])
EVENT = (21, [(253, UINT32), (0, ENUM), (1, ENUM)])
RECORD = (20, [(253, UINT32), (0, SINT32), (1, SINT32), (5, UINT32), (2, UINT16), (3, UINT8), (4, UINT8)])
LAP = (19, [(253, UINT32), (2, UINT32), (7, UINT32), (8, UINT32), (9, UINT32), (0, ENUM), (1, ENUM)])
SESSION = (18, [(253, UINT32), (2, UINT32), (7, UINT32), (8, UINT32), (9, UINT32), (5, ENUM), (6, ENUM),
                (22, UINT16), (16, UINT8), (18, UINT8), (0, ENUM), (1, ENUM)])
ACTIVITY = (34, [(253, UINT32), (0, UINT32), (1, UINT16), (2, ENUM), (3, ENUM), (4, ENUM)])


def _definition(local: int, msg: tuple[int, list[tuple[int, int]]]) -> bytes:
    gnum, fields = msg
    out = struct.pack("<BBBHB", 0x40 | local, 0, 0, gnum, len(fields))
    for num, bt in fields:
        out += struct.pack("<BBB", num, _SIZE[bt], bt)
    return out


def _packer(local: int, msg: tuple[int, list[tuple[int, int]]]) -> struct.Struct:
    return struct.Struct("<B" + "".join(_FMT[bt] for _, bt in msg[1]))


@dataclass(frozen=True)
class Spec:
    """What a generated file should contain (the ground truth for checks)."""

    start: datetime
    seconds: int            # number of 1 Hz records
    speed_mps: float        # constant speed
    bearing_deg: float
    lat0: float
    lon0: float
    hill_amp_m: float       # altitude = 100 + amp * sin(2*pi*t/period)
    hill_period_s: int
    heart_rate: int
    cadence_spm: int        # both feet; FIT stores half of it

    @property
    def distance_m(self) -> float:
        return self.speed_mps * (self.seconds - 1)


def _destination(lat: float, lon: float, bearing: float, dist: float) -> tuple[float, float]:
    """Point ``dist`` m from (lat, lon) along ``bearing`` on the haversine sphere."""
    p1, l1, th = math.radians(lat), math.radians(lon), math.radians(bearing)
    d = dist / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(th))
    l2 = l1 + math.atan2(math.sin(th) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


def build_fit(spec: Spec) -> bytes:
    """Encode ``spec`` as a complete FIT activity file (header, data, CRC)."""
    t0 = int(spec.start.timestamp()) - FIT_EPOCH
    semi = 2**31 / 180.0
    parts: list[bytes] = []
    parts.append(_definition(0, FILE_ID))
    parts.append(_packer(0, FILE_ID).pack(0, 4, 255, 0, 12345, t0))  # type=activity, manufacturer=development
    parts.append(_definition(1, EVENT))
    parts.append(_packer(1, EVENT).pack(1, t0, 0, 0))  # timer start
    parts.append(_definition(2, RECORD))
    rec = _packer(2, RECORD)
    half_cad = spec.cadence_spm // 2
    climb = 0.0
    prev_alt = None
    for i in range(spec.seconds):
        dist = spec.speed_mps * i
        lat, lon = _destination(spec.lat0, spec.lon0, spec.bearing_deg, dist)
        alt = 100.0 + spec.hill_amp_m * math.sin(2 * math.pi * i / spec.hill_period_s)
        if prev_alt is not None and alt > prev_alt:
            climb += alt - prev_alt
        prev_alt = alt
        parts.append(rec.pack(2, t0 + i, round(lat * semi), round(lon * semi), round(dist * 100),
                              round((alt + 500) * 5), spec.heart_rate, half_cad))
    t_end = t0 + spec.seconds - 1
    elapsed_ms = (spec.seconds - 1) * 1000
    total_cm = round(spec.distance_m * 100)
    parts.append(_definition(3, EVENT))
    parts.append(_packer(3, EVENT).pack(3, t_end, 0, 4))  # timer stop_all
    parts.append(_definition(4, LAP))
    parts.append(_packer(4, LAP).pack(4, t_end, t0, elapsed_ms, elapsed_ms, total_cm, 9, 1))
    parts.append(_definition(5, SESSION))
    parts.append(_packer(5, SESSION).pack(5, t_end, t0, elapsed_ms, elapsed_ms, total_cm, 1, 0,
                                          round(climb), spec.heart_rate, half_cad, 8, 1))
    parts.append(_definition(6, ACTIVITY))
    parts.append(_packer(6, ACTIVITY).pack(6, t_end, elapsed_ms, 1, 0, 26, 1))
    body = b"".join(parts)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    crc = fit_crc(body, fit_crc(header))
    return header + body + struct.pack("<H", crc)


def spec_for(index: int, seconds: int = 3600) -> Spec:
    """Deterministic, slightly different run for file ``index``."""
    return Spec(
        start=datetime(2024, 1, 1, 6, tzinfo=timezone.utc).replace(day=1 + index % 28, month=1 + (index // 28) % 12,
                                                                   year=2020 + index // 336),
        seconds=seconds,
        speed_mps=2.6 + (index % 7) * 0.1,
        bearing_deg=(index * 37) % 360,
        lat0=47.0 + (index % 11) * 0.01,
        lon0=8.0 + (index % 13) * 0.01,
        hill_amp_m=5.0 + index % 20,
        hill_period_s=600,
        heart_rate=140 + index % 20,
        cadence_spm=164 + 2 * (index % 8),
    )


def verify_sample(data: bytes, spec: Spec) -> list[str]:
    """Decode ``data`` with fitdecode and fitparse; return a list of mismatches (empty = good)."""
    import io

    import fitdecode
    import fitparse

    from kneecoach.tracking.importers import parse_bytes

    problems: list[str] = []
    act = parse_bytes(data, "sample.fit")
    if abs(act.distance_m - spec.distance_m) > 0.02:
        problems.append(f"kneecoach distance {act.distance_m} != {spec.distance_m}")
    if act.avg_cadence_spm != spec.cadence_spm:
        problems.append(f"cadence {act.avg_cadence_spm} != {spec.cadence_spm}")
    n_records = 0
    positions = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as r:
        for fr in r:
            if fr.frame_type == fitdecode.FIT_FRAME_DATA and fr.name == "record":
                n_records += 1
                positions.append((fr.get_value("position_lat") * 180 / 2**31,
                                  fr.get_value("position_long") * 180 / 2**31))
    if n_records != spec.seconds:
        problems.append(f"fitdecode records {n_records} != {spec.seconds}")
    from kneecoach.tracking.importers._common import path_length_m
    geo = path_length_m(positions)
    if abs(geo - spec.distance_m) > 0.001 * spec.distance_m:
        problems.append(f"track length {geo:.1f} m vs intended {spec.distance_m:.1f} m")
    ff = fitparse.FitFile(data, check_crc=True)
    sess = list(ff.get_messages("session"))
    recs = list(ff.get_messages("record"))
    if len(recs) != spec.seconds:
        problems.append(f"fitparse records {len(recs)} != {spec.seconds}")
    if not sess or abs(sess[0].get_value("total_distance") - spec.distance_m) > 0.02:
        problems.append("fitparse session distance mismatch")
    return problems
