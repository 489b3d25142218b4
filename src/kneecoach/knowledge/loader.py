"""Load and validate the knowledge base.

Two passes: each file is validated against its pydantic schema, then
:meth:`KnowledgeBase.problems` checks the files against each other. Any
problem raises :class:`KnowledgeBaseError` listing *every* problem with the
file it is in, so a clinician editing YAML sees all mistakes at once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from kneecoach.knowledge.schema import (
    EVIDENCE_LEVEL_LABELS,
    Adjunct,
    Claim,
    EducationItem,
    Condition,
    Exercise,
    FindingRule,
    Imbalance,
    KujalaScale,
    Ladder,
    Meta,
    Muscle,
    Pathway,
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
    "pathways.yaml": (Pathway, True),
    "education.yaml": (EducationItem, True),
    "adjuncts.yaml": (Adjunct, True),
    "ladders.yaml": (Ladder, True),
    "rules.yaml": (Rules, False),
}


@dataclass(frozen=True)
class Subjects:
    """The models the knowledge files' rules read, named by the layers that define them.

    Findings, red flags and pathways are written over a runner's profile (``profile``); phase exit
    criteria over the progress context (``context``). The knowledge layer sits below both, so it
    cannot import them; the layer that can (:func:`kneecoach.assessment.kb.load_kb`) hands them in,
    and every rule's paths are then checked against them.
    """

    profile: type[BaseModel]
    context: type[BaseModel]

    def key(self) -> str:
        """Names both models, for the cache key (a knowledge base checked against other models is another entry)."""
        return f"{self.profile.__module__}.{self.profile.__qualname__};{self.context.__module__}.{self.context.__qualname__}"


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
    pathways: dict[str, Pathway]
    education: dict[str, EducationItem]
    adjuncts: dict[str, Adjunct]
    ladders: dict[str, Ladder]
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

    def problems(self, subjects: Subjects | None = None) -> list[str]:
        """Cross-file consistency problems (empty when the knowledge base is sound)."""
        out: list[str] = []

        def need(kind: str, ids: dict[str, Any], ref: str, where: str) -> None:
            if ref not in ids:
                out.append(f"{where}: unknown {kind} '{ref}'")

        for c in self.claims.values():
            need("source", self.sources, c.source, f"claims.yaml {c.id}")
            need("topic", self.topics, c.topic, f"claims.yaml {c.id}")
            if c.level and c.source in self.sources and not _level_allowed(c.level, self.sources[c.source].evidence_level):
                out.append(
                    f"claims.yaml {c.id}: level '{c.level}' is stronger than its source "
                    f"'{c.source}' ({self.sources[c.source].evidence_level}) can give"
                )
        for src in self.sources.values():
            if src.kind == "published" and not _looks_like_citation(src.citation):
                out.append(
                    f"sources.yaml {src.id}: citation does not look like a full citation "
                    "(authors or body, year, and journal volume:pages, a doi, or a publisher)"
                )
            if src.kind == "seed" and src.evidence_level not in ("expert", "anecdote"):
                out.append(f"sources.yaml {src.id}: a seed text is expert opinion or anecdote, not '{src.evidence_level}'")
        for item in (*self.education.values(), *self.adjuncts.values()):
            where = f"{'education' if isinstance(item, EducationItem) else 'adjuncts'}.yaml {item.id}"
            for c in item.claims:
                need("claim", self.claims, c, where)
            for pw in item.pathways:
                need("pathway", self.pathways, pw, where)
        known_targets = {**self.imbalances, **self.exercises, **self.pathways}
        for t in self.topics.values():
            for ref in t.relevant_when:
                need("imbalance, exercise or pathway", known_targets, ref, f"topics.yaml {t.id}")
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
            for label, rule in (("show_when", r.show_when), ("raised_when", r.raised_when)):
                if rule is not None:
                    out.extend(self._check_when(rule, f"red_flags.yaml {r.id} {label}", per_side=False, subjects=subjects))
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
            out.extend(self._check_when(f.when, f"findings.yaml {f.id}", f.per_side, subjects=subjects))
        for p in self.phases.values():
            for c in p.claims:
                need("claim", self.claims, c, f"phases.yaml {p.id}")
            for crit in p.exit_criteria:
                out.extend(self._check_when(crit.when, f"phases.yaml {p.id} exit {crit.id}", False, root="context", subjects=subjects))
        for lad in self.ladders.values():
            need("exercise", self.exercises, lad.exercise, f"ladders.yaml {lad.exercise}")
        for e in self.exercises.values():
            if e.phase in STRENGTH_PHASES and e.dose.reps is not None and e.dose.hold_s is None and e.id not in self.ladders:
                out.append(f"exercises.yaml {e.id}: a strength exercise needs a progression ladder in ladders.yaml")
        for src in (*self.rules.retest.sources, *self.rules.ladder.sources, *self.rules.cadence.sources):
            need("source", self.sources, src, "rules.yaml")
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
            included = any(e.id in p.include for p in self.pathways.values())
            if not e.always and not e.addresses and not included:
                out.append(
                    f"{where}: neither 'always' nor any 'addresses', nor included by a pathway, so it can never be chosen"
                )
        out.extend(self._pathway_problems(subjects))
        for src in (*self.rules.pain.sources, *self.rules.ramp.sources):
            need("source", self.sources, src, "rules.yaml")
        for adv in self.rules.terrain:
            for c in adv.claims:
                need("claim", self.claims, c, f"rules.yaml terrain {adv.id}")
        out.extend(self.figure_problems())
        return out

    def figure_problems(self) -> list[str]:
        """Every exercise and self-test has a sound figure (see :mod:`kneecoach.knowledge.figure_checks`)."""
        from kneecoach.knowledge.figure_checks import figure_problems

        out: list[str] = []
        for e in self.exercises.values():
            out.extend(figure_problems(e.figure, f"exercises.yaml {e.id}", self.muscles, e.targets))
        for st in self.self_tests.values():
            out.extend(figure_problems(st.figure, f"self_tests.yaml {st.id}", self.muscles, []))
        return out

    def _pathway_problems(self, subjects: Subjects | None) -> list[str]:
        out: list[str] = []
        defaults = [p.id for p in self.pathways.values() if p.when is None and not p.findings_all and not p.findings_any]
        if len(defaults) != 1:
            out.append(f"pathways.yaml: exactly one default pathway (no 'when' and no findings) is needed, found {defaults or 'none'}")
        priorities = [p.priority for p in self.pathways.values()]
        if len(set(priorities)) != len(priorities):
            out.append("pathways.yaml: two pathways share a priority, so the choice between them would be arbitrary")
        for p in self.pathways.values():
            where = f"pathways.yaml {p.id}"
            if p.condition is not None and p.condition not in self.conditions:
                out.append(f"{where}: unknown condition '{p.condition}'")
            for f in (*p.findings_all, *p.findings_any):
                if f not in self.findings:
                    out.append(f"{where}: unknown finding '{f}'")
            for ph in p.phases:
                if ph not in self.phases:
                    out.append(f"{where}: unknown phase '{ph}'")
            for ex in p.include:
                if ex not in self.exercises:
                    out.append(f"{where}: unknown exercise '{ex}'")
                elif self.exercises[ex].phase not in p.phases:
                    out.append(f"{where}: includes '{ex}' but not its phase '{self.exercises[ex].phase}'")
            for exc in p.exclude:
                if exc.exercise not in self.exercises:
                    out.append(f"{where}: unknown exercise '{exc.exercise}'")
            claim_refs = [*p.claims, *p.ramp.claims, *(c for cr in p.criteria for c in cr.claims)]
            claim_refs += [c for adv in p.advice for c in adv.claims] + [exc.claim for exc in p.exclude]
            for c in claim_refs:
                if c not in self.claims:
                    out.append(f"{where}: unknown claim '{c}'")
            if p.when is not None:
                out.extend(self._check_when(p.when, where, per_side=False, subjects=subjects))
            for cr in p.criteria:
                out.extend(self._check_when(cr.when, f"{where} criterion {cr.id}", per_side=False, subjects=subjects))
        return out

    def _check_when(
        self, when: When, where: str, per_side: bool, root: str = "profile", *, subjects: Subjects | None
    ) -> list[str]:
        """Structural checks always; each path against its subject model when ``subjects`` is given."""
        from kneecoach.knowledge.predicates import check_predicate_path

        out: list[str] = []
        for node in (*when.all, *when.any):
            if isinstance(node, When):
                out.extend(self._check_when(node, where, per_side, root, subjects=subjects))
                continue
            assert isinstance(node, Predicate)
            if "{side}" in node.field and not per_side:
                out.append(f"{where}: field '{node.field}' uses {{side}} but the finding is not per_side")
            if subjects is None:
                continue
            if root == "context":
                problem = check_predicate_path(node, self.rules, subjects.context, "the progress context (profile, diary, retest)")
            else:
                problem = check_predicate_path(node, self.rules, subjects.profile)
            if problem:
                out.append(f"{where}: {problem}")
        return out


#: Phases whose repetition exercises count as strength work (they need a progression ladder).
STRENGTH_PHASES = frozenset({"activate", "strengthen", "integrate", "tendon_heavy_slow", "tendon_energy_storage"})

#: Evidence levels from strongest to weakest; a claim may not claim more than its source's design.
_LEVEL_ORDER = list(EVIDENCE_LEVEL_LABELS)
_GUIDELINE_LEVELS = {"guideline_strong", "guideline_weak"}


def _level_allowed(claim_level: str, source_level: str) -> bool:
    """A guideline grades each recommendation strong or weak; other sources cap their claims' level."""
    if source_level in _GUIDELINE_LEVELS:
        return claim_level in _GUIDELINE_LEVELS or _LEVEL_ORDER.index(claim_level) >= _LEVEL_ORDER.index(source_level)
    return _LEVEL_ORDER.index(claim_level) >= _LEVEL_ORDER.index(source_level)


_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_WHERE = re.compile(r"\d{4};\s*\d+|\bdoi:|\bLondon:|\bPress\b|\bguideline\b", re.IGNORECASE)


def _looks_like_citation(text: str) -> bool:
    """Authors (or a body), a year and where it appeared: enough to find the publication."""
    return bool(_YEAR.search(text) and _WHERE.search(text) and re.match(r"[A-Z]", text.strip()) and len(text) > 40)


def _read_yaml_text(text: str, name: str) -> Any:
    import yaml  # only when the knowledge is not in the cache

    # libyaml's C parser when present (about 10x faster); same safe semantics as yaml.safe_load.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError([f"{name}: not valid YAML: {exc}"]) from exc


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


def load_kb_from(folder: Path, *, subjects: Subjects | None = None, use_cache: bool = True) -> KnowledgeBase:
    """Load, validate and cross-check the knowledge files in ``folder``.

    With ``subjects``, every rule's paths are also checked against the models it reads; the
    engine always loads that way (:func:`kneecoach.assessment.kb.load_kb`). A knowledge base that
    passed the same checks before, from files with the same bytes, comes from the cache
    (:mod:`kneecoach.knowledge.cache`) instead; ``use_cache=False`` always re-checks
    (``kneecoach kb check --full``).
    """
    from kneecoach.knowledge import cache

    problems: list[str] = []
    contents: dict[str, bytes] = {}
    digest = hashlib.sha256()
    for name in FILES:
        path = folder / name
        try:
            contents[name] = path.read_bytes()
        except FileNotFoundError:
            problems.append(f"{name}: file missing")
            continue
        digest.update(contents[name])
    variant = subjects.key() if subjects else "unbound"
    if use_cache and not problems:
        cached = cache.read(digest.hexdigest(), KnowledgeBase, variant)
        if cached is not None:
            return cached

    parsed: dict[str, Any] = {}
    for name, (model, many) in FILES.items():
        if name not in contents:
            continue  # reported as missing; the other files are still checked so every problem shows
        raw = _read_yaml_text(contents[name].decode("utf-8"), name)
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
        pathways=parsed["pathways.yaml"],
        education=parsed["education.yaml"],
        adjuncts=parsed["adjuncts.yaml"],
        ladders=parsed["ladders.yaml"],
        kujala=parsed["kujala.yaml"],
        self_tests=parsed["self_tests.yaml"],
        findings=parsed["findings.yaml"],
        phases=dict(sorted(parsed["phases.yaml"].items(), key=lambda kv: kv[1].order)),
        exercises=parsed["exercises.yaml"],
        rules=parsed["rules.yaml"],
        digest=digest.hexdigest(),
    )
    cross = kb.problems(subjects)
    if cross:
        raise KnowledgeBaseError(cross)
    if use_cache:
        cache.write(kb, variant)
    return kb


def packaged_data_dir() -> Path:
    return Path(str(resources.files("kneecoach.knowledge") / "data"))

