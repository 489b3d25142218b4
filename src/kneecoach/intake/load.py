"""Read a profile file (YAML or JSON) with error messages a person can act on."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError

    from kneecoach.intake.profile import Profile

# yaml, pydantic and the profile model are imported where a profile is parsed: `kneecoach example`
# and the error type are used by commands that must start quickly and never parse a profile.


class ProfileError(ValueError):
    """A profile could not be read. ``problems`` names each bad field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def validation_problems(exc: ValidationError) -> list[str]:
    """One line per error, naming the field by its dotted path, e.g. 'running.current_weekly_km: ...'."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        out.append(f"{loc or '(top level)'}: {msg}")
    return out


def parse_profile(data: Any, source: str = "profile") -> Profile:
    from pydantic import ValidationError

    from kneecoach.intake.profile import Profile

    if not isinstance(data, dict):
        raise ProfileError(source, ["expected a mapping of fields (name, symptoms, running, ...)"])
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(source, validation_problems(exc)) from exc


def load_profile(path: Path) -> Profile:
    """Load a YAML (or JSON) profile file."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ProfileError(str(path), ["file not found"]) from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(str(path), ["not a text file (expected YAML or JSON)"]) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ProfileError(str(path), [f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}"]) from exc
    return parse_profile(data, str(path))


def example_names() -> list[str]:
    """Names of the example profiles shipped with kneecoach."""
    folder = resources.files("kneecoach.examples")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_text(name: str) -> str:
    if name not in example_names():
        raise ProfileError(name, [f"no such example; choose one of {', '.join(example_names())}"])
    return (resources.files("kneecoach.examples") / f"{name}.yaml").read_text(encoding="utf-8")


def retest_example_names() -> list[str]:
    """Example profiles that also ship a re-test three weeks on (``examples/retests/NAME.yaml``)."""
    folder = resources.files("kneecoach.examples") / "retests"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def retest_example_text(name: str) -> str:
    """The re-test file for example ``name`` (for ``kneecoach recheck --from``)."""
    if name not in retest_example_names():
        raise ProfileError(name, [f"no re-test example for {name!r}; there is one for {', '.join(retest_example_names())}"])
    return (resources.files("kneecoach.examples") / "retests" / f"{name}.yaml").read_text(encoding="utf-8")


def load_example(name: str) -> Profile:
    import yaml

    return parse_profile(yaml.safe_load(example_text(name)), f"example {name}")
