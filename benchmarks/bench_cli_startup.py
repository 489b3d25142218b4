"""CLI start-up: wall time of fast commands against a bare ``python -c pass``.

Usage::

    .venv/bin/python benchmarks/bench_cli_startup.py            # 9 runs each
    .venv/bin/python benchmarks/bench_cli_startup.py --runs 21

Each command runs in a fresh interpreter (``python -m kneecoach.cli ...`` is
avoided: the console script is what users start, so ``sys.executable -c "from
kneecoach.cli import main; main()"`` with the same argv is timed instead,
which is what the ``kneecoach`` entry point does). Output goes to
/dev/null. Reported: median and best wall time over the runs, and the
median minus the bare interpreter's median (what kneecoach itself costs).
Target (issue 11): ``assess``, ``example`` and ``kb check`` under 0.2 s.
The machine is shared, so medians are the number to read.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

ENTRY = "import sys; from kneecoach.cli import main; sys.argv[0] = 'kneecoach'; main()"
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "kneecoach example marathoner_000": [sys.executable, "-c", ENTRY, "example", "marathoner_000"],
    "kneecoach kb check": [sys.executable, "-c", ENTRY, "kb", "check"],
    "kneecoach assess --example runners_knee_004 -f json":
        [sys.executable, "-c", ENTRY, "assess", "--example", "runners_knee_004", "-f", "json"],
    "kneecoach assess --example runners_knee_004 -f markdown":
        [sys.executable, "-c", ENTRY, "assess", "--example", "runners_knee_004", "-f", "markdown"],
    "kneecoach assess --example runners_knee_004 (rich text)":
        [sys.executable, "-c", ENTRY, "assess", "--example", "runners_knee_004"],
    "kneecoach --help (loads every command)": [sys.executable, "-c", ENTRY, "--help"],
}


def time_cmd(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    time_cmd(COMMANDS["kneecoach kb check"], 1)  # warm the page cache and .pyc files
    base = None
    for label, cmd in COMMANDS.items():
        times = time_cmd(cmd, args.runs)
        med = statistics.median(times)
        if base is None:
            base = med
        print(f"{label:58s} median {med * 1000:6.0f} ms  best {min(times) * 1000:6.0f} ms  "
              f"(+{(med - base) * 1000:5.0f} ms over python)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
