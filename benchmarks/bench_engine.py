"""Benchmark the engine: knowledge-base load and profile -> assessment -> Markdown.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--repeat 200]``. Prints per-call
timings (median and p95) for each built-in example. Not a test: numbers go in the README.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kneecoach.engine import assess
from kneecoach.intake.load import example_names, load_example
from kneecoach.assessment.kb import load_checked, load_kb
from kneecoach.knowledge.loader import packaged_data_dir
from kneecoach.render.markdown import render_markdown


def timeit(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    med, p95 = timeit(lambda: load_checked(packaged_data_dir(), use_cache=False), max(args.repeat // 10, 5))
    print(f"{'knowledge base load + full validation':40s} median {med:7.2f} ms   p95 {p95:7.2f} ms")
    load_checked(packaged_data_dir())  # fills the cache of the validated knowledge base
    med, p95 = timeit(lambda: load_checked(packaged_data_dir()), max(args.repeat // 10, 5))
    print(f"{'knowledge base load from the cache':40s} median {med:7.2f} ms   p95 {p95:7.2f} ms")
    kb = load_kb()
    for name in example_names():
        profile = load_example(name)
        med, p95 = timeit(lambda: assess(profile, kb), args.repeat)
        med_md, _ = timeit(lambda: render_markdown(assess(profile, kb), kb), max(args.repeat // 4, 5))
        print(f"assess {name:33s} median {med:7.2f} ms   p95 {p95:7.2f} ms   (+markdown {med_md:6.2f} ms)")


if __name__ == "__main__":
    main()
