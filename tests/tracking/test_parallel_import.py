"""Bulk parsing in a process pool gives the same results, in the same order, as one process."""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from kneecoach.tracking.importers import PARALLEL_MIN_FILES, ActivityFileError, parse_path

from .fixtures import Design, make_gpx


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "export"
    root.mkdir()
    base = Design(distance_m=800.0, step_m=40.0)
    for i in range(PARALLEL_MIN_FILES + 6):
        d = replace(base, start=base.start + timedelta(days=i), distance_m=800.0 + 40 * i)
        (root / f"{i:03d}.gpx").write_bytes(make_gpx(d))
    (root / "broken.gpx").write_bytes(b"<gpx><trk")
    (root / "zz.fit").write_bytes(b"\x0e\x10" + b"\x00" * 30)
    with zipfile.ZipFile(root / "nested.zip", "w") as z:
        z.writestr("../escape.gpx", make_gpx(base))            # unsafe member name: an error result
        z.writestr("inside.gpx", make_gpx(replace(base, start=base.start - timedelta(days=400))))
    return root


def test_pool_equals_single_process(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    single = list(parse_path(root, workers=1))
    pooled = list(parse_path(root, workers=2))
    assert len(single) >= PARALLEL_MIN_FILES + 9
    assert [(r.name, r.activity, r.error) for r in pooled] == [(r.name, r.activity, r.error) for r in single]
    errors = {r.name: r.error for r in pooled if r.error}
    assert set(errors) == {"broken.gpx", "zz.fit", "nested.zip/../escape.gpx"}
    assert "unsafe path" in (errors["nested.zip/../escape.gpx"] or "")


def test_progress_reaches_total_with_pool(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    seen: list[tuple[int, int | None]] = []
    results = list(parse_path(root, workers=2, on_progress=lambda d, t: seen.append((d, t))))
    assert seen[0] == (0, len(results)) and seen[-1] == (len(results), len(results))


def test_activity_file_error_pickles_with_its_fields() -> None:
    err = pickle.loads(pickle.dumps(ActivityFileError("a.fit", "truncated FIT file")))
    assert (err.name, err.reason, str(err)) == ("a.fit", "truncated FIT file", "a.fit: truncated FIT file")
