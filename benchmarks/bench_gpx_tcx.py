"""GPX and TCX import speed on a 6-hour, 1 Hz recording (21,600 points, HR and cadence).

Measures the earlier GPX path (gpxpy's object model, ``parse_gpx_gpxpy``) and the current one
(one lxml pass, ``parse_gpx``) in the same run, and the TCX importer three ways: the path before
issue 11 (ElementTree, ``_tcx_before.py``), the general per-trackpoint lxml reader and the column
reader that regular files take. Each pair is checked to give the same Activity. Median of
``--repeat`` runs.

    python benchmarks/bench_gpx_tcx.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from datetime import datetime, timedelta, timezone

from kneecoach.tracking.importers.gpx import parse_gpx, parse_gpx_gpxpy
from kneecoach.tracking.importers.tcx import parse_tcx

try:  # run as a script from the repository root or from benchmarks/
    from _tcx_before import parse_tcx_before
except ImportError:  # pragma: no cover
    from benchmarks._tcx_before import parse_tcx_before

N = 6 * 3600


def _points():
    t0 = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)
    for i in range(N):
        yield (47.0 + i * 0.00003, 8.0 + 0.00002 * math.sin(i / 50), 400 + 20 * math.sin(i / 300),
               (t0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), 140 + i % 10, 85 + i % 3)


def six_hour_gpx() -> bytes:
    pts = "".join(
        f'<trkpt lat="{la:.7f}" lon="{lo:.7f}"><ele>{el:.1f}</ele><time>{t}</time><extensions>'
        f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr><gpxtpx:cad>{cad}</gpxtpx:cad>"
        "</gpxtpx:TrackPointExtension></extensions></trkpt>"
        for la, lo, el, t, hr, cad in _points()
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="bench" '
            'xmlns="http://www.topografix.com/GPX/1/1" '
            'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
            f"<trk><type>running</type><trkseg>{pts}</trkseg></trk></gpx>").encode()


def six_hour_tcx() -> bytes:
    pts = "".join(
        f"<Trackpoint><Time>{t}</Time><Position><LatitudeDegrees>{la:.7f}</LatitudeDegrees>"
        f"<LongitudeDegrees>{lo:.7f}</LongitudeDegrees></Position><AltitudeMeters>{el:.1f}</AltitudeMeters>"
        f"<DistanceMeters>{i * 3.3:.1f}</DistanceMeters><HeartRateBpm><Value>{hr}</Value></HeartRateBpm>"
        f"<Extensions><ns3:TPX><ns3:RunCadence>{cad}</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>"
        for i, (la, lo, el, t, hr, cad) in enumerate(_points())
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><TrainingCenterDatabase '
            'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
            'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities>'
            '<Activity Sport="Running"><Id>2026-11-01T06:00:00Z</Id><Lap StartTime="2026-11-01T06:00:00Z">'
            f"<TotalTimeSeconds>21599</TotalTimeSeconds><DistanceMeters>71276.7</DistanceMeters><Track>{pts}"
            "</Track></Lap></Activity></Activities></TrainingCenterDatabase>").encode()


def median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    gpx, tcx = six_hour_gpx(), six_hour_tcx()
    assert parse_gpx(gpx, "b.gpx") == parse_gpx_gpxpy(gpx, "b.gpx"), "fast and gpxpy paths disagree"
    before = median_s(lambda: parse_gpx_gpxpy(gpx, "b.gpx"), args.repeat)
    now = median_s(lambda: parse_gpx(gpx, "b.gpx"), args.repeat)
    new_tcx = parse_tcx(tcx, "b.tcx")
    assert new_tcx == parse_tcx_before(tcx, "b.tcx") == parse_tcx(tcx, "b.tcx", _force_general=True), (
        "TCX paths disagree")
    t_before = median_s(lambda: parse_tcx_before(tcx, "b.tcx"), args.repeat)
    t_general = median_s(lambda: parse_tcx(tcx, "b.tcx", _force_general=True), args.repeat)
    t_tcx = median_s(lambda: parse_tcx(tcx, "b.tcx"), args.repeat)
    print(f"GPX, 6 h at 1 Hz ({len(gpx) / 1e6:.1f} MB): gpxpy path {before * 1000:.0f} ms, "
          f"lxml path {now * 1000:.0f} ms ({before / now:.1f}x); same Activity: yes")
    print(f"TCX, 6 h at 1 Hz ({len(tcx) / 1e6:.1f} MB): ElementTree path (before) {t_before * 1000:.0f} ms, "
          f"lxml per-trackpoint reader {t_general * 1000:.0f} ms, lxml column reader {t_tcx * 1000:.0f} ms "
          f"({t_before / t_tcx:.1f}x); same Activity: yes")


if __name__ == "__main__":
    main()
