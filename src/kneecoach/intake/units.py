"""Kilometres or miles: how a runner sees and types distances. Stored values are always metric.

Most runners in the US and UK think in miles. kneecoach keeps every stored distance in kilometres
(or metres for runs) and converts only at the faces: what is typed in miles is converted once,
unrounded, and shown again rounded to a tenth, so a value round-trips without drift. One mile is
exactly 1.609344 km (international yard and pound agreement, 1959).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

DistanceUnit = Literal["km", "mi"]
UNITS: tuple[str, ...] = get_args(DistanceUnit)
KM_PER_MILE = 1.609344
UNIT_WORDS = {"km": "kilometres", "mi": "miles"}


def check_unit(unit: str) -> DistanceUnit:
    """``unit`` if it is "km" or "mi" (case and a trailing "s" forgiven); a readable error otherwise."""
    u = unit.strip().lower().rstrip("s")
    u = {"kilometre": "km", "kilometer": "km", "mile": "mi", "k": "km"}.get(u, u)
    if u not in UNITS:
        raise ValueError(f"distance unit must be km or mi, got {unit!r}")
    return u  # type: ignore[return-value]


def km_to(km: float, unit: str) -> float:
    """A stored distance (km) in ``unit``, unrounded."""
    return km if check_unit(unit) == "km" else km / KM_PER_MILE


def to_km(value: float, unit: str) -> float:
    """A distance typed in ``unit`` as kilometres to store, unrounded (round only for display)."""
    return value if check_unit(unit) == "km" else value * KM_PER_MILE


def show_distance(km: float, unit: str, digits: int = 1) -> str:
    """``"12.4 mi"``: the distance in ``unit`` with its unit, always named."""
    return f"{km_to(km, unit):.{digits}f} {check_unit(unit)}"


def pace_per_unit(seconds_per_km: float, unit: str) -> str:
    """``"5:30 /km"`` or ``"8:51 /mi"`` from a pace stored in seconds per km."""
    per = seconds_per_km if check_unit(unit) == "km" else seconds_per_km * KM_PER_MILE
    total = round(per)
    return f"{total // 60}:{total % 60:02d} /{unit}"


#: Intake answers that hold a distance (km in the stored profile).
DISTANCE_FIELDS = ("symptoms.pain_starts_after_km", "running.current_weekly_km", "running.target_weekly_km",
                   "running.longest_recent_run_km")


def _number(text: object) -> float | None:
    try:
        return float(str(text))
    except ValueError:
        return None


def form_from_km(values: dict[str, object], unit: str) -> dict[str, object]:
    """Flat form values with the distance fields shown in ``unit`` (to 0.1); others untouched."""
    if check_unit(unit) == "km":
        return values
    out = dict(values)
    for key in DISTANCE_FIELDS:
        n = _number(out.get(key, ""))
        if n is not None:
            out[key] = f"{km_to(n, unit):.1f}".rstrip("0").rstrip(".")
    return out


def form_to_km(values: dict[str, object], unit: str) -> dict[str, object]:
    """Flat form values as typed in ``unit`` with the distance fields converted to km (unrounded);
    a value that is not a number is left for the form's own validation to report."""
    if check_unit(unit) == "km":
        return values
    out = dict(values)
    for key in DISTANCE_FIELDS:
        n = _number(out.get(key, ""))
        if n is not None:
            out[key] = str(to_km(n, unit))
    return out


@dataclass(frozen=True)
class DistanceFormat:
    """How the engine's sentences name a distance, so a reason reads "7.8 mi" for a runner in miles.

    The engine decides in kilometres; only what it *says* changes. The default (km) writes exactly what
    the engine always wrote (``12.5 km``, the shortest form of a value already rounded to a tenth), so
    callers that pass no format keep their sentences. Miles are rounded to a tenth for display only.
    """

    unit: DistanceUnit = "km"

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", check_unit(self.unit))

    def value(self, km: float, digits: int | None = 1) -> float:
        """``km`` in this unit, rounded to ``digits`` (None: unrounded)."""
        v = km_to(km, self.unit)
        return v if digits is None else round(v, digits)

    def num(self, km: float, digits: int | None = None) -> str:
        """The number alone: shortest form to a tenth when ``digits`` is None, else fixed ``digits``."""
        if digits is not None:
            return f"{km_to(km, self.unit):.{digits}f}"
        if self.unit == "km":
            return f"{km:g}"
        return f"{round(km_to(km, self.unit), 1):g}"

    def km(self, km: float, digits: int | None = None) -> str:
        """``"12.5 km"`` or ``"7.8 mi"``: a stored distance (km) said in this unit, unit named."""
        return f"{self.num(km, digits)} {self.unit}"

    @property
    def per_week(self) -> str:
        """``"km/week"`` or ``"mi/week"``."""
        return f"{self.unit}/week"

    @property
    def word(self) -> str:
        """``"kilometres"`` or ``"miles"``."""
        return UNIT_WORDS[self.unit]

    @property
    def factor(self) -> float:
        """Kilometres in one of this unit (1 or 1.609344): divide km by it to show, multiply to store."""
        return 1.0 if self.unit == "km" else KM_PER_MILE


#: The engine's default: kilometres, worded as before.
KM = DistanceFormat("km")


def distance_format(unit: str | DistanceFormat | None) -> DistanceFormat:
    """A format from a unit name (None: km), or the format itself."""
    if isinstance(unit, DistanceFormat):
        return unit
    return DistanceFormat(check_unit(unit)) if unit else KM
