"""Rank a clinician's runners by need, with the reasons in words (issue 17).

The facts about each runner (:class:`CaseFacts`) are gathered from stored data by
:mod:`kneecoach.store.caseload`; which facts make someone need attention, how much, and how to say
so are the caseload rules in the knowledge base (``caseload.yaml``), evaluated with the same
predicate evaluator as findings. Nothing here names a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from kneecoach.knowledge.predicates import evaluate, resolve
from kneecoach.knowledge.caseload_rules import CaseloadRule
from kneecoach.knowledge.schema import Rules


class CaseFacts(BaseModel):
    """What the caseload knows about one runner; the fields caseload rules may name."""

    model_config = ConfigDict(extra="forbid")

    runner_id: int
    name: str
    referral_since_visit: bool = False
    referral: bool = False
    current_pain: int | None = None
    max_run_pain_14d: int | None = None
    pause_running_at: int | None = None
    pain_at_or_over_pause: bool = False
    unsettled_mornings: int = 0
    mornings_pause: bool = False
    pain_rise: float | None = None
    kujala: int | None = None
    kujala_change: int | None = None
    kujala_fall: int | None = None
    #: Weeks from the first Kujala score to the latest when the gain is under the noticeable change
    #: and the first score left room for one (None otherwise): the "no gain" referral of the review.
    kujala_no_gain_weeks: int | None = None
    adherence_pct: int | None = None
    days_since_measure: int | None = None
    days_inactive: int | None = None
    unread_notes: int = 0
    km_this_week: float = 0.0
    planned_km_this_week: float | None = None
    running_held: bool = False
    clinician_changes: int = 0
    has_plan: bool = False


@dataclass
class CaseRow:
    facts: CaseFacts
    score: int
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (rule id, words)


SORTS = ("need", "name", "pain", "kujala", "adherence", "distance")


def assess_case(facts: CaseFacts, rules: Sequence[CaseloadRule], kb_rules: Rules) -> CaseRow:
    """The rules that hold for this runner, their weights summed, each reason in words."""
    reasons: list[tuple[str, str]] = []
    score = 0
    for rule in rules:
        if evaluate(rule.when, facts, kb_rules).ok:  # type: ignore[arg-type]  # resolve() reads any model
            value = resolve(facts, rule.show) if rule.show else None
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            reasons.append((rule.id, rule.label.replace("{value}", shown)))
            score += rule.weight
    return CaseRow(facts, score, reasons)


def rank(facts: Iterable[CaseFacts], rules: Sequence[CaseloadRule], kb_rules: Rules, *, sort: str = "need",
         only: str | None = None) -> list[CaseRow]:
    """Rows sorted by ``sort`` (need first by default); ``only``: "attention" or a rule id filters."""
    rows = [assess_case(f, rules, kb_rules) for f in facts]
    if only == "attention":
        rows = [r for r in rows if r.reasons]
    elif only:
        rows = [r for r in rows if any(rid == only for rid, _ in r.reasons)]
    low = float("-inf")
    keys = {
        "need": lambda r: (-r.score, r.facts.name.lower()),
        "name": lambda r: (r.facts.name.lower(), r.facts.runner_id),
        "pain": lambda r: (-(r.facts.current_pain if r.facts.current_pain is not None else low), r.facts.name.lower()),
        "kujala": lambda r: (r.facts.kujala if r.facts.kujala is not None else 101, r.facts.name.lower()),
        "adherence": lambda r: (r.facts.adherence_pct if r.facts.adherence_pct is not None else 101,
                                r.facts.name.lower()),
        "distance": lambda r: (-r.facts.km_this_week, r.facts.name.lower()),
    }
    return sorted(rows, key=keys.get(sort, keys["need"]))
