"""What the assessment concludes, in the shapes a plan carries: evidence notes and the pathway chosen.

The assessment produces these and the plan embeds them (:mod:`kneecoach.plan.models`), so they
are defined here, at the assessment layer, and the plan imports them rather than the other way
round.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class EvidenceNote(_Out):
    """One claim about an exercise or topic, with its level: shown so the runner sees how strong it is."""

    claim_id: str
    source: str
    level: str
    level_label: str
    stance: str
    statement: str


CriterionStatus = Literal["met", "not_met", "not_recorded"]


class CriterionResult(_Out):
    id: str
    label: str
    status: CriterionStatus
    retest: str = Field(description="How to measure it again.")
    sources: list[str]


class PathwayChoice(_Out):
    """The condition pathway chosen (pathways.yaml), why, and which others also resembled the answers."""

    id: str
    name: str
    condition: str | None
    summary: str
    because: list[str]
    also_matched: list[str]
    ramp_mode: Literal["standard", "hold_until_criteria"]
    ramp_note: str
    criteria: list[CriterionResult]
    sources: list[str]

    @property
    def running_on_hold(self) -> bool:
        """True while a criteria-gated pathway still has an unmet (or unrecorded) criterion."""
        return self.ramp_mode == "hold_until_criteria" and any(c.status != "met" for c in self.criteria)
