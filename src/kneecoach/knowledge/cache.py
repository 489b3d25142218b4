"""A cache of the validated knowledge base, so a CLI command does not re-check unchanged files.

Loading the knowledge base means parsing 18 YAML files, validating every entry with pydantic and
cross-checking the files (citations, evidence levels, figures drawn within joint ranges): about a
tenth of a second, paid by every ``kneecoach`` command although the files rarely change. After a
successful load the validated :class:`~kneecoach.knowledge.loader.KnowledgeBase` is written here;
the next load whose files hash to the same digest reads it back in a few milliseconds.

What keeps it safe to trust:

* The key covers the SHA-256 of every knowledge file's bytes, the source of the packages that
  define and check the knowledge (``knowledge``, ``figures``, and ``assessment`` and ``intake``,
  whose profile and progress fields the rules may name: a code change re-validates), and the
  kneecoach, pydantic and Python versions. An edited file therefore always goes through full validation again, and a
  broken edit is refused as before, whatever the cache holds.
* Only a knowledge base that passed every check is ever written.
* The cache lives in the user's own cache folder (``$KNEECOACH_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/kneecoach``, else ``~/.cache/kneecoach``), written atomically. It holds no
  personal data, only the packaged (or clinician's) knowledge. Anything unreadable is ignored and
  rewritten; a folder that cannot be written only means no cache. ``KNEECOACH_KB_CACHE=0`` turns
  it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

K = TypeVar("K")

__all__ = ["cache_dir", "cache_key", "code_digest", "read", "write"]

#: Packages whose code decides what a valid knowledge base is, or defines the cached objects:
#: the schema, the rule language, figure specs and their checks (all in ``knowledge``), and the
#: profile and progress fields that rules and phase criteria may name (the subjects handed in
#: by ``assessment.kb``, defined in ``intake`` and ``assessment``).
_CODE_PACKAGES = ("knowledge", "assessment", "intake")


def enabled() -> bool:
    return os.environ.get("KNEECOACH_KB_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}


def cache_dir() -> Path:
    """Where cached knowledge bases are kept (see the module docstring for the order)."""
    explicit = os.environ.get("KNEECOACH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kneecoach"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the code in :data:`_CODE_PACKAGES` (changes whenever that code does)."""
    pkg = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for sub in _CODE_PACKAGES:
        for path in sorted((pkg / sub).glob("*.py")):
            h.update(f"{sub}/{path.name}".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cache_key(files_digest: str, variant: str = "") -> str:
    """The cache file's name for knowledge files hashing to ``files_digest``, checked as ``variant`` says."""
    import pydantic

    from kneecoach import __version__

    h = hashlib.sha256()
    for part in (files_digest, variant, code_digest(), __version__, pydantic.VERSION, sys.version):
        h.update(part.encode())
        h.update(b"\0")
    return f"kb-{h.hexdigest()[:32]}.pickle"


def read(files_digest: str, expected: type[K], variant: str = "") -> K | None:
    """The cached ``expected`` object for these files, or None (no cache, stale, unreadable).

    ``expected`` is passed in (the loader's ``KnowledgeBase``) so this module needs nothing from
    the loader: the loader uses the cache, never the other way round.
    """
    if not enabled():
        return None
    path = cache_dir() / cache_key(files_digest, variant)
    try:
        with path.open("rb") as fh:
            kb: Any = pickle.load(fh)  # noqa: S301 - our own file in the user's cache folder, keyed by content
    except Exception:  # noqa: BLE001 - a missing or damaged cache is never an error, only a miss
        return None
    if not isinstance(kb, expected) or getattr(kb, "digest", None) != files_digest:
        return None
    return kb


def write(kb: Any, variant: str = "") -> Path | None:
    """Store a validated knowledge base; returns the file, or None when the folder is not writable."""
    if not enabled():
        return None
    folder = cache_dir()
    target = folder / cache_key(kb.digest, variant)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kb-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None
    return target
