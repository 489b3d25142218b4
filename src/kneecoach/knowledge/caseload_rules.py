"""The caseload rules (``data/caseload.yaml``): who needs a clinician's attention, and why.

Kept as data in the knowledge base's own rule language (:class:`~kneecoach.knowledge.schema.When`)
so a clinic can read and tune why a runner is at the top of the list; the code that gathers the
facts (:mod:`kneecoach.store.caseload`) and ranks (:mod:`kneecoach.tracking.caseload`) knows no
particular rule.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from kneecoach.knowledge.schema import When

FILE = "caseload.yaml"


class CaseloadRule(BaseModel):
    """One reason a runner needs attention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(description="The reason in words; '{value}' is filled with the fact named in 'show'.")
    show: str | None = None
    weight: int = Field(ge=1, le=1000)
    when: When
    sources: list[str] = Field(min_length=1)


@lru_cache(maxsize=1)
def load_caseload_rules() -> tuple[CaseloadRule, ...]:
    """The packaged rules, validated (ids unique); raises ``ValueError`` naming the problem."""
    return load_caseload_rules_from(Path(str(resources.files("kneecoach.knowledge") / "data")))


def load_caseload_rules_from(folder: Path) -> tuple[CaseloadRule, ...]:
    """The rules in ``folder/caseload.yaml`` (``kneecoach kb check --dir`` checks another folder)."""
    import yaml

    text = (folder / FILE).read_text(encoding="utf-8")
    rules = TypeAdapter(list[CaseloadRule]).validate_python(yaml.safe_load(text))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{FILE}: rule ids must be unique")
    return tuple(rules)
