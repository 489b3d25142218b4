"""Benchmark scripts say the defaults they use (issue 22: --help named parsers it did not run)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_fit_import.py"


def test_fit_import_help_states_the_default_parsers() -> None:
    spec = importlib.util.spec_from_file_location("bench_fit_import", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = subprocess.run([sys.executable, str(BENCH), "--help"], capture_output=True, text=True, check=True).stdout
    assert f"(default: {','.join(module.DEFAULT_PARSERS)})" in " ".join(out.split())
