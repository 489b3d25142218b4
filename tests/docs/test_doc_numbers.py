"""Counts the docs state about the knowledge base match the knowledge files (issue 22.2).

A sentence like "the seven phases" goes stale the day a clinician adds a phase; wherever README or
docs/ count a collection of the knowledge base in words or digits, the count must be the real one.
"""

from __future__ import annotations

import re
from pathlib import Path

from kneecoach.assessment.kb import load_kb
from kneecoach.intake.load import example_names

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen".split())}
COUNTED = r"(phases|pathways|red flags|self-tests|ladders|example profiles|knowledge files|Kujala items)"
PATTERN = re.compile(rf"\b(?:the |all |its )?(\d+|{'|'.join(WORDS)}) {COUNTED}\b", re.IGNORECASE)


def actual_counts() -> dict[str, int]:
    kb = load_kb()
    from kneecoach.knowledge.loader import FILES

    return {
        "phases": len(kb.phases),
        "pathways": len(kb.pathways),
        "red flags": len(kb.red_flags),
        "self-tests": len(kb.self_tests),
        "ladders": len(kb.ladders),
        "example profiles": len(example_names()),
        "knowledge files": len(FILES),
        "kujala items": len(kb.kujala.items),
    }


def stated_counts() -> list[tuple[str, int, str]]:
    found = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for m in PATTERN.finditer(line):
                number = m.group(1).lower()
                found.append((f"{doc.name}:{n}", int(number) if number.isdigit() else WORDS[number], m.group(2).lower()))
    return found


def test_every_count_of_the_knowledge_base_in_the_docs_is_right() -> None:
    real = actual_counts()
    wrong = [f"{where}: says {said} {what}, the knowledge base has {real[what]}"
             for where, said, what in stated_counts() if real[what] != said]
    assert not wrong, "\n".join(wrong)


def test_the_pattern_finds_a_stale_count() -> None:
    assert PATTERN.search("| `phases.yaml` | the seven phases with entry and exit criteria |")
    assert PATTERN.search("all 13 Kujala items").group(2) == "Kujala items"
