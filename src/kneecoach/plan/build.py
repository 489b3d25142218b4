"""Findings and hypotheses -> a phased plan.

Which exercises appear, and why others do not, is decided by the gates in
``exercises.yaml`` (``always``, ``addresses``, ``only_when``, ``exclude_when``,
``caution_when``). Nothing here knows about hamstrings or surgery by name:
the isolated-hamstring rule of 003 is an ``only_when`` gate in the data.
"""

from __future__ import annotations

from kneecoach.assessment.evidence import exercise_evidence, note
from kneecoach.assessment.reasoning import Finding, Hypothesis
from kneecoach.intake.units import KM, DistanceFormat
from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.knowledge.schema import Dose as KbDose
from kneecoach.knowledge.schema import Exercise, Rules
from kneecoach.plan.models import (
    AdjunctNote,
    Advice,
    Dose,
    EducationNote,
    ExcludedExercise,
    PathwayChoice,
    Plan,
    PlannedExercise,
    PlanPhase,
    RampWeek,
    RunningHold,
)
from kneecoach.plan.ramp import DEFAULT_RUNS_PER_WEEK, build_ramp, start_km


def dose_text(d: KbDose) -> str:
    """E.g. '3 x 15 each side, 4 days a week', '3 x 8-15 (last reps hard), 3 days a week'."""
    if d.reps is not None and d.reps_max is not None:
        amount = f"{d.sets or 1} x {d.reps}-{d.reps_max}" + (" (last reps hard)" if d.near_fatigue else "")
    elif d.reps is not None and d.hold_s is not None and d.reps == 1:
        amount = f"{d.hold_s} s"
    elif d.reps is not None and d.hold_s is not None:
        amount = f"{d.sets or 1} x {d.reps} (hold {d.hold_s} s)"
    elif d.reps is not None:
        amount = f"{d.sets} x {d.reps}" if d.sets else f"{d.reps} reps"
    else:
        amount = f"{d.sets} x {d.hold_s} s hold" if d.sets else f"{d.hold_s} s hold"
    side = " each side" if d.per_side else ""
    days = "every day" if d.days_per_week == 7 else f"{d.days_per_week} day{'s' if d.days_per_week > 1 else ''} a week"
    return f"{amount}{side}, {days}"


def _sources(kb: KnowledgeBase, claim_ids: list[str]) -> list[str]:
    return sorted({kb.claim_source(c) for c in claim_ids})


def _select(
    ex: Exercise, finding_ids: set[str], hypothesis_ids: set[str], kb: KnowledgeBase, included: bool = False
) -> PlannedExercise | ExcludedExercise | None:
    chosen_for = [a for a in ex.addresses if a in hypothesis_ids]
    gate_open = [g for g in ex.only_when if g.finding in finding_ids]
    relevant = ex.always or included or chosen_for or gate_open
    if not relevant:
        return None
    if ex.only_when and not gate_open:
        gate = ex.only_when[0]
        return ExcludedExercise(
            id=ex.id,
            name=ex.name,
            reason=f"{gate.reason} That does not apply to your answers.",
            sources=_sources(kb, [g.claim for g in ex.only_when]),
        )
    blocks = [g for g in ex.exclude_when if g.finding in finding_ids]
    if blocks:
        return ExcludedExercise(
            id=ex.id,
            name=ex.name,
            reason=" ".join(g.reason for g in blocks),
            sources=_sources(kb, [g.claim for g in blocks]),
        )
    cautions = [g.reason for g in ex.caution_when if g.finding in finding_ids]
    d = ex.dose
    return PlannedExercise(
        id=ex.id,
        name=ex.name,
        how=ex.how,
        dose=Dose(
            sets=d.sets,
            reps=d.reps,
            reps_max=d.reps_max,
            near_fatigue=d.near_fatigue,
            hold_s=d.hold_s,
            per_side=d.per_side,
            days_per_week=d.days_per_week,
            text=dose_text(d),
        ),
        progression=ex.progression,
        targets=list(ex.targets),
        addresses=chosen_for + [g.finding for g in gate_open],
        cautions=cautions,
        sources=_sources(kb, [*ex.claims, *(g.claim for g in ex.caution_when if g.finding in finding_ids)]),
        evidence=exercise_evidence(kb, ex.id),
    )


def assumed_longest_run(profile: Profile) -> float:
    """The longest run of the last 30 days: as given, else an even share of the current week.

    Unknown, it is taken as the shortest it can be (all runs equal), so week 1's long run can
    never be a spike over a longest run the runner did not tell us about.
    """
    run = profile.running
    if run.longest_recent_run_km > 0 or run.current_weekly_km <= 0:
        return run.longest_recent_run_km
    return run.current_weekly_km / (run.runs_per_week or DEFAULT_RUNS_PER_WEEK)


def running_hold(profile: Profile, pathway: PathwayChoice, rules: Rules) -> RunningHold | None:
    """Why running is held at 0 km at the start of the plan, or None when the ramp may start.

    The same pain rule as the weekly review (:func:`kneecoach.tracking.review.review`): pain during
    or after running at or above ``pause_running_at`` pauses running, so a plan never starts what
    the review would stop the next day. A triage pathway (suspected bone stress, an acute injury)
    holds running until a clinician's clearance is recorded; a criteria pathway (after an ACL
    reconstruction) until every criterion is met.
    """
    if pathway.running_on_hold:
        waiting = [c.label for c in pathway.criteria if c.status != "met"]
        if pathway.referral is not None:
            return RunningHold(
                until="clearance",
                reason=f"your answers need an examination before any running ({pathway.name}).",
                restart=(
                    f"{pathway.ramp_note} Once you have been examined, record the date and who cleared you "
                    "(profile: history, cleared_to_run) and re-run the assessment."
                ),
            )
        return RunningHold(
            until="criteria",
            reason="the return-to-run criteria are not all met yet (still open: " + "; ".join(waiting) + ").",
            restart=(
                f"Re-test them every 2-4 weeks ({len(waiting)} still open); the ramp starts when all are met, "
                "with short walk-run sessions."
            ),
        )
    symptoms = profile.symptoms
    worst = max(symptoms.pain_during_run, symptoms.pain_after_run) if symptoms else 0
    if worst >= rules.pain.pause_running_at:
        return RunningHold(
            until="pain_rule",
            reason=(
                f"your knee hurts {worst}/10 with running, and the pain rule pauses running at "
                f"{rules.pain.pause_running_at}/10 or more, now as in every later week."
            ),
            restart=(
                "Cycle, swim or walk instead and do the exercises within the pain rule. Running restarts with "
                f"short walk-run sessions once everyday activities are calm and pain stays at or under "
                f"{rules.pain.max_during_run}/10 (re-run the assessment or the weekly review then)."
            ),
        )
    return None


def build_plan(
    profile: Profile,
    findings: list[Finding],
    hypotheses: list[Hypothesis],
    kb: KnowledgeBase,
    pathway: PathwayChoice | None = None,
    fmt: DistanceFormat = KM,
) -> Plan:
    """The plan for the chosen condition pathway (chosen here from the findings when not given); its notes
    say distances in ``fmt``'s unit (the runner's), its numbers stay km."""
    from kneecoach.assessment.pathways import choose_pathway

    pathway = pathway or choose_pathway(profile, findings, kb)
    route = kb.pathways[pathway.id]
    finding_ids = {f.id for f in findings}
    hypothesis_ids = {h.id for h in hypotheses}
    rules = kb.rules
    pathway_excludes = {x.exercise: x for x in route.exclude}
    planned: dict[str, list[PlannedExercise]] = {p: [] for p in route.phases}
    excluded: list[ExcludedExercise] = []
    for ex in kb.exercises.values():
        if ex.phase not in planned and ex.id not in pathway_excludes:
            continue
        result = _select(ex, finding_ids, hypothesis_ids, kb, included=ex.id in route.include)
        if isinstance(result, PlannedExercise) and ex.id in pathway_excludes:
            why = pathway_excludes[ex.id]
            result = ExcludedExercise(id=ex.id, name=ex.name, reason=why.reason, sources=_sources(kb, [why.claim]))
        if isinstance(result, PlannedExercise):
            planned[ex.phase].append(result)
        elif isinstance(result, ExcludedExercise):
            excluded.append(result)

    phases = [
        PlanPhase(
            id=p.id,
            order=n,
            name=p.name,
            goal=p.goal,
            entry=p.entry,
            exit=p.exit,
            weeks=p.weeks,
            exercises=planned[p.id],
            advice=list(p.advice),
            sources=_sources(kb, p.claims),
        )
        for n, p in enumerate((kb.phases[i] for i in route.phases if planned[i] or kb.phases[i].advice), start=1)
    ]
    terrain = [
        Advice(id=a.id, text=a.text, sources=_sources(kb, a.claims))
        for a in rules.terrain
        if not a.when or set(a.when) & finding_ids
    ]
    pathway_advice = [
        Advice(id=a.id, text=a.text, sources=_sources(kb, a.claims))
        for a in route.advice
        if not a.when or set(a.when) & finding_ids
    ]
    run = profile.running
    notes: list[str] = []
    hold = running_hold(profile, pathway, rules)
    if hold is not None:
        # The reason and the way back are in ``running_hold``, which every face shows first.
        ramp = [RampWeek(week=1, km=0, long_run_km=0, note=f"no running: {hold.reason}")]
    else:
        pain_during = profile.symptoms.pain_during_run if profile.symptoms else 0
        current = run.current_weekly_km
        if pathway.restart_walk_run and current > 0:
            # Cleared after an examination: running restarts from a short walk-run, whatever it was before.
            current = min(current, rules.ramp.restart_km)
        start = start_km(current, pain_during, rules.pain.max_during_run, rules.ramp)
        ramp = build_ramp(
            start,
            run.target_weekly_km,
            rules.ramp,
            runs_per_week=run.runs_per_week,
            longest_recent_km=assumed_longest_run(profile),
            fmt=fmt,
        )
        if "pain_above_rule" in finding_ids:
            notes.append(
                f"Running hurts above {rules.pain.max_during_run}/10, so the ramp starts at {fmt.km(ramp[0].km)}, "
                f"below your current {fmt.km(run.current_weekly_km)}."
            )
        if run.current_weekly_km == 0:
            notes.append(f"You are not running now: the ramp restarts at {fmt.km(ramp[0].km)} a week of walk-run.")
        elif pathway.restart_walk_run and run.current_weekly_km > ramp[0].km:
            notes.append(
                f"Cleared after an examination: running restarts at {fmt.km(ramp[0].km)} a week of walk-run, not "
                f"at your earlier {fmt.km(run.current_weekly_km)}, and builds back by the ramp rule."
            )
        if ramp[0].walk_run:
            notes.append(
                f"Weeks under {fmt.km(rules.ramp.walk_run_below_km)} are walk-run weeks: each moves one step along "
                "the walk-run schedule shown with it, so a small base grows in minutes of running, not in big "
                "distance steps."
            )
    if "post_surgery_or_trauma_window" in finding_ids:
        notes.append(
            "You are still recovering from surgery or an injury: follow your surgeon's or physiotherapist's "
            "protocol first; this plan is meant to sit alongside it. Start the running ramp only once they "
            "clear you to run."
        )
    if "pain_rises_with_distance" in finding_ids:
        notes.append("Your pain comes on with distance: the ramp and the pain rule matter as much as the exercises.")
    return Plan(
        kb_version=kb.version,
        phases=phases,
        excluded=excluded,
        terrain=terrain,
        pain_rule=rules.pain,
        ramp_rule=rules.ramp,
        mileage_ramp=ramp,
        start_km=ramp[0].km,
        target_km=run.target_weekly_km,
        notes=notes,
        running_hold=hold,
        disclaimer=rules.disclaimer,
        pathway=pathway,
        pathway_advice=pathway_advice,
        education=[
            EducationNote(id=e.id, title=e.title, text=e.text, evidence=[note(kb, c) for c in e.claims])
            for e in kb.education.values()
            if not e.pathways or pathway.id in e.pathways
        ],
        adjuncts=[
            AdjunctNote(
                id=x.id, name=x.name, advice=x.advice, recommendation=x.recommendation,
                evidence=[note(kb, c) for c in x.claims],
            )
            for x in kb.adjuncts.values()
            if not x.pathways or pathway.id in x.pathways
        ],
    )
