"""Watch-file importers against generated real-format files with known truth."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kneecoach.tracking import importers
from kneecoach.tracking.importers import (
    ActivityFileError,
    FileResult,
    count_sources,
    iter_sources,
    parse_bytes,
    parse_file,
    parse_path,
)
from kneecoach.tracking.importers._common import elevation_gain, haversine_m

from .fixtures import DESIGNED_CLIMB_M, Design, FitDesign, make_gpx, make_tcx

# ----------------------------------------------------------------- GPX


def test_gpx_matches_design(gpx_bytes: bytes, design: Design) -> None:
    a = parse_bytes(gpx_bytes, "morning.gpx")
    assert a.distance_m == pytest.approx(design.distance_m, abs=0.5)
    assert a.duration_s == design.duration_s
    assert a.start == design.start
    assert a.elevation_gain_m == pytest.approx(DESIGNED_CLIMB_M, abs=0.5)
    assert a.avg_heart_rate_bpm == design.heart_rate
    assert a.avg_cadence_spm == design.cadence_spm        # per-leg cad doubled
    assert (a.sport, a.source_format, a.source_name) == ("running", "gpx", "morning.gpx")


def test_gpx_segments_summed(design: Design) -> None:
    a = parse_bytes(make_gpx(design, segments=3), "segs.gpx")
    assert a.distance_m == pytest.approx(design.distance_m, abs=0.5)


def test_gpx_noisy_elevation_is_filtered() -> None:
    noisy = Design(noise_m=1.0)
    a = parse_bytes(make_gpx(noisy), "noisy.gpx")
    # Noise can only widen each of the two climbs by 2 x noise at most ...
    assert DESIGNED_CLIMB_M <= a.elevation_gain_m <= DESIGNED_CLIMB_M + 4 * noisy.noise_m
    # ... while summing every rise would count the +-1 m wobble ~500 times.
    alts = [p[3] for p in noisy.points()]
    naive = sum(max(0.0, b - a_) for a_, b in zip(alts, alts[1:]))
    assert naive > 5 * DESIGNED_CLIMB_M


def test_gpx_without_extensions_and_other_sport() -> None:
    a = parse_bytes(make_gpx(Design(), with_extensions=False), "plain.gpx")
    assert a.avg_heart_rate_bpm is None and a.avg_cadence_spm is None
    b = parse_bytes(make_gpx(Design(sport="Biking")), "ride.gpx")
    assert b.sport == "cycling"
    assert b.avg_cadence_spm is None          # crank rpm is not steps


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not xml at all", "not a GPX file"),
        (b"<gpx version='1.1' xmlns='http://www.topografix.com/GPX/1/1'></gpx>", "no track points"),
        (b"<kml></kml>", "not a GPX file"),
        (b"", "empty file"),
        (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
         b"<gpx>&b;</gpx>", "DTD"),
    ],
)
def test_gpx_errors(data: bytes, reason: str) -> None:
    with pytest.raises(ActivityFileError, match=reason) as exc:
        parse_bytes(data, "bad.gpx")
    assert exc.value.name == "bad.gpx"
    assert str(exc.value).startswith("bad.gpx: ")


def test_gpx_without_times_is_rejected() -> None:
    with pytest.raises(ActivityFileError, match="no timestamps"):
        parse_bytes(make_gpx(Design(), with_time=False), "course.gpx")


# ----------------------------------------------------------------- TCX


def test_tcx_matches_design(tcx_bytes: bytes, design: Design) -> None:
    a = parse_bytes(tcx_bytes, "run.tcx")
    assert a.distance_m == pytest.approx(design.distance_m, abs=0.05)   # lap DistanceMeters sum
    assert a.duration_s == design.duration_s
    assert a.start == design.start
    assert a.elevation_gain_m == pytest.approx(DESIGNED_CLIMB_M, abs=0.5)
    assert a.avg_heart_rate_bpm == design.heart_rate
    assert a.avg_cadence_spm == design.cadence_spm      # RunCadence per leg -> doubled
    assert (a.sport, a.source_format) == ("running", "tcx")


def test_tcx_agrees_with_gpx_of_same_run(tcx_bytes: bytes, gpx_bytes: bytes) -> None:
    a, b = parse_bytes(tcx_bytes, "x.tcx"), parse_bytes(gpx_bytes, "x.gpx")
    assert a.fingerprint == b.fingerprint


def test_tcx_lap_summaries_only(design: Design) -> None:
    text = make_tcx(design, laps=2).decode()
    text = re.sub(r"<Track>.*?</Track>", "", text)
    a = parse_bytes(text.encode(), "treadmill.tcx")
    assert a.distance_m == pytest.approx(design.distance_m, abs=0.05)
    assert a.duration_s == pytest.approx(design.duration_s)   # sum of TotalTimeSeconds
    assert a.avg_heart_rate_bpm == pytest.approx(design.heart_rate)
    assert a.elevation_gain_m == 0.0


def test_tcx_biking_sport() -> None:
    a = parse_bytes(make_tcx(Design(), sport="Biking"), "ride.tcx")
    assert a.sport == "cycling" and a.avg_cadence_spm is None


def test_tcx_missing_times() -> None:
    with pytest.raises(ActivityFileError, match="no start time"):
        parse_bytes(make_tcx(Design(), with_times=False), "notime.tcx")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<TrainingCenterDatabase><Activities/></TrainingCenterDatabase>", "no activity"),
        (b"<gpx/>", "not a TCX file"),
        (b"<TrainingCenterDatabase><Activities>", "not valid XML"),
    ],
)
def test_tcx_errors(data: bytes, reason: str) -> None:
    with pytest.raises(ActivityFileError, match=reason):
        parse_bytes(data, "bad.tcx")


# ----------------------------------------------------------------- FIT


def test_fit_session_matches_design(fit_bytes: bytes, fit_design: FitDesign) -> None:
    a = parse_bytes(fit_bytes, "watch.fit")
    assert a.distance_m == pytest.approx(fit_design.distance_m, abs=0.01)
    assert a.duration_s == fit_design.seconds
    assert a.start == fit_design.start
    assert a.elevation_gain_m == pytest.approx(fit_design.climb_m)
    assert a.avg_heart_rate_bpm == fit_design.heart_rate
    assert a.avg_cadence_spm == pytest.approx(fit_design.cadence_spm)   # (84 + 0.5) x 2
    assert (a.sport, a.source_format) == ("running", "fit")


def test_fit_records_fallback_without_session(fit_no_session_bytes: bytes,
                                              fit_design: FitDesign) -> None:
    a = parse_bytes(fit_no_session_bytes, "crashed.fit")
    assert a.distance_m == pytest.approx(fit_design.distance_m, abs=0.01)
    assert a.duration_s == fit_design.seconds
    assert a.start == fit_design.start
    assert a.elevation_gain_m == pytest.approx(fit_design.climb_m, abs=0.5)
    assert a.avg_heart_rate_bpm == pytest.approx(fit_design.heart_rate)
    assert a.avg_cadence_spm == pytest.approx(fit_design.cadence_spm)


def test_fit_cycling_keeps_sport_drops_cadence(fit_cycling_bytes: bytes) -> None:
    a = parse_bytes(fit_cycling_bytes, "ride.fit")
    assert a.sport == "cycling"
    assert a.avg_cadence_spm is None


def test_fit_truncated(fit_bytes: bytes) -> None:
    for cut in (len(fit_bytes) - 1, len(fit_bytes) // 2, 20):
        with pytest.raises(ActivityFileError, match="truncated") as exc:
            parse_bytes(fit_bytes[:cut], "cut.fit")
        assert exc.value.name == "cut.fit"


def test_fit_bad_crc(fit_bytes: bytes) -> None:
    data = bytearray(fit_bytes)
    data[len(data) // 2] ^= 0x01          # flip one bit inside a record's value
    with pytest.raises(ActivityFileError, match="CRC"):
        parse_bytes(bytes(data), "flip.fit")
    data = bytearray(fit_bytes)
    data[-1] ^= 0xFF                       # damage the file CRC itself
    with pytest.raises(ActivityFileError, match="CRC"):
        parse_bytes(bytes(data), "crc.fit")


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"\x00\x01garbage garbage garbage", "not a FIT file"),
     (bytes(range(256)) * 4, "not a FIT file")],
)
def test_fit_garbage(data: bytes, reason: str) -> None:
    with pytest.raises(ActivityFileError, match=reason):
        parse_bytes(data, "junk.fit")


# ----------------------------------------------------------------- dispatch


def test_gzip_and_sniffing(fit_bytes: bytes, gpx_bytes: bytes, tcx_bytes: bytes) -> None:
    assert parse_bytes(gzip.compress(fit_bytes), "a.fit.gz").source_format == "fit"
    assert parse_bytes(gzip.compress(gpx_bytes), "a.GPX.GZ").source_format == "gpx"
    # unknown extension: sniff the content
    assert parse_bytes(fit_bytes, "download").source_format == "fit"
    assert parse_bytes(gpx_bytes, "export.xml").source_format == "gpx"
    assert parse_bytes(tcx_bytes, "export.xml").source_format == "tcx"
    with pytest.raises(ActivityFileError, match="unrecognised"):
        parse_bytes(b"name,distance\nrun,5\n", "runs.csv")
    with pytest.raises(ActivityFileError, match="gzip"):
        parse_bytes(gzip.compress(fit_bytes)[:30], "cut.fit.gz")


def test_gzip_bomb_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ActivityFileError, match="larger than"):
        parse_bytes(gzip.compress(b"\0" * 5000), "bomb.fit.gz")


def test_parse_file(tmp_path: Path, gpx_bytes: bytes) -> None:
    p = tmp_path / "run.gpx"
    p.write_bytes(gpx_bytes)
    assert parse_file(p).source_name == "run.gpx"


# ----------------------------------------------------------------- folders and zips


@pytest.fixture()
def export_zip(tmp_path: Path, fit_bytes: bytes, gpx_bytes: bytes, tcx_bytes: bytes) -> Path:
    """A Strava-like bulk export: gzipped activities, CSV/JSON/photo noise, two bad files."""
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities.csv", "id,name\n1,run\n")
        zf.writestr("profile.json", "{}")
        zf.writestr("media/photo.jpg", b"\xff\xd8\xff")
        zf.writestr("activities/", "")
        zf.writestr("activities/100.fit.gz", gzip.compress(fit_bytes))
        zf.writestr("activities/101.gpx", gpx_bytes)
        zf.writestr("activities/102.tcx.gz", gzip.compress(tcx_bytes))
        zf.writestr("activities/103.fit", fit_bytes[: len(fit_bytes) // 3])   # truncated
        zf.writestr("activities/104.gpx", b"<not gpx")
        zf.writestr("__MACOSX/activities/._100.fit.gz", b"junk")
    return path


def test_zip_good_and_bad(export_zip: Path) -> None:
    progress: list[tuple[int, int | None]] = []
    results = list(parse_path(export_zip, on_progress=lambda d, t: progress.append((d, t))))
    names = [r.name for r in results]
    assert names == ["activities/100.fit.gz", "activities/101.gpx", "activities/102.tcx.gz",
                     "activities/103.fit", "activities/104.gpx"]
    good = {r.name: r for r in results if r.ok}
    assert set(good) == {"activities/100.fit.gz", "activities/101.gpx", "activities/102.tcx.gz"}
    assert all(r.error is None and r.activity is not None for r in good.values())
    bad = {r.name: r.error for r in results if not r.ok}
    assert "truncated FIT file" in (bad["activities/103.fit"] or "")
    assert "activities/104.gpx" in (bad["activities/104.gpx"] or "")
    assert count_sources(export_zip) == 5
    assert progress[0] == (0, 5) and progress[-1] == (5, 5) and len(progress) == 6


def test_zip_path_tricks_and_bombs(tmp_path: Path, fit_bytes: bytes,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../escape.fit", fit_bytes)
        zf.writestr("big.gpx", b"<gpx>" + b" " * 50_000 + b"</gpx>")
        zf.writestr("ok.fit", fit_bytes)
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 40_000)
    results = {r.name: r for r in parse_path(path)}
    assert results["ok.fit"].ok
    assert "unsafe path" in (results["../../escape.fit"].error or "")
    assert "too large" in (results["big.gpx"].error or "")
    assert not (tmp_path.parent / "escape.fit").exists()
    with pytest.raises(ActivityFileError, match="unsafe path"):
        list(iter_sources(path))


def test_nested_zip_and_bad_zip(tmp_path: Path, fit_bytes: bytes) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("uploaded/1.fit", fit_bytes)
    outer = tmp_path / "garmin.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("DI_CONNECT/UploadedFiles_0-_Part1.zip", inner.getvalue())
    results = list(parse_path(outer))
    assert [r.name for r in results] == ["DI_CONNECT/UploadedFiles_0-_Part1.zip/uploaded/1.fit"]
    assert results[0].ok and count_sources(outer) == 1
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    (res,) = list(parse_path(broken))
    assert not res.ok and "zip" in (res.error or "")


def test_folder_recursive_sorted(tmp_path: Path, fit_bytes: bytes, gpx_bytes: bytes) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "2.fit").write_bytes(fit_bytes)
    (tmp_path / "a" / "1.gpx").write_bytes(gpx_bytes)
    (tmp_path / "a" / "notes.txt").write_text("hello")
    (tmp_path / "a" / "empty.fit").write_bytes(b"")
    (tmp_path / ".hidden.fit").write_bytes(b"junk")
    names = [n for n, _ in iter_sources(tmp_path)]
    assert names == ["a/1.gpx", "a/empty.fit", "b/2.fit"]
    results = list(parse_path(tmp_path))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error == "a/empty.fit: empty file"
    assert count_sources(tmp_path) == 3
    # zips inside the folder are opened; a broken one is one error result
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as zf:
        zf.writestr("x/3.fit", fit_bytes)
    (tmp_path / "d.zip").write_bytes(b"PK\x03\x04 broken")
    results = list(parse_path(tmp_path))
    assert [(r.name, r.ok) for r in results[3:]] == [("c.zip/x/3.fit", True), ("d.zip", False)]
    assert count_sources(tmp_path) == 5


def test_single_file_and_missing_path(tmp_path: Path, gpx_bytes: bytes) -> None:
    p = tmp_path / "run.gpx"
    p.write_bytes(gpx_bytes)
    (r,) = list(parse_path(p))
    assert r == FileResult("run.gpx", r.activity, None) and r.ok
    odd = tmp_path / "mystery.dat"
    odd.write_bytes(b"12345")
    (r,) = list(parse_path(odd))           # explicit file: always tried, clear error
    assert "unrecognised file format" in (r.error or "")
    with pytest.raises(FileNotFoundError):
        list(parse_path(tmp_path / "nope"))


# ----------------------------------------------------------------- helpers (properties)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-100, 3000, allow_nan=False), max_size=200), st.floats(-500, 500))
def test_elevation_gain_properties(alts: list[float], shift: float) -> None:
    g = elevation_gain(alts)
    naive = sum(max(0.0, b - a) for a, b in zip(alts, alts[1:]))
    assert 0.0 <= g <= naive + 1e-6
    assert elevation_gain([a + shift for a in alts]) == pytest.approx(g, abs=1e-6)


@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=100))
def test_monotone_climb_counts_in_full(steps: list[float]) -> None:
    alts = [100.0]
    for s in steps:
        alts.append(alts[-1] + s)
    rise = alts[-1] - alts[0]
    assert elevation_gain(alts) == pytest.approx(rise if rise > 3.0 else 0.0, abs=1e-6)


def test_haversine_known_value() -> None:
    # One degree of latitude on the mean sphere: pi * R / 180.
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195.08, abs=0.1)
    assert haversine_m(10, 20, 10, 20) == 0.0


def test_start_times_are_utc(gpx_bytes: bytes) -> None:
    a = parse_bytes(gpx_bytes, "x.gpx")
    assert a.start.utcoffset() == timedelta(0)


def test_nan_coordinates_rejected(gpx_bytes: bytes) -> None:
    text = gpx_bytes.decode()
    first = re.search(r'lat="([-0-9.]+)"', text)
    assert first is not None
    bad = text.replace(f'lat="{first.group(1)}"', 'lat="nan"', 1).encode()
    with pytest.raises(ActivityFileError, match="invalid coordinates in track point 1"):
        parse_bytes(bad, "nan.gpx")


@pytest.mark.parametrize("variant", [
    {}, {"segments": 3}, {"with_extensions": False}, {"design": Design(sport="Biking")},
    {"design": Design(distance_m=12000.0, noise_m=2.0)},
])
def test_fast_gpx_path_equals_the_gpxpy_path(variant: dict) -> None:
    """The single lxml pass gives exactly the numbers gpxpy's object model gave."""
    from kneecoach.tracking.importers.gpx import parse_gpx, parse_gpx_gpxpy

    design = variant.pop("design", Design())
    data = make_gpx(design, **variant)
    assert parse_gpx(data, "x.gpx") == parse_gpx_gpxpy(data, "x.gpx")


def test_gpx_with_odd_time_format_and_missing_pieces_matches_gpxpy() -> None:
    from kneecoach.tracking.importers.gpx import parse_gpx, parse_gpx_gpxpy

    data = (b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk>'
            b'<trkseg><trkpt lat="47.0" lon="8.0"><ele>400</ele><time>2026-11-01T06:00:00.250+01:00</time></trkpt>'
            b'<trkpt lat="47.001" lon="8.0"><time>2026-11-01T06:00:10+01:00</time></trkpt>'
            b'<trkpt lat="47.002" lon="8.001"><ele>nan</ele></trkpt></trkseg>'
            b'<trkseg><trkpt lat="47.01" lon="8.0"><ele>405</ele><time>2026-11-01T05:01:00Z</time></trkpt>'
            b'<trkpt lat="47.011" lon="8.0"><time>2026-11-01T05:02:00Z</time></trkpt></trkseg></trk></gpx>')
    assert parse_gpx(data, "odd.gpx") == parse_gpx_gpxpy(data, "odd.gpx")


# ------------------------------------------------- TCX: column reader vs per-trackpoint reader

def _tcx_variants() -> list[tuple[str, bytes]]:
    regular = [
        ("two laps", make_tcx(Design())),
        ("one lap", make_tcx(Design(), laps=1)),
        ("five laps, noisy", make_tcx(Design(distance_m=12000.0, noise_m=2.0), laps=5)),
        ("biking", make_tcx(Design(sport="Biking"), sport="Biking")),
        ("no times (refused)", make_tcx(Design(), with_times=False)),
    ]
    head = ('<?xml version="1.0"?><TrainingCenterDatabase '
            'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
            'xmlns:x="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities><Activity Sport="Running">')
    tail = "</Activity></Activities></TrainingCenterDatabase>"

    def tp(t: str, *, lat: str | None = "47.0", lon: str | None = "8.0", alt: str | None = "400",
           dist: str | None = None, hr: str | None = "140", run: str | None = None, cad: str | None = None) -> str:
        pos = ""
        if lat is not None or lon is not None:
            pos = "<Position>" + (f"<LatitudeDegrees>{lat}</LatitudeDegrees>" if lat is not None else "") + (
                f"<LongitudeDegrees>{lon}</LongitudeDegrees>" if lon is not None else "") + "</Position>"
        return (f"<Trackpoint><Time>{t}</Time>{pos}"
                + (f"<AltitudeMeters>{alt}</AltitudeMeters>" if alt is not None else "")
                + (f"<DistanceMeters>{dist}</DistanceMeters>" if dist is not None else "")
                + (f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>" if hr is not None else "")
                + (f"<Cadence>{cad}</Cadence>" if cad is not None else "")
                + (f"<Extensions><x:TPX><x:RunCadence>{run}</x:RunCadence></x:TPX></Extensions>"
                   if run is not None else "")
                + "</Trackpoint>")

    odd = [
        # Both cadence conventions (RunCadence wins per trackpoint), so the column reader declines.
        ("both cadences", head + '<Lap StartTime="2026-11-01T06:00:00Z"><DistanceMeters>30</DistanceMeters><Track>'
         + tp("2026-11-01T06:00:00Z", run="80", cad="60") + tp("2026-11-01T06:00:10Z", cad="70")
         + tp("2026-11-01T06:00:20Z", run="90") + "</Track></Lap>" + tail),
        # Offsets, fractional seconds and padding in times; NaN and unreadable numbers; laps without
        # a distance (so the cumulative trackpoint distance counts); gaps in HR and positions.
        ("odd values", head + '<Lap StartTime="2026-11-01T07:00:00+01:00"><Track>'
         + tp(" 2026-11-01T07:00:00.250+01:00 ", alt="nan", dist="0", run="85")
         + tp("2026-11-01T06:00:30Z", lat=None, lon=None, dist="120.5", hr=None, run="86")
         + tp("2026-11-01T06:01:00Z", alt="abc", dist="250", hr="0", run="0")
         + tp("2026-11-01T06:01:30Z", alt="410", dist="nan", hr="150", run="88")
         + "</Track></Lap>" + tail),
        # No lap or trackpoint distance at all: the distance comes from the positions.
        ("positions only", head + '<Lap StartTime="2026-11-01T06:00:00Z"><Track>'
         + tp("2026-11-01T06:00:00Z") + tp("2026-11-01T06:00:30Z", lat="47.001")
         + tp("2026-11-01T06:01:00Z", lat="47.002", lon="8.001") + "</Track></Lap>" + tail),
        # A position with only a latitude, then one with only a longitude: must not be paired.
        ("unpaired position", head + '<Lap StartTime="2026-11-01T06:00:00Z"><Track>'
         + tp("2026-11-01T06:00:00Z") + tp("2026-11-01T06:00:30Z", lon=None, lat="47.5")
         + tp("2026-11-01T06:01:00Z", lat=None, lon="8.5") + tp("2026-11-01T06:01:30Z", lat="47.002")
         + "</Track></Lap>" + tail),
        # No namespace at all (some hand-made exports).
        ("no namespace", '<TrainingCenterDatabase><Activities><Activity Sport="Running">'
         '<Lap StartTime="2026-11-01T06:00:00Z"><DistanceMeters>100</DistanceMeters><Track>'
         + tp("2026-11-01T06:00:00Z", cad="80").replace("x:", "") + tp("2026-11-01T06:00:40Z", cad="82")
         + "</Track></Lap>" + tail),
    ]
    return [(n, d) for n, d in regular] + [(n, d.encode()) for n, d in odd]


@pytest.mark.parametrize(("label", "data"), _tcx_variants(), ids=[v[0] for v in _tcx_variants()])
def test_tcx_column_reader_equals_the_per_trackpoint_reader(label: str, data: bytes) -> None:
    """The fast column reader gives exactly the Activity (or the error) of the general reader."""
    from kneecoach.tracking.importers.tcx import parse_tcx

    def outcome(force: bool) -> object:
        try:
            return parse_tcx(data, "x.tcx", _force_general=force)
        except ActivityFileError as exc:
            return str(exc)

    assert outcome(False) == outcome(True), label


def test_tcx_column_reader_is_taken_for_regular_files_and_declined_for_odd_ones() -> None:
    from kneecoach.tracking.importers import tcx

    variants = dict(_tcx_variants())

    def tracks(data: bytes) -> list:
        root = tcx.xml_root(data, "x.tcx", "TCX", "TrainingCenterDatabase")
        return list(root.iter("{*}Track"))

    assert tcx._columns(tracks(variants["two laps"]), False) is not None
    assert tcx._columns(tracks(variants["no namespace"]), False) is not None
    assert tcx._columns(tracks(variants["both cadences"]), False) is None
    assert tcx._columns(tracks(variants["unpaired position"]), True) is None


def test_tcx_out_of_range_coordinate_is_named_by_both_readers() -> None:
    from kneecoach.tracking.importers.tcx import parse_tcx

    text = make_tcx(Design()).decode()
    lats = re.findall(r"<LatitudeDegrees>([-0-9.]+)</LatitudeDegrees>", text)
    bad = text.replace(f"<LatitudeDegrees>{lats[2]}<", "<LatitudeDegrees>95.0<", 1).encode()
    for force in (False, True):
        with pytest.raises(ActivityFileError, match="invalid coordinates in trackpoint 3"):
            parse_tcx(bad, "bad.tcx", _force_general=force)
