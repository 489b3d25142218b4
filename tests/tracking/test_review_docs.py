"""The documentation states the thresholds the code uses (issue 21).

Every table row of the form ``| what | value | `code reference` |`` in the review docs and the
README is checked: the reference is resolved in the code or the knowledge base, and the number
in the value cell must equal it (fractions are written as percentages). Statements the code
no longer makes are refused outright.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from kneecoach.assessment.kb import load_kb
from kneecoach.tracking import review, weekly_walk
from kneecoach.tracking.load import load_warnings

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "tracking-review.md", ROOT / "docs" / "tracking-import.md", ROOT / "README.md"]
ROW = re.compile(r"^\s*\|([^|]+)\|([^|]+)\|\s*`([A-Za-z_][\w.]*)`\s*\|\s*$")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def resolve(ref: str) -> float:
    """The value a documentation reference names, read from the code or the knowledge base."""
    head, _, rest = ref.partition(".")
    if head == "weekly_walk":
        return float(getattr(weekly_walk, rest))
    if head == "review":
        return float(getattr(review, rest))
    if head == "load_warnings":
        return float(inspect.signature(load_warnings).parameters[rest].default)
    if head == "rules":
        obj: object = load_kb().rules
        for part in rest.split("."):
            obj = getattr(obj, part)
        return float(obj)  # type: ignore[arg-type]
    raise KeyError(f"unknown reference {ref}")


def rows(path: Path) -> list[tuple[str, str, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            out.append((m.group(1).strip(), m.group(2).strip(), m.group(3)))
    return out


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_documented_thresholds_match_the_code(path: Path) -> None:
    found = rows(path)
    assert len(found) >= 6, f"{path.name} should state the review's thresholds in a table"
    for what, value, ref in found:
        m = NUMBER.search(value)
        assert m, f"{path.name}: no number in {value!r} ({what})"
        stated = float(m.group())
        actual = resolve(ref)
        if "%" in value and actual <= 1:
            actual *= 100
        assert stated == pytest.approx(actual), f"{path.name}: {what} says {value}, the code ({ref}) uses {actual:g}"


def test_the_review_doc_covers_every_walk_threshold() -> None:
    refs = {ref for _, _, ref in rows(DOCS[0])}
    constants = {f"weekly_walk.{n}" for n in weekly_walk.__all__ if n.isupper() and n != "REFER_FLAGS"}
    constants.add("weekly_walk.RESUME_AS_WAS_WEEKS")
    assert constants <= refs, f"not documented: {sorted(constants - refs)}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_old_numbers_are_gone(path: Path) -> None:
    text = " ".join(path.read_text(encoding="utf-8").split())
    for stale in ("30 % longer than the longest", "30% longer than the longest", "e.g. 70 %", "1.3 ×"):
        assert stale not in text, f"{path.name} still says {stale!r}"


def test_a_wrong_number_would_be_caught(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("| A week counts as done from | 85 % | `weekly_walk.DONE_FRACTION` |\n", encoding="utf-8")
    ((what, value, ref),) = rows(doc)
    assert float(NUMBER.search(value).group()) != resolve(ref) * 100  # type: ignore[union-attr]


def test_every_day_mark_has_a_label_and_a_meaning() -> None:
    from kneecoach.tracking.diary import DAY_FLAG_KINDS, DAY_FLAG_LABELS

    assert set(DAY_FLAG_LABELS) == set(DAY_FLAG_KINDS)
    assert set(DAY_FLAG_KINDS) == {*weekly_walk.REFER_FLAGS, weekly_walk.ILL_FLAG}
    from kneecoach.store.models import DayMark

    (check,) = [c for c in DayMark.__table__.constraints if getattr(c, "name", "") == "ck_day_marks_kind"]
    assert set(re.findall(r"'(\w+)'", str(check.sqltext))) == set(DAY_FLAG_KINDS)  # the database agrees
