"""HTML forms <-> typed models.

Form fields are named by their dotted path in :class:`~kneecoach.intake.Profile`
(``symptoms.pain_at_rest``, ``self_tests.single_leg_squat.left.painful``), so
one generic function turns a posted form into the nested dict pydantic
validates, and pydantic's error locations map straight back to the field that
needs a message. Nothing here knows the clinical meaning of a field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from kneecoach.intake.profile import Profile

#: Paths whose form values are lists (checkbox groups).
LIST_FIELDS = frozenset({"symptoms.sides", "symptoms.locations", "symptoms.aggravators"})

#: Intake keys (top level of the profile) kept when the self-test form is saved, and vice versa.
INTAKE_KEYS = ("name", "age", "symptoms", "red_flags", "history", "running", "kujala")
SELF_TEST_KEYS = ("self_tests",)

FormValues = dict[str, Any]


def flatten_form(items: Iterable[tuple[str, Any]]) -> FormValues:
    """Posted ``(name, value)`` pairs -> ``{path: value | [values]}``; files and the CSRF field dropped."""
    values: FormValues = {}
    for key, value in items:
        if not isinstance(value, str) or key == "csrf_token" or len(key) > 120:
            continue
        value = value.strip()
        if key in LIST_FIELDS:
            values.setdefault(key, [])
            if value:
                values[key].append(value)
        else:
            values[key] = value
    return values


def nest(values: Mapping[str, Any], keep: Iterable[str] | None = None) -> dict[str, Any]:
    """Dotted paths -> a nested dict; empty answers are left out so model defaults apply."""
    keep_set = set(keep) if keep is not None else None
    out: dict[str, Any] = {}
    for path, value in values.items():
        if value == "" or value is None:
            continue
        parts = path.split(".")
        if keep_set is not None and parts[0] not in keep_set:
            continue
        node = out
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[parts[-1]] = value
    return out


def flatten_model(data: Mapping[str, Any], prefix: str = "") -> FormValues:
    """A stored profile dict -> form values, so a saved profile pre-fills its form."""
    out: FormValues = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_model(value, path + "."))
        elif isinstance(value, bool):
            out[path] = "true" if value else "false"
        elif isinstance(value, list):
            out[path] = [str(v) for v in value]
        elif value is not None:
            out[path] = str(value)
    return out


def _bounds(model: type[BaseModel], loc: list[str]) -> tuple[float | None, float | None]:
    """The (lowest, highest) value the model allows at ``loc``, read from its field constraints.

    Walks nested models (``self_tests.single_leg_sit_to_stand_reps.left``) so that a message can
    name the whole allowed range, not only the bound that was crossed.
    """
    current: Any = model
    info = None
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None, None
        info = fields[part]
        current = _model_in(info.annotation)
    low = high = None
    for m in getattr(info, "metadata", []):  # annotated_types Ge/Gt/Le/Lt, as pydantic stores them
        low = next((getattr(m, a) for a in ("ge", "gt") if getattr(m, a, None) is not None), low)
        high = next((getattr(m, a) for a in ("le", "lt") if getattr(m, a, None) is not None), high)
    return low, high


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``X``, ``X | None`` or ``Optional[X]`` (else the annotation itself)."""
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return annotation


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def _range_message(model: type[BaseModel], loc: list[str], kind: str, ctx: Mapping[str, Any]) -> str:
    """"Enter a number from 0 to 3600." naming the range the field allows (both ends where known)."""
    low, high = _bounds(model, loc)
    low = ctx.get("ge", ctx.get("gt", low)) if low is None else low
    high = ctx.get("le", ctx.get("lt", high)) if high is None else high
    if low is not None and high is not None:
        return f"Enter a number from {_num(low)} to {_num(high)}."
    if low is not None:
        return f"Enter a number of {_num(low)} or more." if kind != "greater_than" else \
            f"Enter a number above {_num(low)}."
    if high is not None:
        return f"Enter a number of {_num(high)} or less."
    return "Enter a number in the allowed range."


#: pydantic error types -> plain words (issue 23: "Input should be greater than or equal to 0" is not
#: how a runner talks). Range errors are handled by :func:`_range_message`.
_PLAIN: dict[str, str] = {
    "missing": "This answer is needed.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "bool_parsing": "Choose yes or no.",
    "enum": "Choose one of the options.",
    "literal_error": "Choose one of the options.",
    "extra_forbidden": "This field is not part of the form.",
    "date_from_datetime_parsing": "Enter a date like 2026-11-02.",
    "date_parsing": "Enter a date like 2026-11-02.",
}
_RANGE_KINDS = frozenset({"greater_than_equal", "greater_than", "less_than_equal", "less_than"})


def error_messages(exc: ValidationError, model: type[BaseModel] = Profile) -> dict[str, str]:
    """pydantic errors -> ``{form path: message in plain words}`` (first message per field).

    A number out of range names the whole range the field allows ("Enter a number from 8 to 100.");
    a model's own check keeps its message without pydantic's "Value error, " prefix.
    """
    messages: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
        path = ".".join(loc) or "form"
        kind = err.get("type", "")
        msg = err["msg"]
        if kind in {"missing", "too_short"} and path in LIST_FIELDS:
            msg = "Tick at least one."
        elif kind in _RANGE_KINDS:
            msg = _range_message(model, loc, kind, err.get("ctx") or {})
        elif kind == "string_too_long":
            msg = f"Use at most {(err.get('ctx') or {}).get('max_length', 'the allowed number of')} characters."
        elif kind in _PLAIN:
            msg = _PLAIN[kind]
        elif kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            msg = msg[:1].upper() + msg[1:]
        messages.setdefault(path, msg)
    return messages


def drop_unanswered_section(values: FormValues, section: str, required: Iterable[str]) -> FormValues:
    """Leave out a whole optional section when none of its ``required`` lists was ticked.

    The intake's symptoms section is optional (a pain-free runner gets a prevention check), but
    its radios and scores always post a default; without this, an untouched section would be a
    half-filled one and fail validation.
    """
    if any(values.get(path) for path in required):
        return values
    return {k: v for k, v in values.items() if not k.startswith(section + ".")}


def build_profile(values: Mapping[str, Any], base: Mapping[str, Any] | None = None,
                  replace: Iterable[str] = INTAKE_KEYS) -> Profile:
    """Validate a form into a :class:`Profile`.

    ``base`` is the previously stored profile; the top-level keys in
    ``replace`` come from the form, the rest from ``base``. This is how the
    self-test page updates only self-tests and the intake keeps them.
    Raises :class:`pydantic.ValidationError`.
    """
    replace = tuple(replace)
    merged: dict[str, Any] = {k: v for k, v in (base or {}).items() if k not in replace}
    merged.update(nest(values, keep=replace))
    for key in ("red_flags",):
        if key in merged:
            merged[key] = {k: v == "true" if isinstance(v, str) else v for k, v in merged[key].items()}
    return Profile.model_validate(merged)


def parse_day(value: str | None, field: str = "day") -> date:
    """An ISO date from a form; ValueError with a readable message otherwise."""
    if not value:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Enter the {field} as YYYY-MM-DD.") from None
    if day.year < 2000 or day > date.today().replace(year=date.today().year + 1):
        raise ValueError(f"That {field} is out of range.")
    return day
