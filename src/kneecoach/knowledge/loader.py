"""Load and validate the knowledge base.

Two passes: each file is validated against its pydantic schema, then
:meth:`KnowledgeBase.problems` checks the files against each other. Any
problem raises :class:`KnowledgeBaseError` listing *every* problem with the
file it is in, so a clinician editing YAML sees all mistakes at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from kneecoach.knowledge.schema import (
    Claim,
    Condition,
    Exercise,
    FindingRule,
    Imbalance,
    KujalaScale,
    Meta,
    Muscle,
    Phase,
    Predicate,
    RedFlag,
    Rules,
    SelfTest,
    Source,
    Topic,
    When,
)

M = TypeVar("M", bound=BaseModel)

#: File name -> (schema, is a list of items)
FILES: dict[str, tuple[type[BaseModel], bool]] = {
    "meta.yaml": (Meta, False),
    "sources.yaml": (Source, True),
    "muscles.yaml": (Muscle, True),
    "claims.yaml": (Claim, True),
    "topics.yaml": (Topic, True),
    "imbalances.yaml": (Imbalance, True),
    "conditions.yaml": (Condition, True),
    "red_flags.yaml": (RedFlag, True),
    "kujala.yaml": (KujalaScale, False),
    "self_tests.yaml": (SelfTest, True),
    "findings.yaml": (FindingRule, True),
    "phases.yaml": (Phase, True),
    "exercises.yaml": (Exercise, True),
    "rules.yaml": (Rules, False),
}


class KnowledgeBaseError(ValueError):
    """The knowledge files are malformed or inconsistent. ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("knowledge base has %d problem(s):\n  - %s" % (len(problems), "\n  - ".join(problems)))


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge: every collection is a dict keyed by id, in file order."""

    meta: Meta
    sources: dict[str, Source]
    muscles: dict[str, Muscle]
    claims: dict[str, Claim]
    topics: dict[str, Topic]
    imbalances: dict[str, Imbalance]
    conditions: dict[str, Condition]
    red_flags: dict[str, RedFlag]
    kujala: KujalaScale
    self_tests: dict[str, SelfTest]
    findings: dict[str, FindingRule]
    phases: dict[str, Phase]
    exercises: dict[str, Exercise]
    rules: Rules
    digest: str

    @property
    def version(self) -> str:
        """Human version plus a content digest, so an unversioned edit still shows."""
        return f"{self.meta.version}+{self.digest[:8]}"

    def claim_source(self, claim_id: str) -> str:
        return self.claims[claim_id].source

    def claim_level(self, claim_id: str) -> str:
        """The claim's evidence level: its own, else its source's."""
        claim = self.claims[claim_id]
        return claim.level or self.sources[claim.source].evidence_level

    def problems(self) -> list[str]:
        """Cross-file consistency problems (empty when the knowledge base is sound)."""
        out: list[str] = []

        def need(kind: str, ids: dict[str, Any], ref: str, where: str) -> None:
            if ref not in ids:
                out.append(f"{where}: unknown {kind} '{ref}'")

        for c in self.claims.values():
            need("source", self.sources, c.source, f"claims.yaml {c.id}")
            need("topic", self.topics, c.topic, f"claims.yaml {c.id}")
        known_targets = {**self.imbalances, **self.exercises}
        for t in self.topics.values():
            for ref in t.relevant_when:
                need("imbalance or exercise", known_targets, ref, f"topics.yaml {t.id}")
        for i in self.imbalances.values():
            for m in i.muscles:
                need("muscle", self.muscles, m, f"imbalances.yaml {i.id}")
            for c in i.claims:
                need("claim", self.claims, c, f"imbalances.yaml {i.id}")
        for cond in self.conditions.values():
            for f in cond.suggested_by:
                need("finding", self.findings, f, f"conditions.yaml {cond.id}")
            for c in cond.claims:
                need("claim", self.claims, c, f"conditions.yaml {cond.id}")
        for r in self.red_flags.values():
            for s in r.sources:
                need("source", self.sources, s, f"red_flags.yaml {r.id}")
        need("source", self.sources, self.kujala.source, "kujala.yaml")
        for st in self.self_tests.values():
            for s in st.sources:
                need("source", self.sources, s, f"self_tests.yaml {st.id}")
        for f in self.findings.values():
            for s in f.supports:
                need("imbalance", self.imbalances, s.imbalance, f"findings.yaml {f.id}")
                need("claim", self.claims, s.claim, f"findings.yaml {f.id}")
            for c in f.claims:
                need("claim", self.claims, c, f"findings.yaml {f.id}")
            out.extend(self._check_when(f.when, f"findings.yaml {f.id}", f.per_side))
        for p in self.phases.values():
            for c in p.claims:
                need("claim", self.claims, c, f"phases.yaml {p.id}")
        orders = [p.order for p in self.phases.values()]
        if len(set(orders)) != len(orders):
            out.append("phases.yaml: two phases share an order number")
        for e in self.exercises.values():
            where = f"exercises.yaml {e.id}"
            need("phase", self.phases, e.phase, where)
            for m in e.targets:
                need("muscle", self.muscles, m, where)
            for i in e.addresses:
                need("imbalance", self.imbalances, i, where)
            for c in e.claims:
                need("claim", self.claims, c, where)
            for gate in (*e.only_when, *e.exclude_when, *e.caution_when):
                need("finding", self.findings, gate.finding, where)
                need("claim", self.claims, gate.claim, where)
            if not e.always and not e.addresses:
                out.append(f"{where}: neither 'always' nor any 'addresses', so it can never be chosen")
        for src in (*self.rules.pain.sources, *self.rules.ramp.sources):
            need("source", self.sources, src, "rules.yaml")
        for adv in self.rules.terrain:
            for c in adv.claims:
                need("claim", self.claims, c, f"rules.yaml terrain {adv.id}")
        out.extend(self.figure_problems())
        return out

    def figure_problems(self) -> list[str]:
        """Every exercise and self-test has a sound figure (see :mod:`kneecoach.figures.checks`)."""
        from kneecoach.figures.checks import figure_problems

        out: list[str] = []
        for e in self.exercises.values():
            out.extend(figure_problems(e.figure, f"exercises.yaml {e.id}", self.muscles, e.targets))
        for st in self.self_tests.values():
            out.extend(figure_problems(st.figure, f"self_tests.yaml {st.id}", self.muscles, []))
        return out

    def _check_when(self, when: When, where: str, per_side: bool) -> list[str]:
        from kneecoach.assessment.predicates import check_predicate_path

        out: list[str] = []
        for node in (*when.all, *when.any):
            if isinstance(node, When):
                out.extend(self._check_when(node, where, per_side))
                continue
            assert isinstance(node, Predicate)
            if "{side}" in node.field and not per_side:
                out.append(f"{where}: field '{node.field}' uses {{side}} but the finding is not per_side")
            problem = check_predicate_path(node, self.rules)
            if problem:
                out.append(f"{where}: {problem}")
        return out


#: libyaml's C parser when present (about 10x faster); same safe semantics as yaml.safe_load.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError([f"{path.name}: not valid YAML: {exc}"]) from exc


def _format_validation(file: str, exc: ValidationError, items: list[Any] | None) -> list[str]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        label = file
        if items is not None and loc and isinstance(loc[0], int):
            idx = loc.pop(0)
            item = items[idx] if idx < len(items) else None
            item_id = item.get("id") if isinstance(item, dict) else None
            label = f"{file} {item_id or f'item #{idx + 1}'}"
        field = ".".join(str(x) for x in loc) or "(whole entry)"
        out.append(f"{label}: {field}: {err['msg']}")
    return out


def load_kb_from(folder: Path) -> KnowledgeBase:
    """Load, validate and cross-check the knowledge files in ``folder``."""
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    digest = hashlib.sha256()
    for name, (model, many) in FILES.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: file missing")
            continue
        digest.update(path.read_bytes())
        raw = _read_yaml(path)
        try:
            if many:
                if not isinstance(raw, list):
                    raise KnowledgeBaseError([f"{name}: expected a list of entries"])
                items = TypeAdapter(list[model]).validate_python(raw)  # type: ignore[valid-type]
                ids = [getattr(i, "id") for i in items]
                dupes = sorted({i for i in ids if ids.count(i) > 1})
                if dupes:
                    problems.append(f"{name}: duplicate id(s) {', '.join(dupes)}")
                parsed[name] = {getattr(i, "id"): i for i in items}
            else:
                parsed[name] = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_format_validation(name, exc, raw if many and isinstance(raw, list) else None))
        except KnowledgeBaseError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KnowledgeBaseError(problems)
    kb = KnowledgeBase(
        meta=parsed["meta.yaml"],
        sources=parsed["sources.yaml"],
        muscles=parsed["muscles.yaml"],
        claims=parsed["claims.yaml"],
        topics=parsed["topics.yaml"],
        imbalances=parsed["imbalances.yaml"],
        conditions=parsed["conditions.yaml"],
        red_flags=parsed["red_flags.yaml"],
        kujala=parsed["kujala.yaml"],
        self_tests=parsed["self_tests.yaml"],
        findings=parsed["findings.yaml"],
        phases=dict(sorted(parsed["phases.yaml"].items(), key=lambda kv: kv[1].order)),
        exercises=parsed["exercises.yaml"],
        rules=parsed["rules.yaml"],
        digest=digest.hexdigest(),
    )
    cross = kb.problems()
    if cross:
        raise KnowledgeBaseError(cross)
    return kb


def packaged_data_dir() -> Path:
    return Path(str(resources.files("kneecoach.knowledge") / "data"))


@lru_cache(maxsize=4)
def load_kb(folder: str | None = None) -> KnowledgeBase:
    """The knowledge base (the packaged one unless ``folder`` is given), cached."""
    return load_kb_from(Path(folder) if folder else packaged_data_dir())
