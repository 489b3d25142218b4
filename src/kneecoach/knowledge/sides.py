"""Left and right: the vocabulary the rule language compares sides in.

The rule language (:mod:`kneecoach.knowledge.predicates`) computes limb symmetry and tells which
side is weaker or tighter, so the two words it answers in, and the per-side pair it reads, live
here at the bottom of the layers; :mod:`kneecoach.intake.profile` records its answers in them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Side(StrEnum):
    left = "left"
    right = "right"


class PerSide(BaseModel, Generic[T]):
    """A value recorded for each leg; either side may be missing (not tested)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=False, use_enum_values=False)

    left: T | None = None
    right: T | None = None

    def get(self, side: Side) -> T | None:
        return self.left if side is Side.left else self.right

    def items(self) -> list[tuple[Side, T]]:
        return [(s, v) for s, v in ((Side.left, self.left), (Side.right, self.right)) if v is not None]
