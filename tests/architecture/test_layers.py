"""The folder layout tells the story, and nothing imports upward.

Layers, bottom to top (README, "Layout"): knowledge -> intake -> assessment -> plan -> tracking ->
store / render -> web / cli. A module may import from its own layer or any layer below it, never
above; and no two modules import each other, not even inside a function. Imports are read from the
source with :mod:`ast`, so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kneecoach

PACKAGE = Path(kneecoach.__file__).resolve().parent

#: Layer of each top-level part of the package. Parts on one line share a layer.
LAYERS: dict[str, int] = {
    "kneecoach": 0,  # the package itself: version and disclaimer only
    "knowledge": 0,  # data files, their schema, the rule language, pain/ramp rules, figure specs
    "intake": 1,
    "examples": 1,  # example profiles (data read by intake)
    "assessment": 2,
    "plan": 3,
    "engine": 3,  # intake -> assessment -> plan in one call
    "tracking": 4,
    "video": 4,  # clip -> per-side self-test values (reads the knowledge only)
    "store": 5,
    "render": 5,
    "figures": 5,  # drawing the knowledge's figure specs
    "web": 6,
    "cli": 6,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "kneecoach"
    assert key in LAYERS, f"{module}: part '{key}' has no layer; add it to LAYERS and to README's layout"
    return LAYERS[key]


def imports_of(path: Path) -> set[str]:
    """Every kneecoach module ``path`` imports (absolute or relative, anywhere in the file)."""
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, me: str, is_package: bool = False) -> set[str]:
    package = me if is_package else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "kneecoach")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "kneecoach":
                # ``from kneecoach.x import y`` may import the module kneecoach.x.y
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if _is_module(sub) else target)
    found.discard(me)
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


GRAPH = import_graph()


def test_every_part_has_a_layer() -> None:
    for module in GRAPH:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_nothing_imports_upward(module: str) -> None:
    upward = upward_imports(module, GRAPH[module])
    assert not upward, f"{module} (layer {layer_of(module)}) imports from a layer above it: {upward}"


def test_no_two_modules_import_each_other() -> None:
    pairs = sorted(
        (a, b) for a, targets in GRAPH.items() for b in targets if a < b and a in GRAPH.get(b, set())
    )
    assert not pairs, f"modules that import each other: {pairs}"


def upward_imports(module: str, targets: set[str]) -> list[str]:
    return sorted(t for t in targets if layer_of(t) > layer_of(module))


def test_the_checker_sees_lazy_and_relative_upward_imports() -> None:
    """The checker itself: imports inside a function and relative imports are both found."""
    source = (
        "from .schema import Rules\n"
        "def f():\n"
        "    from kneecoach.plan.models import Plan\n"
        "    from ..tracking import review\n"
        "    return Plan, review\n"
    )
    found = imports_in(source, "kneecoach.knowledge.probe")
    assert "kneecoach.knowledge.schema" in found
    assert upward_imports("kneecoach.knowledge.probe", found) == ["kneecoach.plan.models", "kneecoach.tracking.review"]
