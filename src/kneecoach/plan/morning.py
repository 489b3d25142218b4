"""The morning check: next-morning knee pain decides today's run, by the plan's own pain rule.

The pain-monitoring model (Thomeé 1997; Silbernagel 2007; shared/reference/clinical.md section 3)
asks for pain after activity to have settled by the next morning. kneecoach's pain rule, copied
into every plan (:class:`~kneecoach.plan.models.PainRule`), gives the numbers; this module only
reads them, so a clinician who edits ``rules.yaml`` changes the morning check too, and the same
rule is applied at intake, here and in the weekly review.

Decisions, from the most cautious down:

* **rest** - morning pain at or above ``pause_running_at`` (severe pain at rest);
* **cross_train** - morning pain at or above ``step_back_at``, pain during yesterday's run at or above
  ``pause_running_at``, or mornings above ``max_next_morning`` for ``pause_after_unsettled_mornings``
  days in a row (the rule's pause);
* **shorter** - morning pain above ``max_next_morning``, or the knee feels worse than before
  yesterday's run: the run is cut by the ramp rule's ``calm_load_factor``;
* **as_planned** - pain within the rule and settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kneecoach.knowledge.load_rules import PainRule, RampRule

RunAction = Literal["as_planned", "shorter", "cross_train", "rest", "no_run", "unchecked"]

#: Plain words for each decision, shown on every face.
ACTION_LABELS: dict[str, str] = {
    "as_planned": "Run as planned",
    "shorter": "Run shorter",
    "cross_train": "Cross-train instead of running",
    "rest": "Rest from running today",
    "no_run": "No run today",
    "unchecked": "Answer the morning check first",
}


@dataclass(frozen=True)
class MorningAnswer:
    """What the runner said this morning: knee pain 0-10 and, when asked, whether it is worse than
    before yesterday's run."""

    score: int
    worse_than_before: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int) or not 0 <= self.score <= 10:
            raise ValueError(f"morning pain must be a whole number from 0 (none) to 10 (worst), got {self.score!r}")


@dataclass(frozen=True)
class RunDecision:
    action: RunAction
    reason: str
    planned_km: float | None
    km: float | None
    long: bool = False

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]


def needs_second_question(yesterday_run_pain: int | None, rule: PainRule) -> bool:
    """Ask "worse than before the run?" only when yesterday's run hurt above the rule's limit."""
    return yesterday_run_pain is not None and yesterday_run_pain > rule.max_during_run


def _unsettled_streak(earlier_mornings: Sequence[int | None], today_score: int, limit: int) -> int:
    """Days in a row, ending today, whose morning pain was above ``limit`` (``None`` = not logged)."""
    streak = 1 if today_score > limit else 0
    if streak == 0:
        return 0
    for s in reversed(earlier_mornings):
        if s is None or s <= limit:
            break
        streak += 1
    return streak


def decide_run(
    answer: MorningAnswer | None,
    planned_km: float | None,
    rule: PainRule,
    ramp_rule: RampRule,
    *,
    long: bool = False,
    yesterday_run_pain: int | None = None,
    earlier_mornings: Sequence[int | None] = (),
    no_run_reason: str = "no run is scheduled today",
) -> RunDecision:
    """Today's run from the morning answer and the plan's pain rule.

    ``planned_km`` is ``None`` on a day without a run (the decision is then ``no_run`` whatever the
    answer, with the morning pain still named when it matters). ``earlier_mornings`` are the
    previous days' morning scores, oldest first, ending yesterday.
    """
    if planned_km is None or planned_km <= 0:
        reason = no_run_reason[:1].upper() + no_run_reason[1:] + "."
        if answer is not None and answer.score > rule.max_next_morning:
            reason += (f" Your knee is at {answer.score}/10 this morning, above the rule's "
                       f"{rule.max_next_morning}/10: keep today easy.")
        return RunDecision("no_run", reason, None, None)
    if answer is None:
        return RunDecision("unchecked", "How does the knee feel this morning? One tap decides today's run.",
                           planned_km, planned_km, long)
    m = answer.score
    if m >= rule.pause_running_at:
        return RunDecision("rest", f"Morning pain {m}/10 is at or above {rule.pause_running_at}/10, where the pain "
                           "rule pauses running: rest the knee; do only the exercises that stay pain-free.",
                           planned_km, 0.0, long)
    if yesterday_run_pain is not None and yesterday_run_pain >= rule.pause_running_at:
        return RunDecision("cross_train", f"Pain during yesterday's run reached {yesterday_run_pain}/10 (the rule "
                           f"pauses running at {rule.pause_running_at}/10): cycle, swim or walk today instead.",
                           planned_km, 0.0, long)
    if m >= rule.step_back_at:
        return RunDecision("cross_train", f"Morning pain {m}/10 is at or above {rule.step_back_at}/10, where the "
                           "pain rule steps back: cycle, swim or walk pain-free instead of running today.",
                           planned_km, 0.0, long)
    streak = _unsettled_streak(earlier_mornings, m, rule.max_next_morning)
    if streak >= rule.pause_after_unsettled_mornings:
        return RunDecision("cross_train", f"Morning pain has been above {rule.max_next_morning}/10 for {streak} days "
                           "in a row, which pauses running under the pain rule: cross-train until it settles.",
                           planned_km, 0.0, long)
    shorter_km = round(planned_km * ramp_rule.calm_load_factor, 1)
    pct = round(ramp_rule.calm_load_factor * 100)  # reasons name no distance: every face shows it in its unit
    if m > rule.max_next_morning:
        return RunDecision("shorter", f"Morning pain {m}/10 is above the rule's {rule.max_next_morning}/10, so it "
                           f"has not fully settled: run {pct}% of the planned distance, easy and flat.",
                           planned_km, shorter_km, long)
    if answer.worse_than_before:
        return RunDecision("shorter", "The knee feels worse than before yesterday's run; pain should settle by the "
                           f"next morning: run {pct}% of the planned distance, easy and flat.",
                           planned_km, shorter_km, long)
    return RunDecision("as_planned", f"Morning pain {m}/10 is within the rule's {rule.max_next_morning}/10 and "
                       "settled: run as planned, stopping if pain during the run goes above "
                       f"{rule.max_during_run}/10.", planned_km, planned_km, long)
