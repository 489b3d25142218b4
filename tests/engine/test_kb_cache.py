"""The validated-knowledge cache: a hit equals a full load, an edit is always re-checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kneecoach.knowledge import cache
from kneecoach.assessment.kb import SUBJECTS, load_checked
from kneecoach.knowledge.loader import KnowledgeBase, KnowledgeBaseError, packaged_data_dir


@pytest.fixture
def kb_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KNEECOACH_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "kb"
    shutil.copytree(packaged_data_dir(), folder)
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted((folder.parent / "cache").glob("kb-*.pickle"))


def test_second_load_comes_from_the_cache_and_equals_a_full_load(kb_copy: Path) -> None:
    first = load_checked(kb_copy)
    files = _entries(kb_copy)
    assert len(files) == 1, "a validated knowledge base is written to the cache"
    cached = cache.read(first.digest, KnowledgeBase, SUBJECTS.key())
    assert cached is not None and cached is not first
    assert cached == first  # every collection, model and the digest
    assert load_checked(kb_copy) == load_checked(kb_copy, use_cache=False)


def test_an_edited_file_is_checked_again_and_a_broken_edit_refused(kb_copy: Path) -> None:
    load_checked(kb_copy)
    claims = kb_copy / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    # Point the first claim at a source that does not exist: the checker must see it.
    first_source = text.split("source:", 1)[1].split("\n", 1)[0].strip()
    claims.write_text(text.replace(f"source: {first_source}", "source: no_such_source", 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="no_such_source"):
        load_checked(kb_copy)
    assert len(_entries(kb_copy)) == 1, "a knowledge base that failed is never cached"


def test_a_damaged_cache_file_is_a_miss_and_gets_rewritten(kb_copy: Path) -> None:
    kb = load_checked(kb_copy)
    (entry,) = _entries(kb_copy)
    entry.write_bytes(b"not a pickle")
    assert cache.read(kb.digest, KnowledgeBase, SUBJECTS.key()) is None
    assert load_checked(kb_copy) == kb
    assert cache.read(kb.digest, KnowledgeBase, SUBJECTS.key()) == kb


def test_cache_can_be_turned_off_and_an_unwritable_folder_is_no_error(
    kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNEECOACH_KB_CACHE", "0")
    load_checked(kb_copy)
    assert _entries(kb_copy) == []
    monkeypatch.delenv("KNEECOACH_KB_CACHE")
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("KNEECOACH_CACHE_DIR", str(blocker / "cache"))
    assert load_checked(kb_copy).exercises  # loads fine without a cache


def test_the_key_changes_with_the_files_and_the_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = cache.cache_key("0" * 64), cache.cache_key("1" * 64)
    assert a != b
    import pydantic

    monkeypatch.setattr(pydantic, "VERSION", "0.0.0-other")
    assert cache.cache_key("0" * 64) != a


def test_the_key_covers_the_code_that_checks_rule_paths() -> None:
    """A rule naming a profile field is checked against intake/assessment code: it must be in the key."""
    from pathlib import Path

    import kneecoach

    import hashlib

    pkg = Path(kneecoach.__file__).parent
    assert {"knowledge", "assessment", "intake"} <= set(cache._CODE_PACKAGES)
    # ...and the digest really reads those files: it differs from one computed without intake/.

    h = hashlib.sha256()
    for sub in ("knowledge", "assessment"):
        for path in sorted((pkg / sub).glob("*.py")):
            h.update(f"{sub}/{path.name}".encode())
            h.update(path.read_bytes())
    assert cache.code_digest() != h.hexdigest()


def test_a_missing_file_is_reported_with_the_other_files_problems(kb_copy: Path) -> None:
    """Every problem at once: a missing file does not hide a schema error in another file."""
    (kb_copy / "adjuncts.yaml").unlink()
    claims = kb_copy / "claims.yaml"
    claims.write_text(claims.read_text(encoding="utf-8").replace("source:", "sauce:", 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as err:
        load_checked(kb_copy)
    joined = "\n".join(err.value.problems)
    assert "adjuncts.yaml: file missing" in joined
    assert "claims.yaml" in joined and "sauce" in joined


def test_a_load_without_subjects_is_another_cache_entry(kb_copy: Path) -> None:
    """A knowledge base checked without rule paths never stands in for a fully checked one."""
    from kneecoach.knowledge.loader import load_kb_from

    unbound = load_kb_from(kb_copy)
    assert cache.read(unbound.digest, KnowledgeBase, SUBJECTS.key()) is None
    load_checked(kb_copy)
    assert len(_entries(kb_copy)) == 2
