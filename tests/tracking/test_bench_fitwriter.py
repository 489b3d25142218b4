"""The benchmark's hand-rolled FIT writer must produce files real decoders accept."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import fitwriter  # noqa: E402

from kneecoach.tracking.importers import ActivityFileError, parse_bytes  # noqa: E402


def test_table_crc_equals_sdk_nibble_crc() -> None:
    data = os.urandom(512)
    crc = 0
    for b in data:
        crc = fitwriter._crc_byte_nibble(crc, b)
    assert fitwriter.fit_crc(data) == crc
    # CRC-16/ARC check value for "123456789" (the FIT CRC is that polynomial).
    assert fitwriter.fit_crc(b"123456789") == 0xBB3D


@pytest.mark.parametrize("index", [0, 7, 1234])
def test_generated_file_decodes_everywhere(index: int) -> None:
    spec = fitwriter.spec_for(index, seconds=120)
    data = fitwriter.build_fit(spec)
    assert fitwriter.verify_sample(data, spec) == []
    a = parse_bytes(data, "bench.fit")
    assert a.duration_s == spec.seconds - 1
    assert a.avg_heart_rate_bpm == spec.heart_rate


def test_generated_file_crc_is_checked() -> None:
    data = bytearray(fitwriter.build_fit(fitwriter.spec_for(1, seconds=30)))
    data[200] ^= 0x10
    with pytest.raises(ActivityFileError, match="CRC"):
        parse_bytes(bytes(data), "bench.fit")
