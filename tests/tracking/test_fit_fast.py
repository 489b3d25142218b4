"""The fast FIT path (fitfast) must give exactly the numbers of the fitdecode path.

Every FIT file the tests know is decoded both ways and the whole
:class:`Activity` (start, distance, time, climb, cadence, heart rate, sport)
compared for equality; the benchmark compares all its 2,000 files the same
way (``benchmarks/bench_fit_import.py``).
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kneecoach.tracking.importers import ActivityFileError, parse_bytes
from kneecoach.tracking.importers import fit as fitmod

from .fixtures import FitDesign, make_fit

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import fitwriter  # noqa: E402


def _test_fit_files() -> dict[str, bytes]:
    files = {
        "default.fit": make_fit(FitDesign()),
        "no_session.fit": make_fit(FitDesign(), session=False),
        "no_cadence.fit": make_fit(FitDesign(), with_cadence=False),
        "no_session_no_cadence.fit": make_fit(FitDesign(seconds=300), session=False, with_cadence=False),
        "cycling.fit": make_fit(FitDesign(seconds=120, sport="cycling")),
        "sparse.fit": make_fit(FitDesign(seconds=3600, record_every_s=10)),
        "slow.fit": make_fit(FitDesign(seconds=600, speed_mps=1.4)),
    }
    for i in (0, 7, 1999):
        files[f"bench_{i}.fit"] = fitwriter.build_fit(fitwriter.spec_for(i, 600))
    for p in sorted(DATA.glob("*.fit")):
        files[p.name] = p.read_bytes()
    return files


FILES = _test_fit_files()


@pytest.mark.parametrize("name", sorted(FILES))
def test_fitfast_equals_fitdecode(name: str) -> None:
    data = FILES[name]
    assert fitmod._decode_fitfast(data) is not None, "fitfast should decode this file itself"
    fast = fitmod.parse_fit(data, name)
    reference = fitmod.parse_fit_fitdecode(data, name)
    assert fast == reference


def test_fallback_to_fitdecode_when_fitfast_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import fitfast

    data = FILES["default.fit"]
    expected = fitmod.parse_fit_fitdecode(data, "x.fit")
    calls = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise fitfast.FitDecodeError("CRC mismatch")

    monkeypatch.setattr(fitfast, "parse", refuse)
    assert fitmod.parse_fit(data, "x.fit") == expected
    assert calls, "fitfast was not tried first"


def test_corrupt_file_error_comes_from_fitdecode() -> None:
    data = bytearray(FILES["default.fit"])
    data[-1] ^= 0xFF
    with pytest.raises(ActivityFileError, match="CRC check failed"):
        parse_bytes(bytes(data), "bad.fit")


def test_compressed_timestamps_relative_time_file_is_read() -> None:
    """fitdecode's public test file: a Forerunner 70 run, 10.2 km, device-relative times."""
    a = parse_bytes((DATA / "compressed-speed-distance.fit").read_bytes(), "csd.fit")
    assert a.start.date() == datetime(2012, 2, 13, tzinfo=timezone.utc).date()
    assert a.distance_m == pytest.approx(10248.67)
    assert a.duration_s == pytest.approx(3883.273)
    assert a.avg_heart_rate_bpm == 170
    assert a.avg_cadence_spm == 176  # 88 strides/min per leg, doubled
    assert a.sport == "running"


def test_relative_time_without_anchor_still_refused() -> None:
    dec = fitmod._Decoded()
    dec.sessions = [{"start_time": 17217864, "total_distance": 1000.0, "total_elapsed_time": 300.0}]
    with pytest.raises(ActivityFileError, match="no start time"):
        fitmod._summarise(dec, "rel.fit")
