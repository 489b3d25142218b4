"""Watch-file import: GPX, TCX and FIT (plain or ``.gz``), single files, folders and zips.

The entry points are deliberately forgiving about *where* files come from and
strict about *what* is in them:

* :func:`iter_sources` walks a file, a folder (recursively) or a ``.zip`` bulk
  export (Strava ``activities/*.fit.gz``, Garmin ``*.fit`` bundles) and yields
  only activity files; CSVs, JSON, photos etc. are skipped silently.
* :func:`parse_path` turns each into a :class:`FileResult`. A broken file gives
  a result with ``error`` set and the import carries on: one corrupt file out
  of 2,000 must not lose the other 1,999.
* :func:`parse_bytes` / :func:`parse_file` parse one file and raise
  :class:`ActivityFileError` with a message naming the file and the problem.

Safety: XML is parsed with lxml with entities, DTDs and the network refused; zip members
and gzip payloads are capped at :data:`MAX_FILE_BYTES` uncompressed so a zip
bomb cannot exhaust memory; zip member names are never used as paths on disk,
and names that try to climb out of the archive (``../``, absolute) are skipped.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kneecoach.tracking.activity import Activity
from kneecoach.tracking.importers._common import ActivityFileError
from kneecoach.tracking.importers.fit import looks_like_fit, parse_fit
from kneecoach.tracking.importers.gpx import parse_gpx
from kneecoach.tracking.importers.tcx import parse_tcx

__all__ = [
    "ACTIVITY_SUFFIXES",
    "MAX_FILE_BYTES",
    "ActivityFileError",
    "FileResult",
    "count_sources",
    "default_workers",
    "is_activity_name",
    "iter_sources",
    "parse_bytes",
    "parse_file",
    "parse_path",
]

#: Largest uncompressed activity file accepted (bytes). A 24-hour 1 Hz FIT
#: recording is ~5 MB and a verbose GPX of the same ~30 MB; 200 MB leaves a
#: wide margin while stopping decompression bombs.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: Recognised activity file endings (lower case), each also accepted + ".gz".
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")

_MAX_ZIP_DEPTH = 2  # a zip inside a zip (Garmin's export does this), no deeper


@dataclass
class FileResult:
    """Outcome of importing one file: exactly one of ``activity`` / ``error`` is set."""

    name: str
    activity: Activity | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.activity is not None


def is_activity_name(name: str) -> bool:
    """True for ``*.fit``, ``*.gpx``, ``*.tcx`` and their ``.gz`` forms (any case)."""
    low = name.lower()
    if low.endswith(".gz"):
        low = low[:-3]
    return low.endswith(ACTIVITY_SUFFIXES)


def _gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip data, refusing output above :data:`MAX_FILE_BYTES`."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            out = gz.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ActivityFileError(name, "corrupt or truncated gzip data") from exc
    if len(out) > MAX_FILE_BYTES:
        raise ActivityFileError(name, f"decompressed file larger than {MAX_FILE_BYTES} bytes")
    return out


def _sniff(data: bytes) -> str | None:
    if looks_like_fit(data):
        return "fit"
    head = data[:4096].lower()
    if b"<trainingcenterdatabase" in head:
        return "tcx"
    if b"<gpx" in head:
        return "gpx"
    return None


def parse_bytes(data: bytes, name: str) -> Activity:
    """Parse one activity file given as bytes; ``name`` picks the format.

    The format comes from the extension (``.fit``, ``.gpx``, ``.tcx``, each
    optionally ``.gz``); gzip data is recognised by its magic bytes too, and
    with an unknown extension the content is sniffed. Raises
    :class:`ActivityFileError` on anything unusable.
    """
    if not data:
        raise ActivityFileError(name, "empty file")
    low = name.lower()
    if low.endswith(".gz"):
        low = low[:-3]
        data = _gunzip(data, name)
    elif data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name)
    if not data:
        raise ActivityFileError(name, "empty file")
    if len(data) > MAX_FILE_BYTES:
        raise ActivityFileError(name, f"file larger than {MAX_FILE_BYTES} bytes")

    if low.endswith(".fit"):
        fmt: str | None = "fit"
    elif low.endswith(".gpx"):
        fmt = "gpx"
    elif low.endswith(".tcx"):
        fmt = "tcx"
    else:
        fmt = _sniff(data)
    if fmt == "fit":
        activity = parse_fit(data, name)
    elif fmt == "gpx":
        activity = parse_gpx(data, name)
    elif fmt == "tcx":
        activity = parse_tcx(data, name)
    else:
        raise ActivityFileError(name, "unrecognised file format (expected FIT, GPX or TCX)")
    _check_plausible(activity, name)
    return activity


def _check_plausible(a: Activity, name: str) -> None:
    """Refuse numbers that would poison load charts (NaN from "nan" coordinates, absurd values).

    Limits are far beyond any human effort (a 1,000 km or 30-day "activity")
    so only broken files trip them.
    """
    values = (a.distance_m, a.duration_s, a.elevation_gain_m,
              a.avg_cadence_spm or 0.0, a.avg_heart_rate_bpm or 0.0)
    if not all(math.isfinite(v) for v in values):
        raise ActivityFileError(name, "file contains invalid numbers (NaN or infinity)")
    if a.distance_m > 1_000_000 or a.duration_s > 30 * 86400:
        raise ActivityFileError(name, "implausible distance or duration (corrupt file?)")


def parse_file(path: Path | str) -> Activity:
    """Parse one activity file from disk (see :func:`parse_bytes`)."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ActivityFileError(p.name, f"file larger than {MAX_FILE_BYTES} bytes")
    return parse_bytes(p.read_bytes(), p.name)


# --------------------------------------------------------------------------- sources

# Internally a source is (name, bytes) or (name, ActivityFileError) so that a
# bad archive member becomes an error result without stopping the walk.
_Entry = tuple[str, "bytes | ActivityFileError"]


def _safe_member_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or ":" in name.split("/")[0]:
        return False
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return ".." not in parts


def _skip_member(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith("._")


def _zip_entries(data: bytes | Path, label: str, depth: int) -> Iterator[_Entry]:
    try:
        zf = zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        yield label, ActivityFileError(label, "not a readable zip archive")
        return
    with zf:
        infos = sorted((i for i in zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
        for info in infos:
            member = info.filename
            full = f"{label}/{member}" if depth > 1 else member
            if _skip_member(member):
                continue
            is_zip = member.lower().endswith(".zip")
            if not (is_activity_name(member) or (is_zip and depth < _MAX_ZIP_DEPTH)):
                continue
            if not _safe_member_name(member):
                yield full, ActivityFileError(full, "unsafe path inside zip archive (skipped)")
                continue
            if info.file_size > MAX_FILE_BYTES:
                yield full, ActivityFileError(full, "zip member too large (possible zip bomb)")
                continue
            try:
                with zf.open(info) as fh:
                    payload = fh.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError) as exc:
                # RuntimeError: encrypted member.
                yield full, ActivityFileError(full, f"cannot read zip member ({exc.__class__.__name__})")
                continue
            if len(payload) > MAX_FILE_BYTES:
                yield full, ActivityFileError(full, "zip member too large (possible zip bomb)")
                continue
            if is_zip:
                yield from _zip_entries(payload, full, depth + 1)
            else:
                yield full, payload


def _is_zip_path(p: Path) -> bool:
    return p.suffix.lower() == ".zip"


def _entries(path: Path) -> Iterator[_Entry]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_file():
        if _is_zip_path(path) or (not is_activity_name(path.name) and zipfile.is_zipfile(path)):
            yield from _zip_entries(path, path.name, 1)
        else:
            yield path.name, path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else (
                ActivityFileError(path.name, f"file larger than {MAX_FILE_BYTES} bytes")
            )
        return
    files = sorted(
        (p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    for p in files:
        rel = p.relative_to(path).as_posix()
        if _is_zip_path(p):
            # depth 2: names come back as "<rel>/<member>" (or "<rel>" if unreadable)
            yield from _zip_entries(p, rel, 2)
        elif is_activity_name(p.name):
            if p.stat().st_size > MAX_FILE_BYTES:
                yield rel, ActivityFileError(rel, f"file larger than {MAX_FILE_BYTES} bytes")
            else:
                yield rel, p.read_bytes()


def iter_sources(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, raw bytes)`` for every activity file under ``path``.

    ``path`` may be one file (always yielded, whatever its extension, so that a
    wrongly named file gets a clear format error), a folder (recursive, sorted
    by relative path, hidden files skipped) or a ``.zip`` archive (members
    sorted; one level of nested zips is opened). Names are relative to the
    folder or archive. Non-activity files are skipped. An unreadable or
    oversized member raises :class:`ActivityFileError`; use :func:`parse_path`
    to get such problems as per-file results instead.
    """
    for name, payload in _entries(path):
        if isinstance(payload, ActivityFileError):
            raise payload
        yield name, payload


def count_sources(path: Path) -> int:
    """Number of results :func:`parse_path` will yield (for progress bars).

    Reads only names (folder listing, zip directory); nested zips are opened.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")

    def count_zip(src: bytes | Path, depth: int) -> int:
        try:
            zf = zipfile.ZipFile(src if isinstance(src, Path) else io.BytesIO(src))
        except (zipfile.BadZipFile, OSError):
            return 1  # reported as one error result
        n = 0
        with zf:
            for info in zf.infolist():
                m = info.filename
                if info.is_dir() or _skip_member(m):
                    continue
                if is_activity_name(m):
                    n += 1
                elif m.lower().endswith(".zip") and depth < _MAX_ZIP_DEPTH:
                    if not _safe_member_name(m) or info.file_size > MAX_FILE_BYTES:
                        n += 1
                        continue
                    try:
                        n += count_zip(zf.read(info), depth + 1)
                    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError):
                        n += 1
        return n

    if path.is_file():
        if _is_zip_path(path) or (not is_activity_name(path.name) and zipfile.is_zipfile(path)):
            return count_zip(path, 1)
        return 1
    total = 0
    for p in path.rglob("*"):
        if not p.is_file() or p.name.startswith("."):
            continue
        if _is_zip_path(p):
            total += count_zip(p, 2)
        elif is_activity_name(p.name):
            total += 1
    return total


def _parse_entry(name: str, payload: bytes | ActivityFileError) -> FileResult:
    """One source -> one :class:`FileResult`; never raises for a bad file."""
    if isinstance(payload, ActivityFileError):
        return FileResult(name, None, str(payload))
    try:
        return FileResult(name, parse_bytes(payload, name), None)
    except ActivityFileError as exc:
        return FileResult(name, None, str(exc))
    except Exception as exc:  # noqa: BLE001 - one odd file must not end a bulk import
        # Only the exception type is reported: messages from parsers can
        # quote file content, and this string may end up in logs.
        return FileResult(name, None, f"{name}: could not be read ({type(exc).__name__})")


def _parse_chunk(chunk: list[tuple[str, bytes] | FileResult]) -> list[FileResult]:
    """Worker-process entry point (module level so it pickles); ready results pass through."""
    return [item if isinstance(item, FileResult) else _parse_entry(*item) for item in chunk]


#: Below this many files a process pool costs more (start-up ~0.1 s) than it saves.
PARALLEL_MIN_FILES = 64
_CHUNK = 16          # files per task: amortises pickling, keeps progress smooth
_IN_FLIGHT = 4       # chunks queued per worker: bounds memory for huge archives


def default_workers() -> int:
    """Processes for bulk parsing: the usable cores, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def _parse_parallel(entries: Iterator[_Entry], workers: int) -> Iterator[FileResult]:
    """Parse in ``workers`` processes, yielding results in source order.

    Chunks are submitted as the walk produces them and at most
    ``workers * _IN_FLIGHT`` are pending, so a 3 GB archive is never held in
    memory at once.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    # forkserver, not fork: the web app parses from a worker thread, and
    # forking a threaded process can deadlock on a lock held by another thread.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pending: deque[Future[list[FileResult]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        chunk: list[tuple[str, bytes] | FileResult] = []
        for name, payload in entries:
            # Walk errors (unreadable zip member, oversized file) are settled here.
            chunk.append(_parse_entry(name, payload) if isinstance(payload, ActivityFileError) else (name, payload))
            if len(chunk) >= _CHUNK:
                pending.append(pool.submit(_parse_chunk, chunk))
                chunk = []
                while len(pending) >= workers * _IN_FLIGHT:
                    yield from pending.popleft().result()
        if chunk:
            pending.append(pool.submit(_parse_chunk, chunk))
        while pending:
            yield from pending.popleft().result()


def parse_path(
    path: Path,
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    workers: int | None = 1,
) -> Iterator[FileResult]:
    """Import every activity file under ``path``, one :class:`FileResult` each.

    Never stops on a bad file: its result carries ``error`` (a readable
    message naming the file) and the walk continues. ``on_progress(done,
    total)`` is called once before the first file (``done=0``) and after each
    one; ``total`` comes from :func:`count_sources`.

    ``workers``: processes to parse with (``None``: :func:`default_workers`).
    Folders and zips with at least :data:`PARALLEL_MIN_FILES` files are then
    parsed in a process pool; results come back in the same order either way.
    """
    total: int | None = count_sources(path) if (on_progress is not None or workers != 1) else None
    if on_progress is not None:
        on_progress(0, total)
    n_workers = default_workers() if workers is None else max(1, workers)
    entries = _entries(Path(path))
    if n_workers > 1 and total is not None and total >= PARALLEL_MIN_FILES:
        results: Iterator[FileResult] = _parse_parallel(entries, n_workers)
    else:
        results = (_parse_entry(name, payload) for name, payload in entries)
    done = 0
    for result in results:
        done += 1
        if on_progress is not None:
            on_progress(done, total)
        yield result
