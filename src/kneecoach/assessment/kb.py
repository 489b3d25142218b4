"""The knowledge base as the engine reads it: loaded, cross-checked and bound to its subjects.

The knowledge layer checks its files on their own terms; whether a rule's ``field`` names a real
profile or progress-context field can only be checked by a layer that knows those models. This is
the lowest such layer, so this is where the engine (and every face above it) gets its knowledge.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kneecoach.assessment.context import ProgressContext
from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase, Subjects, load_kb_from, packaged_data_dir

#: What findings, red flags and pathways read (a profile) and what phase criteria read.
SUBJECTS = Subjects(profile=Profile, context=ProgressContext)


def load_checked(folder: Path, *, use_cache: bool = True) -> KnowledgeBase:
    """Load ``folder`` with every check, rule paths included (``kneecoach kb check``)."""
    return load_kb_from(folder, subjects=SUBJECTS, use_cache=use_cache)


@lru_cache(maxsize=4)
def load_kb(folder: str | None = None) -> KnowledgeBase:
    """The knowledge base (the packaged one unless ``folder`` is given), fully checked and cached."""
    return load_checked(Path(folder) if folder else packaged_data_dir())
