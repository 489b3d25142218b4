"""Figures of the knowledge base's own exercises and self-tests, ready to embed or write.

The web app, the PDF, the Markdown export and ``kneecoach kb figures`` all go
through here, so an entry is always drawn with its own name and description as
the text alternative, and its targets as the highlighted muscles by default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from kneecoach.knowledge.figure_spec import Figure
from kneecoach.assessment.kb import load_kb
from kneecoach.knowledge.loader import KnowledgeBase

Kind = Literal["exercise", "self_test"]
Style = Literal["animated", "page", "strip", "print"]


@dataclass(frozen=True)
class Entry:
    """What a figure needs from its knowledge-base entry."""

    kind: Kind
    id: str
    name: str
    text: str
    targets: tuple[str, ...]
    figure: Figure


def entry(kb: KnowledgeBase, kind: Kind, entry_id: str) -> Entry | None:
    """The entry with a figure, or None when it has none (or does not exist)."""
    if kind == "exercise":
        e = kb.exercises.get(entry_id)
        if e is None or e.figure is None:
            return None
        return Entry(kind, e.id, e.name, e.how, tuple(e.targets), e.figure)
    t = kb.self_tests.get(entry_id)
    if t is None or t.figure is None:
        return None
    return Entry(kind, t.id, t.name, t.instructions, (), t.figure)


def render(e: Entry, style: Style) -> str:
    """SVG text: ``animated`` (standalone file), ``page`` (animated, CSS served by :func:`figures_css`),
    ``strip`` (labelled keyframes side by side) or ``print`` (the strip without text, for the PDF)."""
    # Imported here: the renderer pulls in numpy (the body model), which a command that only finds
    # its figures already written (see write_figures) never needs.
    from kneecoach.figures.render_svg import animated_svg, strip_svg

    uid = _uid(e)
    if style in ("animated", "page"):
        return animated_svg(uid, e.figure, e.name, e.text, list(e.targets), embed_css=style == "animated")
    return strip_svg(uid, e.figure, e.name, e.text, list(e.targets), labels=style == "strip")


def _uid(e: Entry) -> str:
    return f"{'ex' if e.kind == 'exercise' else 'st'}-{e.id}"


def all_entries(kb: KnowledgeBase) -> list[Entry]:
    """Every exercise and self-test that has a figure, exercises first."""
    found = [entry(kb, "exercise", i) for i in kb.exercises] + [entry(kb, "self_test", i) for i in kb.self_tests]
    return [e for e in found if e is not None]


@lru_cache(maxsize=4)
def _css(kb_version: str) -> str:
    from kneecoach.figures.render_svg import animated_css

    return "".join(animated_css(_uid(e), e.figure) for e in all_entries(load_kb()))


def figures_css() -> str:
    """The animation CSS of every figure, for pages that inline ``page`` SVGs."""
    return _css(load_kb().version)


@lru_cache(maxsize=512)
def _cached(kb_version: str, kind: Kind, entry_id: str, style: Style) -> str | None:
    found = entry(load_kb(), kind, entry_id)
    return render(found, style) if found else None


def figure_svg(kind: Kind, entry_id: str, style: Style = "animated") -> str | None:
    """The packaged knowledge base's figure as SVG text (cached per knowledge-base version)."""
    return _cached(load_kb().version, kind, entry_id, style)


#: Written beside the figures: which knowledge and drawing code each file was drawn from.
MANIFEST = ".kneecoach-figures.json"


def write_figures(folder: Path, ids: list[str], kind: Kind = "exercise", kb: KnowledgeBase | None = None) -> dict[str, Path]:
    """Write each entry's static strip as ``<kind>-<id>.svg`` into ``folder``; returns id -> path.

    A figure already in ``folder`` that was drawn from the same knowledge base and the same drawing
    code (recorded in :data:`MANIFEST`) is left as it is, so ``kneecoach assess`` does not redraw
    the same dozen figures on every run. A changed exercise, a new kneecoach or a deleted file means
    that figure is drawn again.
    """
    from kneecoach.knowledge.cache import code_digest

    kb = kb or load_kb()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{kb.version}/{code_digest()[:16]}"
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    out: dict[str, Path] = {}
    changed = False
    for entry_id in ids:
        found = entry(kb, kind, entry_id)
        if found is None:
            continue
        path = folder / f"{kind.replace('_', '-')}-{entry_id}.svg"
        if manifest.get(path.name) != stamp or not path.is_file():
            path.write_text(render(found, "strip"), encoding="utf-8")
            manifest[path.name] = stamp
            changed = True
        out[entry_id] = path
    if changed:
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return out
