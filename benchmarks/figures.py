"""How long drawing the figures takes, and how big they are.

    python benchmarks/figures.py [--repeat 5]

Renders every exercise and self-test figure in each style from a cold cache
(the web app caches per knowledge-base version, so this is a first-request
cost), and reports bytes raw and gzip-compressed.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time

from kneecoach.figures.library import all_entries, render
from kneecoach.assessment.kb import load_kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    entries = all_entries(load_kb())
    print(f"{len(entries)} figures")
    print(f"{'style':<9} {'median ms (all)':>16} {'ms/figure':>10} {'KB total':>9} {'KB gzip':>8} {'KB max':>7}")
    for style in ("page", "animated", "strip", "print"):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            svgs = [render(e, style) for e in entries]  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
        raw = "".join(svgs).encode()
        med = statistics.median(times) * 1000
        print(f"{style:<9} {med:>16.0f} {med / len(entries):>10.1f} {len(raw) / 1024:>9.0f} "
              f"{len(gzip.compress(raw)) / 1024:>8.0f} {max(len(s) for s in svgs) / 1024:>7.0f}")


if __name__ == "__main__":
    main()
