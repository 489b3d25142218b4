"""The knowledge base and engine as the web app sees them.

The intake and self-test forms are generated from the knowledge base (Kujala
items and options, red-flag questions, self-test instructions), so a
clinician who edits the YAML changes the forms too. The KB is loaded once per
process; the engine's :func:`load_kb` validates it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from kneecoach.intake.profile import Profile


@lru_cache(maxsize=1)
def kb() -> Any:
    """The validated knowledge base (engine's ``load_kb``), cached for the process."""
    from kneecoach.engine import load_kb

    return load_kb()


def _values(items: Any) -> list[Any]:
    if isinstance(items, dict):
        return list(items.values())
    return list(items or [])


def kujala_items() -> list[Any]:
    """The 13 Kujala items, each with ``id``, ``question`` and ``options`` (``id``, ``text``, ``points``)."""
    return list(kb().kujala.items)


def red_flags() -> list[Any]:
    """Red-flag questions (``id``, ``question``, ``reason``, ``urgency``)."""
    return _values(kb().red_flags)


def red_flags_for(profile: Profile | None, values: dict[str, Any] | None = None) -> list[Any]:
    """The red-flag questions to show: those that apply to ``profile`` (age, history), plus any
    already answered. Without a profile only the questions asked of everyone."""
    from kneecoach.intake.screen import questions_for

    answered = {k.removeprefix("red_flags.") for k in (values or {}) if k.startswith("red_flags.")}
    applies = {rf.id for rf in questions_for(profile, kb())} if profile is not None else set()
    return [
        rf
        for rf in _values(kb().red_flags)
        if rf.ask and rf.refers and (rf.show_when is None or rf.id in applies or rf.id in answered)
    ]


def triage_questions() -> list[Any]:
    """The bone stress and acute-injury questions (``refers: false``), asked with the knee-pain section.

    They apply to anyone with knee pain, so the form shows them there rather than after a second
    submit; an unanswered one is listed on the results page, never assumed "no".
    """
    return [rf for rf in _values(kb().red_flags) if rf.ask and not rf.refers]


def self_tests() -> dict[str, Any]:
    """Self-test entries keyed by the profile field they fill (``self_tests.plank_hold_s`` ...)."""
    return {t.profile_field: t for t in _values(kb().self_tests)}


def exercise_names() -> dict[str, str]:
    """Exercise id -> name, for the diary's exercise picker."""
    return {e.id: e.name for e in _values(kb().exercises)}


def sources() -> dict[str, Any]:
    return {s.id: s for s in _values(getattr(kb(), "sources", []))}


def run_assessment(profile: Profile, unit: str = "km") -> Any:
    """The engine's :class:`Assessment` for ``profile`` (pure; nothing stored), its plan's notes in ``unit``."""
    from kneecoach.engine import assess

    return assess(profile, unit=unit)


def source_titles(ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(id, title)`` for each source id, the id itself when the KB does not know it."""
    known = sources()
    return [(i, getattr(known.get(i), "title", i)) for i in ids]
