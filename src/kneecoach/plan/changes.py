"""A clinician's changes to a plan: made, checked against the gates, applied to kneecoach's plan.

The clinician is responsible for the runner and may overrule kneecoach, but every change states a
reason and becomes a new plan version with its author (see :mod:`kneecoach.store.plan_versions`).
Changes are applied to *kneecoach's* plan (the "base"), in the order they were made, so

* an automatic review that rebuilds the plan keeps them (they are applied again to the new base);
* releasing one re-applies the others to the base, restoring exactly what kneecoach had decided.

Nothing here knows a particular exercise: which exercises exist, and which findings or pathways
rule one out (its contraindication gates), comes from the knowledge base.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from kneecoach.intake.units import distance_format
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.plan.models import ChangeKind, Dose, Plan, PlanChange, PlannedExercise

KINDS: tuple[ChangeKind, ...] = (
    "add_exercise", "remove_exercise", "set_dose", "hold_running", "cap_weekly_km", "set_phase", "add_instruction",
)
MAX_TEXT = 1000
#: The highest weekly cap a clinician can set, in km (about 186 mi).
MAX_CAP_KM = 300.0


class ChangeError(ValueError):
    """A change that cannot be made, with a message fit to show the clinician."""


class GateBlocked(ChangeError):
    """The exercise is ruled out for this runner; it can be added only with an override reason."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("This exercise is ruled out for this runner: " + " ".join(reasons)
                         + " To add it anyway, give your reason for overriding this.")


@dataclass(frozen=True)
class ChangeRequest:
    """What a clinician asked for (a form or the API), before it is checked."""

    kind: str
    reason: str
    exercise_id: str | None = None
    phase_id: str | None = None
    sets: int | None = None
    reps: int | None = None
    hold_s: int | None = None
    days_per_week: int | None = None
    km: float | None = None
    text: str | None = None
    override_reason: str | None = None
    #: The unit the clinician reads and typed in; ``km`` is already converted to kilometres (unrounded).
    unit: str = "km"


def gate_reasons(kb: KnowledgeBase, plan: Plan, finding_ids: set[str], exercise_id: str) -> list[str]:
    """Why the knowledge base rules this exercise out for this runner (empty: it is not ruled out).

    The plan's own exclusions (pathway exclusions, ``only_when`` and ``exclude_when`` gates decided
    when the plan was built) first, then any ``exclude_when`` gate that holds for the runner's
    current findings, then the pathway's exclusions.
    """
    reasons = [x.reason for x in plan.excluded if x.id == exercise_id]
    ex = kb.exercises.get(exercise_id)
    if ex is not None:
        reasons += [g.reason for g in ex.exclude_when if g.finding in finding_ids and g.reason not in reasons]
    if plan.pathway is not None and plan.pathway.id in kb.pathways:
        reasons += [x.reason for x in kb.pathways[plan.pathway.id].exclude
                    if x.exercise == exercise_id and x.reason not in reasons]
    return reasons


def planned_from_kb(kb: KnowledgeBase, exercise_id: str, finding_ids: set[str]) -> PlannedExercise:
    """The knowledge base's exercise as a plan entry (its dose, how-to, cautions and sources)."""
    from kneecoach.assessment.evidence import exercise_evidence
    from kneecoach.plan.build import dose_text

    ex = kb.exercises.get(exercise_id)
    if ex is None:
        raise ChangeError(f"There is no exercise '{exercise_id}' in the knowledge base.")
    d = ex.dose
    cautions = [g.reason for g in ex.caution_when if g.finding in finding_ids]
    return PlannedExercise(
        id=ex.id, name=ex.name, how=ex.how,
        dose=Dose(sets=d.sets, reps=d.reps, reps_max=d.reps_max, near_fatigue=d.near_fatigue, hold_s=d.hold_s,
                  per_side=d.per_side, days_per_week=d.days_per_week, text=dose_text(d)),
        progression=ex.progression, targets=list(ex.targets), addresses=[], cautions=cautions,
        sources=sorted({kb.claim_source(c) for c in ex.claims}), evidence=exercise_evidence(kb, ex.id),
    )


def _exercise_ids(plan: Plan) -> set[str]:
    return {e.id for p in plan.phases for e in p.exercises}


def _name(plan: Plan, exercise_id: str) -> str:
    for p in plan.phases:
        for e in p.exercises:
            if e.id == exercise_id:
                return e.name
    return exercise_id.replace("_", " ")


def make_change(req: ChangeRequest, plan: Plan, kb: KnowledgeBase, finding_ids: set[str], *, author_id: int,
                author_name: str, now: datetime | None = None) -> PlanChange:
    """Check a request against the current plan and the knowledge base and turn it into a change.

    Raises :class:`ChangeError` (or :class:`GateBlocked`) with a readable message; nothing is
    stored by this function.
    """
    reason = (req.reason or "").strip()
    if not reason:
        raise ChangeError("Give a reason for the change: the runner sees it with the change.")
    if len(reason) > MAX_TEXT:
        raise ChangeError(f"Keep the reason under {MAX_TEXT} characters.")
    if req.kind not in KINDS:
        raise ChangeError(f"Unknown change '{req.kind}'; choose one of: {', '.join(KINDS)}.")
    at = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    base: dict[str, Any] = {"id": uuid.uuid4().hex[:12], "kind": req.kind, "reason": reason, "author_id": author_id,
                            "author_name": author_name, "at": at}
    ex_id = (req.exercise_id or "").strip()
    if req.kind == "add_exercise":
        if not ex_id:
            raise ChangeError("Choose the exercise to add.")
        if ex_id in _exercise_ids(plan):
            raise ChangeError("That exercise is already in the plan; change its dose instead.")
        entry = planned_from_kb(kb, ex_id, finding_ids)
        blocks = gate_reasons(kb, plan, finding_ids, ex_id)
        override = (req.override_reason or "").strip()
        if blocks and not override:
            raise GateBlocked(blocks)
        phase = _phase(plan, req.phase_id)
        return PlanChange(**base, exercise_id=ex_id, phase_id=phase, exercise=entry,
                          override_reason=override or None, overridden=blocks if override else [],
                          summary=f"Added {entry.name} ({entry.dose.text})"
                          + (" despite a contraindication, overridden" if blocks else ""))
    if req.kind in ("remove_exercise", "set_dose"):
        if ex_id not in _exercise_ids(plan):
            raise ChangeError("Choose an exercise that is in the plan.")
        name = _name(plan, ex_id)
        if req.kind == "remove_exercise":
            return PlanChange(**base, exercise_id=ex_id, summary=f"Removed {name}")
        numbers = {"sets": (req.sets, 1, 20), "reps": (req.reps, 1, 100), "hold_s": (req.hold_s, 1, 600),
                   "days_per_week": (req.days_per_week, 1, 7)}
        for field, (value, lo, hi) in numbers.items():
            if value is not None and not lo <= value <= hi:
                raise ChangeError(f"{field.replace('_', ' ')} must be between {lo} and {hi}.")
        if all(v is None for v, _, _ in numbers.values()):
            raise ChangeError("Give at least one of sets, reps, hold or days a week.")
        change = PlanChange(**base, exercise_id=ex_id, sets=req.sets, reps=req.reps, hold_s=req.hold_s,
                            days_per_week=req.days_per_week, summary="")
        new_dose = _dosed(_find(plan, ex_id).dose, change)
        return change.model_copy(update={"summary": f"{name}: dose now {new_dose.text}"})
    if req.kind == "hold_running":
        return PlanChange(**base, summary="Running on hold (0 km a week) until released")
    if req.kind == "cap_weekly_km":
        fmt = distance_format(req.unit)
        if req.km is None or not 0 < req.km <= MAX_CAP_KM:
            raise ChangeError(f"Give the weekly cap in {fmt.word} (more than 0, at most {fmt.km(MAX_CAP_KM)}).")
        return PlanChange(**base, km=float(req.km), unit=fmt.unit, summary=f"Weekly distance capped at {fmt.km(req.km)}")
    if req.kind == "set_phase":
        phase = _phase(plan, req.phase_id, required=True)
        label = next(p.name for p in plan.phases if p.id == phase)
        return PlanChange(**base, phase_id=phase, summary=f"Phase moved to {label}")
    text = (req.text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ChangeError(f"Write the instruction (1 to {MAX_TEXT} characters).")
    return PlanChange(**base, text=text, summary=f"Instruction added: {text}")


def _phase(plan: Plan, phase_id: str | None, required: bool = False) -> str:
    ids = [p.id for p in plan.phases]
    if phase_id:
        if phase_id not in ids:
            raise ChangeError(f"This plan has no phase '{phase_id}'; choose one of: {', '.join(ids)}.")
        return phase_id
    if required or not ids:
        raise ChangeError("Choose a phase.")
    return plan.current_phase if plan.current_phase in ids else ids[0]


def _find(plan: Plan, exercise_id: str) -> PlannedExercise:
    for p in plan.phases:
        for e in p.exercises:
            if e.id == exercise_id:
                return e
    raise ChangeError(f"'{exercise_id}' is not in the plan.")


def _dosed(dose: Dose, c: PlanChange) -> Dose:
    sets = c.sets if c.sets is not None else dose.sets
    reps = c.reps if c.reps is not None else dose.reps
    hold = c.hold_s if c.hold_s is not None else dose.hold_s
    days = c.days_per_week if c.days_per_week is not None else dose.days_per_week
    reps_max = None if c.reps is not None else dose.reps_max
    amount = f"{sets or 1} x {reps}" if reps is not None else f"{sets or 1} x {hold} s hold"
    if reps is not None and reps_max is not None:
        amount += f"-{reps_max}"
    if reps is not None and hold is not None:
        amount += f" (hold {hold} s)"
    side = " each side" if dose.per_side else ""
    when = "every day" if days == 7 else f"{days} day{'s' if days > 1 else ''} a week"
    return dose.model_copy(update={"sets": sets, "reps": reps, "reps_max": reps_max, "hold_s": hold,
                                   "days_per_week": days, "text": f"{amount}{side}, {when}"})


def apply_changes(base: Plan, changes: list[PlanChange]) -> Plan:
    """kneecoach's plan with the clinician's changes applied, in order (``base`` is not modified).

    A change that no longer fits the base (an exercise kneecoach has since dropped from every phase)
    is kept in the list and skipped, so it still shows and can be released.
    """
    plan = base.model_copy(deep=True)
    for c in changes:
        if c.kind == "add_exercise" and c.exercise is not None:
            if c.exercise_id in _exercise_ids(plan):
                continue
            entry = c.exercise.model_copy(deep=True)
            if c.override_reason:
                entry.cautions.append(f"Added by {c.author_name} although kneecoach had ruled it out "
                                      f"({' '.join(c.overridden)}). Their reason: {c.override_reason}")
                plan.excluded = [x for x in plan.excluded if x.id != c.exercise_id]
            phase = next((p for p in plan.phases if p.id == c.phase_id), plan.phases[0] if plan.phases else None)
            if phase is not None:
                phase.exercises.append(entry)
        elif c.kind == "remove_exercise":
            for p in plan.phases:
                p.exercises = [e for e in p.exercises if e.id != c.exercise_id]
        elif c.kind == "set_dose":
            for p in plan.phases:
                for e in p.exercises:
                    if e.id == c.exercise_id:
                        e.dose = _dosed(e.dose, c)
        elif c.kind == "hold_running":
            for w in plan.mileage_ramp:
                w.km, w.long_run_km = 0.0, 0.0
                w.note = f"running on hold by {c.author_name}"
        elif c.kind == "cap_weekly_km" and c.km is not None:
            for w in plan.mileage_ramp:
                if w.km > c.km:
                    share = w.long_run_km / w.km if w.km else 0.0
                    w.km, w.long_run_km = c.km, round(c.km * share, 1)
                    w.note = (w.note + "; " if w.note else "") + \
                        f"capped at {distance_format(c.unit).km(c.km)} by {c.author_name}"
            plan.target_km = min(plan.target_km, c.km)
        elif c.kind == "set_phase" and any(p.id == c.phase_id for p in plan.phases):
            plan.current_phase = c.phase_id
        elif c.kind == "add_instruction" and c.text and _instruction(c) not in plan.notes:
            plan.notes.append(_instruction(c))
    plan.notes = [n for n in plan.notes if not n.startswith(KEPT_PREFIX)]
    plan.clinician_changes = list(changes)
    return plan


def _instruction(c: PlanChange) -> str:
    return f"From {c.author_name}: {c.text}"


KEPT_PREFIX = "kneecoach's review kept"


def rebase(new: Plan, old_effective: Plan, old_base: Plan) -> Plan:
    """kneecoach's new plan with the clinician's changes taken out again, as far as they can be.

    An automatic review adjusts the plan the runner follows, which has the clinician's changes in
    it. To keep a base that a release can return to, each part the changes touch (a phase's
    exercises, the mileage ramp and target, the current phase, the exclusions) is taken from the
    old base when the review left it as it was; a part the review changed is kept as the review
    made it. Instructions and earlier "kept" notes are removed (they are added again on apply).
    """
    plan = new.model_copy(deep=True)
    old_phases = {p.id: p for p in old_effective.phases}
    base_phases = {p.id: p for p in old_base.phases}
    for p in plan.phases:
        if p.id in old_phases and p.id in base_phases and p.exercises == old_phases[p.id].exercises:
            p.exercises = [e.model_copy(deep=True) for e in base_phases[p.id].exercises]
    if plan.mileage_ramp == old_effective.mileage_ramp:
        plan.mileage_ramp = [w.model_copy() for w in old_base.mileage_ramp]
    if plan.target_km == old_effective.target_km:
        plan.target_km = old_base.target_km
    if plan.current_phase == old_effective.current_phase:
        plan.current_phase = old_base.current_phase
    if plan.excluded == old_effective.excluded:
        plan.excluded = [x.model_copy() for x in old_base.excluded]
    instructions = {_instruction(c) for c in old_effective.clinician_changes if c.kind == "add_instruction"}
    plan.notes = [n for n in plan.notes if n not in instructions and not n.startswith(KEPT_PREFIX)]
    plan.clinician_changes = []
    return plan


def kept_note(changes: list[PlanChange]) -> str:
    """What an automatic review says when it keeps a clinician's changes."""
    who = sorted({c.author_name for c in changes})
    return (f"{KEPT_PREFIX} {len(changes)} change{'s' if len(changes) != 1 else ''} by "
            f"{', '.join(who)} until they release {'it' if len(changes) == 1 else 'them'}: "
            + "; ".join(c.summary for c in changes) + ".")
