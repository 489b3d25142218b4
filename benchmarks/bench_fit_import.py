"""FIT import throughput: kneecoach's importer (fitdecode) vs fitparse.

Usage::

    .venv/bin/python benchmarks/bench_fit_import.py            # 2,000 files
    .venv/bin/python benchmarks/bench_fit_import.py --files 50 # quick run

1. Generates N hour-long FIT activities (3,600 1 Hz records each: timestamp,
   position, distance, altitude, heart rate, cadence; plus file_id, events,
   lap, session, activity) into ``benchmarks/data/fit2000`` with the compact
   writer in ``fitwriter.py``. Files are cached: later runs reuse them
   (``--regenerate`` forces a rebuild). A sample is checked against fitdecode
   and fitparse and against the intended distance before timing starts.
2. Parses all N files once per parser, each parser in its own fresh
   subprocess, sequentially (one core each, nothing else from this script
   running); files are read from disk inside the timed loop (page cache
   is warm after generation). Reported per parser: wall time, files/s, records/s, and peak
   memory as the subprocess's peak resident set size (Linux ``VmHWM``, which
   includes the interpreter and imported modules - the "after import"
   baseline is printed next to it so the parsing share can be read off).
   Peak RSS is used rather than tracemalloc because tracemalloc slows
   pure-Python parsers several-fold and misses memory held outside Python's
   allocator.

Parsers:

* ``before`` - the fitdecode-only path kneecoach used before fitfast
  (``importers.fit.parse_fit_fitdecode`` + the same plausibility check):
  the baseline, measured in the same run.
* ``kneecoach`` - ``kneecoach.tracking.importers.parse_bytes`` (fitfast first,
  per-file fallback to fitdecode, plus summarising into an Activity), one process.
* ``kneecoach-2proc`` - the same through the importer's process pool
  (``importers._parse_parallel``, 2 worker processes, files read from disk
  in the parent), as ``kneecoach import`` runs a folder or zip.

Every ``before``/``kneecoach*`` run writes each file's Activity (start,
distance, time, climb, cadence, heart rate, sport); the script compares them
file by file with ``before`` and fails on any difference.
* ``fitdecode`` - bare fitdecode iteration, CRC checked (same settings as the
  importer), decoding every message (no summarising): the decoder's own cost.
* ``fitparse`` - ``fitparse.FitFile(check_crc=True)``, iterating every message
  and reading the record fields kneecoach uses.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fitwriter  # noqa: E402

DEFAULT_DIR = HERE / "data" / "fit2000"
PARSERS = ("before", "kneecoach", "kneecoach-2proc", "fitdecode", "fitparse")
DEFAULT_PARSERS = ("before", "kneecoach", "kneecoach-2proc")
#: Parsers whose per-file Activity is compared with "before" (today's fitdecode path).
SUMMARY_PARSERS = ("before", "kneecoach", "kneecoach-2proc")
MANIFEST = "manifest.json"
GENERATOR_VERSION = 1


def _write_one(args: tuple[str, int, int]) -> None:
    folder, index, seconds = args
    path = Path(folder) / f"run_{index:05d}.fit"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(fitwriter.build_fit(fitwriter.spec_for(index, seconds)))
    tmp.replace(path)


def ensure_data(folder: Path, n: int, seconds: int, regenerate: bool, jobs: int) -> list[Path]:
    """Make sure files 0..n-1 exist for this generator version; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    man_path = folder / MANIFEST
    manifest = {"version": GENERATOR_VERSION, "seconds": seconds}
    if regenerate or not man_path.exists() or json.loads(man_path.read_text()) != manifest:
        for p in folder.glob("run_*.fit"):
            p.unlink()
        man_path.write_text(json.dumps(manifest))
    paths = [folder / f"run_{i:05d}.fit" for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not p.exists()]
    if missing:
        t = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(_write_one, [(str(folder), i, seconds) for i in missing], chunksize=16))
        print(f"generated {len(missing)} files in {time.perf_counter() - t:.1f} s", flush=True)
    else:
        print(f"reusing {n} cached files in {folder}", flush=True)
    return paths


def verify(paths: list[Path], seconds: int) -> None:
    """Decode a few generated files with both libraries; abort on any mismatch."""
    picks = sorted({0, len(paths) // 2, len(paths) - 1})
    for i in picks:
        problems = fitwriter.verify_sample(paths[i].read_bytes(), fitwriter.spec_for(i, seconds))
        if problems:
            raise SystemExit(f"generated file {paths[i].name} is wrong: {problems}")
    print(f"verified {len(picks)} sample files with fitdecode, fitparse and the intended distance",
          flush=True)


# --------------------------------------------------------------------------- workers

def _maxrss_mib() -> float:
    """Peak resident memory of this process so far, MiB.

    Linux ``VmHWM`` is per address space, so it starts fresh at exec. (The
    ``ru_maxrss`` of a child is not: it carries over the high-water mark of
    the forking parent, which made every parser look the same.)
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def worker(parser: str, paths: list[Path]) -> dict[str, object]:
    """Parse every file with ``parser``; runs inside a fresh subprocess."""
    summaries: list[list[object]] = []
    if parser in SUMMARY_PARSERS:
        from kneecoach.tracking.importers import _check_plausible, _parse_parallel, parse_bytes
        from kneecoach.tracking.importers.fit import parse_fit, parse_fit_fitdecode  # noqa: F401
    elif parser == "fitdecode":
        import io

        import fitdecode
    elif parser == "fitparse":
        import fitparse
    else:
        raise SystemExit(f"unknown parser {parser}")
    base = _maxrss_mib()
    records = 0
    total_m = 0.0
    t = time.perf_counter()
    if parser == "kneecoach-2proc":
        for res in _parse_parallel(((p.name, p.read_bytes()) for p in paths), 2):
            if res.activity is None:
                raise SystemExit(f"{res.name}: {res.error}")
            total_m += res.activity.distance_m
            summaries.append(_summary(res.activity))
        records = sum(fitwriter_records(p.stat().st_size) for p in paths)
    for p in paths if parser != "kneecoach-2proc" else ():
        data = p.read_bytes()
        if parser in ("kneecoach", "before"):
            if parser == "kneecoach":
                act = parse_bytes(data, p.name)
            else:
                act = parse_fit_fitdecode(data, p.name)
                _check_plausible(act, p.name)
            total_m += act.distance_m
            records += fitwriter_records(len(data))
            summaries.append(_summary(act))
        elif parser == "fitdecode":
            with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE,
                                     error_handling=fitdecode.ErrorHandling.IGNORE) as r:
                for fr in r:
                    if fr.frame_type == fitdecode.FIT_FRAME_DATA:
                        if fr.name == "record":
                            records += 1
                        elif fr.name == "session":
                            total_m += fr.get_value("total_distance")
        else:
            ff = fitparse.FitFile(data, check_crc=True)
            for msg in ff.get_messages():
                if msg.name == "record":
                    records += 1
                    msg.get_value("distance")
                    msg.get_value("heart_rate")
                elif msg.name == "session":
                    total_m += msg.get_value("total_distance")
    elapsed = time.perf_counter() - t
    return {"summaries": summaries, "parser": parser, "files": len(paths), "records": records, "seconds": elapsed,
            "total_km": round(total_m / 1000, 3), "rss_after_import_mib": round(base, 1),
            "peak_rss_mib": round(_maxrss_mib(), 1)}


def _summary(a: object) -> list[object]:
    return [a.source_name, a.start.isoformat(), a.distance_m, a.duration_s,  # type: ignore[attr-defined]
            a.elevation_gain_m, a.avg_cadence_spm, a.avg_heart_rate_bpm, a.sport]  # type: ignore[attr-defined]


def fitwriter_records(size: int) -> int:
    """Record count of a generated file, from its size (kneecoach returns a summary only)."""
    # header 14 + CRC 2 + fixed messages; each record is 21 bytes.
    fixed = len(fitwriter.build_fit(fitwriter.spec_for(0, 1))) - 21
    return (size - fixed) // 21


def run_worker(parser: str, folder: Path, n: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--worker", parser, "--data-dir", str(folder), "--files", str(n)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000, help="number of FIT files (default 2000)")
    ap.add_argument("--seconds", type=int, default=3600, help="records per file (default 3600 = 1 h at 1 Hz)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--parsers", default=",".join(DEFAULT_PARSERS),
                    help="comma list from " + ", ".join(PARSERS) + f" (default: {','.join(DEFAULT_PARSERS)})")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for generation only")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--json", type=Path, help="also write results here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.files < 1:
        ap.error("--files must be at least 1")

    if args.worker:
        paths = [args.data_dir / f"run_{i:05d}.fit" for i in range(args.files)]
        print(json.dumps(worker(args.worker, paths)))
        return 0

    paths = ensure_data(args.data_dir, args.files, args.seconds, args.regenerate, args.jobs)
    verify(paths, args.seconds)
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} files, {mb:.1f} MB; python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}", flush=True)
    results = []
    for parser in [p.strip() for p in args.parsers.split(",") if p.strip()]:
        r = run_worker(parser, args.data_dir, args.files)
        results.append(r)
        secs = float(r["seconds"])  # type: ignore[arg-type]
        print(f"{parser:10s} {secs:8.1f} s  {r['files'] / secs:8.2f} files/s  "  # type: ignore[operator]
              f"{r['records'] / secs:10.0f} records/s  peak RSS {r['peak_rss_mib']} MiB "  # type: ignore[operator]
              f"(after import {r['rss_after_import_mib']} MiB)  total {r['total_km']} km", flush=True)
    by_parser = {str(r["parser"]): r.pop("summaries") for r in results}
    reference = by_parser.get("before")
    mismatches = 0
    if reference:
        for parser, summ in by_parser.items():
            if parser == "before" or not summ:
                continue
            bad = [a for a, b in zip(reference, summ, strict=True) if a != b]
            mismatches += len(bad)
            print(f"{parser}: {len(summ) - len(bad)}/{len(summ)} files identical to 'before' "
                  f"(distance, time, climb, cadence, HR, start, sport)" + (f"; FIRST DIFF {bad[0]}" if bad else ""))
        base = next(r for r in results if r["parser"] == "before")
        for r in results:
            if r["parser"] != "before":
                print(f"speed-up {r['parser']} vs before: "
                      f"{float(base['seconds']) / float(r['seconds']):.1f}x")  # type: ignore[arg-type]
    kms = {r["total_km"] for r in results}
    if len(kms) > 1:
        print(f"WARNING: parsers disagree on total distance: {kms}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
