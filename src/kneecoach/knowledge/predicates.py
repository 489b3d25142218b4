"""The small rule language the knowledge files are written in, and its evaluation.

Findings, red flags, pathways and phase criteria are ``When`` trees of predicates over a
*subject*: a runner's profile, or the progress context built from it and the diary. Keeping the
language generic is what lets those rules live in data: the code knows how to follow a dotted
path, compare, test membership and compute a limb symmetry index; *which* fields and thresholds
matter is the knowledge base's business. The language sits in the knowledge layer, below the
intake and assessment code that define the subjects, so the subject model a rule is checked
against is passed in (see :class:`kneecoach.knowledge.loader.Subjects`).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from kneecoach.knowledge.sides import PerSide, Side
from kneecoach.knowledge.schema import Predicate, Rules, When

_MISSING = object()


@dataclass(frozen=True)
class Match:
    """Outcome of a predicate: whether it holds, and for metric predicates the side and value found."""

    ok: bool
    side: Side | None = None
    value: float | None = None


def resolve(obj: Any, path: str) -> Any:
    """Follow a dotted path through models and dicts; missing parts give ``None``."""
    cur = obj
    for part in path.split("."):
        if cur is None:
            return None
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            cur = getattr(cur, part, None)
    return cur


def rule_value(value: Any, rules: Rules) -> Any:
    """Replace ``"$rules.a.b"`` with the number from rules.yaml."""
    if isinstance(value, str) and value.startswith("$rules."):
        found = resolve(rules, value.removeprefix("$rules."))
        if found is None:
            raise KeyError(f"rules.yaml has no '{value.removeprefix('$rules.')}'")
        return found
    return value


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, Enum) else v


def lsi(per_side: PerSide[Any]) -> tuple[float, Side] | None:
    """Limb symmetry index (weaker / stronger x 100) and the weaker side; None if not computable."""
    if per_side.left is None or per_side.right is None:
        return None
    left, right = float(per_side.left), float(per_side.right)
    stronger = max(left, right)
    if stronger <= 0:
        return None
    weaker_side = Side.left if left < right else Side.right
    return round(min(left, right) / stronger * 100.0, 1), weaker_side


def evaluate_predicate(pred: Predicate, profile: Any, rules: Rules, side: Side | None) -> Match:
    path = pred.field.replace("{side}", side.value) if side else pred.field
    actual = resolve(profile, path)
    expected = rule_value(pred.value, rules)
    op = pred.op
    if op == "present":
        return Match(actual is not None)
    if op == "absent":
        return Match(actual is None)
    if op in ("lsi_below", "lsi_at_least"):
        if not isinstance(actual, PerSide):
            return Match(False)
        result = lsi(actual)
        if result is None:
            return Match(False)
        index, weaker = result
        below = index < float(expected)
        return Match(below if op == "lsi_below" else not below, weaker, index)
    if op == "sides_differ":
        if not isinstance(actual, PerSide) or actual.left is None or actual.right is None:
            return Match(False)
        left, right = _plain(actual.left), _plain(actual.right)
        if left == right:
            return Match(False)
        tighter = Side.left if left == "tight" else Side.right if right == "tight" else None
        return Match(True, tighter)
    if actual is None:
        return Match(False)
    if op in ("contains", "contains_any"):
        values = {_plain(v) for v in actual}
        wanted = expected if op == "contains_any" else [expected]
        return Match(any(w in values for w in wanted))
    a = _plain(actual)
    if op == "eq":
        return Match(a == expected)
    if op == "ne":
        return Match(a != expected)
    comparisons = {"lt": a < expected, "le": a <= expected, "gt": a > expected, "ge": a >= expected}
    return Match(comparisons[op])


def evaluate(when: When, profile: Any, rules: Rules, side: Side | None = None) -> Match:
    """All of ``all`` and at least one of ``any`` (when given). Carries the first metric side/value."""
    matches: list[Match] = []
    for node in when.all:
        m = evaluate(node, profile, rules, side) if isinstance(node, When) else evaluate_predicate(node, profile, rules, side)
        if not m.ok:
            return Match(False)
        matches.append(m)
    if when.any:
        any_hits = [
            m
            for node in when.any
            if (m := (evaluate(node, profile, rules, side) if isinstance(node, When) else evaluate_predicate(node, profile, rules, side))).ok
        ]
        if not any_hits:
            return Match(False)
        matches.extend(any_hits)
    found_side = next((m.side for m in matches if m.side is not None), None)
    found_value = next((m.value for m in matches if m.value is not None), None)
    return Match(True, found_side, found_value)


def recorded(when: When, profile: Any) -> bool:
    """Whether the values the rule compares were recorded (``all``: each; ``any``: at least one).

    Lets a criterion say "not recorded yet" instead of "not met" when the runner has not
    measured it: a missing hop test is a question to answer, not a failure.
    """

    def node_recorded(node: Predicate | When) -> bool:
        if isinstance(node, When):
            return recorded(node, profile)
        return node.op in ("present", "absent") or resolve(profile, node.field) is not None

    return all(node_recorded(n) for n in when.all) and (not when.any or any(node_recorded(n) for n in when.any))


# --- static checking of paths (used by the knowledge-base checker) -------------------------------


def _unwrap(tp: Any) -> Any:
    """Strip Optional / Annotated so we can see the model or container underneath."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
            if len(args) != 1:
                return tp
        else:
            return tp


def check_predicate_path(pred: Predicate, rules: Rules, root: type[BaseModel], label: str = "the profile") -> str | None:
    """Return a problem description if ``pred.field`` is not a path in ``root`` (named ``label``)."""
    path = pred.field.replace("{side}", "left")
    tp: Any = root
    for part in path.split("."):
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return f"field '{pred.field}' is not in {label} (no '{part}')"
            tp = tp.model_fields[part].annotation
        else:
            break  # dict / list / scalar: the rest is data-dependent
    if isinstance(pred.value, str) and pred.value.startswith("$rules."):
        try:
            rule_value(pred.value, rules)
        except KeyError as exc:
            return str(exc.args[0])
    if pred.op in ("lt", "le", "gt", "ge", "lsi_below", "lsi_at_least") and not isinstance(rule_value(pred.value, rules), (int, float)):
        return f"field '{pred.field}': op '{pred.op}' needs a number, got {pred.value!r}"
    return None
