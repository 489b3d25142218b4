"""Schema of the knowledge files in ``knowledge/data/``.

The knowledge base is the single place a clinician edits. These models make
each file's shape explicit, and :func:`KnowledgeBase.check_references` makes
the files agree with each other: a claim must name a known source, an exercise
must target known muscles, a finding must point at known claims, and so on. A
broken file fails loudly at load time, never silently at assessment time.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kneecoach.knowledge.load_rules import PainRule, RampRule
from kneecoach.knowledge.figure_spec import Figure

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", min_length=2, max_length=60)]
SourceId = Annotated[str, Field(min_length=3)]


class _KB(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


#: How much weight a claim carries, strongest first. Seeds are ``expert`` (a clinician's or
#: coach's experience) or ``anecdote`` (one person's story); published work is graded by its
#: design, and a clinical guideline by the strength of its recommendation.
EvidenceLevel = Literal[
    "guideline_strong",
    "guideline_weak",
    "systematic_review",
    "trial",
    "cohort",
    "case_series",
    "expert",
    "anecdote",
    "editorial",
]

EVIDENCE_LEVEL_LABELS: dict[str, str] = {
    "guideline_strong": "guideline, strong recommendation",
    "guideline_weak": "guideline, moderate or weak recommendation",
    "systematic_review": "systematic review",
    "trial": "randomised trial",
    "cohort": "cohort or cross-sectional study",
    "case_series": "case series (no control group)",
    "expert": "expert opinion or experience",
    "anecdote": "one person's experience",
    "editorial": "kneecoach editorial decision (for clinician review)",
}


class Source(_KB):
    id: SourceId
    kind: Literal["seed", "published", "editorial"]
    title: str
    citation: str = Field(min_length=5, description="Full citation or file name with provenance.")
    summary: str
    evidence_level: EvidenceLevel = Field(
        description="Default level of the source's claims; a claim may state its own (e.g. a guideline's weak item)."
    )


class Muscle(_KB):
    id: Id
    name: str
    group: str
    role: str


class Claim(_KB):
    """One statement a source makes, paraphrased, with its stance on a topic."""

    id: Id
    source: SourceId = Field(description="A source id from sources.yaml. Required: no claim without a source.")
    topic: Id
    stance: Literal["for", "against", "qualified", "describes"]
    statement: str = Field(min_length=10)
    context: str = Field(default="", description="Where the claim applies, e.g. 'just after surgery'.")
    level: EvidenceLevel | None = Field(
        default=None, description="Evidence level of this claim; defaults to its source's evidence_level."
    )


class Topic(_KB):
    """A question the sources answer; two stances on it make a disagreement."""

    id: Id
    question: str
    kneecoach_approach: str = Field(description="What kneecoach does where sources differ, and why.")
    relevant_when: list[Id] = Field(
        default_factory=list, description="Hypothesis or exercise ids that make the topic relevant to a runner."
    )
    evidence_summary: str = Field(
        default="", description="What the published evidence says on the question, paraphrased with source ids."
    )
    show_as_disagreement: bool = Field(
        default=True, description="False for a topic whose claims are shown elsewhere (e.g. the adjuncts section)."
    )


class Imbalance(_KB):
    """A hypothesis kneecoach can rank: a muscle imbalance along the kinetic chain."""

    id: Id
    name: str
    muscles: list[Id]
    mechanism: str
    claims: list[Id] = Field(min_length=1)


class Condition(_KB):
    id: Id
    name: str
    description: str
    suggested_by: list[Id] = Field(default_factory=list, description="Finding ids whose presence suggests it.")
    claims: list[Id] = Field(min_length=1)


Op = Literal[
    "eq", "ne", "lt", "le", "gt", "ge", "contains", "contains_any", "present", "absent",
    "lsi_below", "lsi_at_least", "sides_differ",
]


class Predicate(_KB):
    """A test on one field of the profile.

    ``field`` is a dotted path into :class:`kneecoach.intake.Profile`; ``{side}``
    in it is replaced by ``left``/``right`` for per-side findings. ``value`` may be
    a literal or ``"$rules.<path>"`` to reuse a number from rules.yaml.
    ``lsi_below`` compares the limb symmetry index of a per-side number with
    ``value`` (percent); ``sides_differ`` is true when the two recorded sides differ.
    ``says`` puts the test in a runner's words for "because of your answers" lines, with
    ``{value}`` for the answer given; without it the field's path and the answer are shown.
    """

    field: str
    op: Op
    value: Any = None
    says: str = Field(default="", description="The test in plain words, e.g. 'an injury to the leg {value} weeks ago'.")


class When(_KB):
    """All/any tree of predicates."""

    all: list["Predicate | When"] = Field(default_factory=list)
    any: list["Predicate | When"] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> "When":
        if not self.all and not self.any:
            raise ValueError("a condition needs 'all' or 'any'")
        return self


class Support(_KB):
    imbalance: Id
    weight: int = Field(ge=-5, le=5, description="Ordinal strength, see rules.yaml confidence.rationale.")
    claim: Id


class FindingRule(_KB):
    """How a finding is read off a profile, and what it is evidence for."""

    id: Id
    label: str = Field(description="Plain words; '{side}' and '{value}' are filled in.")
    kind: Literal["sign", "symptom", "context", "measure"]
    per_side: bool = False
    value_field: str | None = Field(default=None, description="Profile path whose value fills '{value}'.")
    when: When
    supports: list[Support] = Field(default_factory=list)
    claims: list[Id] = Field(default_factory=list, description="Claims behind the finding itself.")


class RedFlag(_KB):
    """A safety question; a "yes" (or a profile matching ``raised_when``) refers instead of a plan.

    ``refers: false`` marks a triage question (bone stress, acute injury): asked like the flags,
    shown when relevant, but its answer only feeds findings (``red_flags.<id>`` in a rule), and a
    pathway decides what the pattern means; one "yes" alone does not stop the plan.
    """

    id: Id
    question: str = Field(description="What the runner is asked, in plain words.")
    reason: str = Field(description="Why this sends the person to a clinician, in words a runner understands.")
    urgency: Literal["emergency", "urgent", "soon"]
    refers: bool = Field(default=True, description="False for a triage question that only feeds findings.")
    sources: list[SourceId] = Field(min_length=1)
    show_when: "When | None" = Field(
        default=None, description="Ask only when this holds (age, history); absent = always asked."
    )
    raised_when: "When | None" = Field(
        default=None,
        description="Raised from other answers without asking (e.g. Ottawa: age 55+ after a recent injury).",
    )
    ask: bool = Field(default=True, description="False for a flag that is only raised from other answers.")

    @model_validator(mode="after")
    def _raised_or_asked(self) -> "RedFlag":
        if not self.ask and self.raised_when is None:
            raise ValueError("a red flag that is not asked needs 'raised_when'")
        if not self.refers and self.raised_when is not None:
            raise ValueError("a triage question (refers: false) cannot be raised from other answers")
        return self


class KujalaOption(_KB):
    id: Annotated[str, Field(pattern=r"^[a-e]$")]
    text: str
    points: int = Field(ge=0, le=10)


class KujalaItem(_KB):
    id: Id
    question: str
    options: list[KujalaOption] = Field(min_length=2)

    @property
    def max_points(self) -> int:
        return max(o.points for o in self.options)


class KujalaScale(_KB):
    source: SourceId
    items: list[KujalaItem] = Field(min_length=13, max_length=13)
    interpretation: str

    @model_validator(mode="after")
    def _totals_100(self) -> "KujalaScale":
        total = sum(i.max_points for i in self.items)
        if total != 100:
            raise ValueError(f"Kujala items must add up to 100 points at best, got {total}")
        return self


class SelfTest(_KB):
    id: Id
    name: str
    per_side: bool
    profile_field: str
    instructions: str
    what_it_shows: str
    cutoff: str = ""
    sources: list[SourceId] = Field(min_length=1)
    figure: Figure | None = Field(default=None, description="How it is drawn; kb check requires one.")


class Dose(_KB):
    sets: int | None = Field(default=None, ge=1, le=10)
    reps: int | None = Field(default=None, ge=1, le=100)
    reps_max: int | None = Field(
        default=None, ge=1, le=100, description="Top of a rep range (e.g. 8-15): strength doses are ranges."
    )
    near_fatigue: bool = Field(default=False, description="The last repetitions of each set should be hard.")
    hold_s: int | None = Field(default=None, ge=1, le=600)
    per_side: bool = False
    days_per_week: int = Field(ge=1, le=7)

    @model_validator(mode="after")
    def _has_amount(self) -> "Dose":
        if self.reps is None and self.hold_s is None:
            raise ValueError("a dose needs reps or hold_s")
        if self.reps_max is not None and (self.reps is None or self.reps_max <= self.reps):
            raise ValueError("reps_max needs reps and must be above it")
        return self


class Gate(_KB):
    """A finding that limits an exercise, with the reason and the claim behind it."""

    finding: Id
    reason: str
    claim: Id


class Exercise(_KB):
    id: Id
    name: str
    phase: Id
    targets: list[Id] = Field(min_length=1)
    addresses: list[Id] = Field(default_factory=list, description="Imbalance ids it is chosen for.")
    always: bool = Field(default=False, description="In every plan (unless excluded).")
    how: str
    dose: Dose
    progression: str
    claims: list[Id] = Field(min_length=1)
    only_when: list[Gate] = Field(default_factory=list, description="Excluded unless one of these findings holds.")
    exclude_when: list[Gate] = Field(default_factory=list)
    caution_when: list[Gate] = Field(default_factory=list)
    license: str = "CC-BY-4.0 (kneecoach authors)"
    figure: Figure | None = Field(default=None, description="How it is drawn; kb check requires one.")


class PhaseCriterion(_KB):
    """A checkable exit criterion of a phase, over the progress context (profile, diary, re-tests)."""

    id: Id
    label: str
    when: "When"
    how: str = Field(description="How the runner produces the evidence (a re-test, a diary entry).")


class Phase(_KB):
    id: Id
    order: int = Field(ge=1)
    name: str
    goal: str
    entry: str
    exit: str
    weeks: str
    advice: list[str] = Field(default_factory=list)
    claims: list[Id] = Field(default_factory=list)
    exit_criteria: list[PhaseCriterion] = Field(
        default_factory=list, description="Checkable exit criteria; none = an ongoing phase (release, stretch)."
    )
    loading: bool = Field(
        default=False,
        description="Its exercises load muscles or tendons (strength work the weekly review counts); "
        "stretching, release and technique drills do not.",
    )


class AdviceItem(_KB):
    id: Id
    text: str
    claims: list[Id] = Field(min_length=1)
    when: list[Id] = Field(default_factory=list, description="Finding ids; empty = always shown.")


class Confidence(_KB):
    low: int = Field(ge=1)
    moderate: int
    high: int
    min_to_report: int = Field(ge=1)
    rationale: str

    @model_validator(mode="after")
    def _ordered(self) -> "Confidence":
        if not (self.low <= self.moderate <= self.high):
            raise ValueError("confidence thresholds must be low <= moderate <= high")
        return self


class RetestRule(_KB):
    every_days: int = Field(ge=7, le=120)
    kujala_mcid: int = Field(ge=1, le=30, description="Smallest Kujala change a person notices.")
    refer_without_gain_weeks: int = Field(
        6, ge=2, le=26,
        description="Weeks after the first Kujala score after which a gain smaller than kujala_mcid refers.")
    rationale: str
    sources: list[SourceId] = Field(min_length=1)


class LadderRule(_KB):
    window_days: int = Field(ge=7, le=60)
    sessions_to_move_up: int = Field(ge=1, le=10)
    rationale: str
    sources: list[SourceId] = Field(min_length=1)


class CadenceRule(_KB):
    increase_pct: float = Field(gt=0, le=15)
    window_days: int = Field(ge=7, le=60)
    min_runs: int = Field(ge=1, le=20)
    tolerance_spm: float = Field(ge=0, le=10)
    rationale: str
    sources: list[SourceId] = Field(min_length=1)


class Rung(_KB):
    name: str
    how: str = ""


class Ladder(_KB):
    """Ordered variants of one strength exercise, easiest first (rung 0 = the exercise as written)."""

    exercise: Id
    rungs: list[Rung] = Field(min_length=2)

    @property
    def id(self) -> str:
        return self.exercise


class Rules(_KB):
    pain: PainRule
    ramp: RampRule
    confidence: Confidence
    asymmetry_lsi_pct: float = Field(gt=0, le=100)
    asymmetry_rationale: str
    valgus_angle_deg: float = Field(gt=0)
    plank_target_s: float = Field(gt=0)
    hamstring_curl_low_kg: float = Field(gt=0)
    terrain: list[AdviceItem]
    disclaimer: str = Field(min_length=20)
    referral_message: str
    urgency_action: dict[Literal["emergency", "urgent", "soon"], str] = Field(
        description="What to do, in plain words, for each urgency of referral."
    )
    retest: RetestRule
    ladder: LadderRule
    cadence: CadenceRule


class EducationItem(_KB):
    """Something every runner on a pathway should understand (what it is, load and pain, time course)."""

    id: Id
    title: str
    text: str
    claims: list[Id] = Field(min_length=1)
    pathways: list[Id] = Field(default_factory=list, description="Pathway ids it belongs to; empty = every plan.")


class Adjunct(_KB):
    """A short-term helper beside exercise (taping, insoles), named with its honest evidence level."""

    id: Id
    name: str
    advice: str = Field(description="What to do with it, and for how long.")
    recommendation: Literal["may_help_short_term", "optional", "not_recommended"]
    claims: list[Id] = Field(min_length=1)
    pathways: list[Id] = Field(default_factory=list, description="Pathway ids it applies to; empty = every plan.")


class Criterion(_KB):
    """A checkable criterion (e.g. for return to running), read off the profile, with how to re-test it."""

    id: Id
    label: str = Field(description="The criterion in plain words, e.g. 'At least 12 weeks since surgery'.")
    when: When = Field(description="Predicates over profile fields; a re-test (new profile version) re-evaluates them.")
    retest: str = Field(description="How the runner or clinician measures it again.")
    claims: list[Id] = Field(min_length=1)


class PathwayExclusion(_KB):
    exercise: Id
    reason: str
    claim: Id


class RampPolicy(_KB):
    """How running is loaded on a pathway."""

    mode: Literal["standard", "hold_until_criteria"] = Field(
        description="standard: the weekly ramp; hold_until_criteria: 0 km until every criterion is met."
    )
    restart_walk_run: bool = Field(
        default=False,
        description="Once the criteria are met, restart from a short walk-run (rules.ramp.restart_km) even if the "
        "runner was running more before (bone stress, an acute injury).",
    )
    note: str = Field(description="What the runner is told about running on this pathway.")
    claims: list[Id] = Field(min_length=1)


class PathwayReferral(_KB):
    """A pathway that sends the runner to a clinician while its plan (without running) goes on."""

    urgency: Literal["emergency", "urgent", "soon"]
    reason: str = Field(description="Why, in words a runner understands: what the clinician needs to rule out.")
    claims: list[Id] = Field(min_length=1)


class Pathway(_KB):
    """A condition-specific route through the plan, chosen by findings and profile rules (not code).

    Pathways are tried from the highest ``priority`` down; the first whose ``when`` holds and whose
    findings are present is chosen. A pathway with neither is the default.
    """

    id: Id
    name: str
    condition: Id | None = Field(default=None, description="The conditions.yaml entry it treats, if any.")
    priority: int = Field(ge=0, le=1000)
    when: When | None = Field(default=None, description="Profile predicates that must hold.")
    findings_all: list[Id] = Field(default_factory=list, description="Finding ids that must all be present.")
    findings_any: list[Id] = Field(default_factory=list, description="At least one of these finding ids.")
    summary: str = Field(description="What this pathway is and why it differs, in plain words.")
    phases: list[Id] = Field(min_length=1, description="Phase ids in the order this pathway uses them.")
    include: list[Id] = Field(default_factory=list, description="Exercises always in this pathway's plan.")
    exclude: list[PathwayExclusion] = Field(default_factory=list)
    ramp: RampPolicy
    criteria: list[Criterion] = Field(default_factory=list, description="E.g. return-to-run criteria.")
    advice: list[AdviceItem] = Field(default_factory=list, description="Condition-specific education.")
    referral: PathwayReferral | None = Field(
        default=None, description="See a clinician (with the urgency and reason) while this pathway holds."
    )
    claims: list[Id] = Field(min_length=1)

    @model_validator(mode="after")
    def _criteria_for_hold(self) -> "Pathway":
        if self.ramp.mode == "hold_until_criteria" and not self.criteria:
            raise ValueError("a pathway that holds running until criteria are met needs 'criteria'")
        return self


class Meta(_KB):
    version: str
    updated: str
    editors: list[str]
    license: str


