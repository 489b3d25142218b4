"""The loop after the first plan: re-tests, trends, ladders, phase criteria and cadence.

measure -> plan -> do -> re-measure -> adapt. Every decision here reads a rule from the knowledge
base (``rules.yaml``: retest, ladder, cadence; ``phases.yaml``: exit criteria; ``ladders.yaml``) and
returns plain values with the evidence it used, so the CLI, the web app and the API only display
them. Nothing here knows an exercise or a phase by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from kneecoach.assessment.context import DiaryMetrics, ProgressContext, RetestMetrics
from kneecoach.knowledge.predicates import evaluate, lsi, recorded
from kneecoach.intake.kujala import score_kujala
from kneecoach.intake.profile import Profile
from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.plan.models import Plan
from kneecoach.tracking.activity import Activity
from kneecoach.tracking.load import activity_day
from kneecoach.tracking.diary import ExerciseObs, PainObs

#: One stored profile version: when it was taken, "intake" or "retest", the profile.
Version = tuple[datetime, str, Profile]


# --------------------------------------------------------------------------- re-tests and trends


@dataclass(frozen=True)
class RetestDue:
    due: bool
    last: date | None
    next_due: date | None
    message: str


def retest_due(history: Sequence[Version], today: date, kb: KnowledgeBase) -> RetestDue:
    """Due when the last measurement (intake or re-test) is ``rules.retest.every_days`` old."""
    every = kb.rules.retest.every_days
    if not history:
        return RetestDue(False, None, None, "No intake yet.")
    last = max(when for when, _, _ in history).date()
    nxt = last + timedelta(days=every)
    if today >= nxt:
        msg = (f"A re-test is due: the last measurement was {(today - last).days} days ago ({last:%d %b}). "
               "Re-score the Kujala and repeat the self-tests (kneecoach recheck).")
        return RetestDue(True, last, nxt, msg)
    return RetestDue(False, last, nxt, f"Next re-test due on {nxt:%a %d %b} (every {every} days).")


@dataclass(frozen=True)
class TrendPoint:
    day: date
    kind: str
    kujala: int | None
    lsi: dict[str, float]
    """Test name -> limb symmetry index (%) where both sides were recorded."""
    plank_s: float | None
    knee_falls_inward: bool | None


_LSI_TESTS = {"single_leg_sit_to_stand_reps": "sit-to-stand", "single_leg_hop_cm": "hop", "hamstring_curl_kg": "curl"}


def trend_points(history: Sequence[Version], kb: KnowledgeBase) -> list[TrendPoint]:
    out = []
    for when, kind, prof in history:
        kj = score_kujala(prof.kujala, kb.kujala).score if prof.kujala else None
        lsis = {}
        for attr, label in _LSI_TESTS.items():
            got = lsi(getattr(prof.self_tests, attr))
            if got is not None:
                lsis[label] = got[0]
        sls = prof.self_tests.single_leg_squat
        inward = [v.knee_falls_inward for _, v in sls.items() if v.knee_falls_inward is not None]
        out.append(TrendPoint(when.date(), kind, kj, lsis, prof.self_tests.plank_hold_s, any(inward) if inward else None))
    return out


def kujala_change_message(points: Sequence[TrendPoint], kb: KnowledgeBase) -> str:
    """The change from the first to the latest Kujala score, read against the minimal important change."""
    scored = [p for p in points if p.kujala is not None]
    if len(scored) < 2:
        return "Kujala trend: one score so far; re-test to see a trend."
    first, last = scored[0], scored[-1]
    change = last.kujala - first.kujala  # type: ignore[operator]
    mcid = kb.rules.retest.kujala_mcid
    if abs(change) >= mcid:
        meaning = "a change you would notice" + (" (better)" if change > 0 else " (worse)")
    else:
        meaning = "within the noise"
    return (f"Kujala {first.kujala} -> {last.kujala} ({change:+d} points since {first.day:%d %b}): {meaning}; "
            f"a change of about {mcid}-10 points is the smallest a person notices (crossley2004).")


def no_gain_referral(points: Sequence[TrendPoint], kb: KnowledgeBase) -> str:
    """"See a clinician" when the Kujala has not gained a noticeable change ``refer_without_gain_weeks``
    after the first score (clinical reference section 9; crossley2004 for the size); empty otherwise.

    A first score within ``kujala_mcid`` of 100 leaves no room for such a gain and never refers.
    """
    rule = kb.rules.retest
    scored = [p for p in points if p.kujala is not None]
    if len(scored) < 2:
        return ""
    first, last = scored[0], scored[-1]
    weeks = (last.day - first.day).days // 7
    gain = last.kujala - first.kujala  # type: ignore[operator]
    if weeks < rule.refer_without_gain_weeks or gain >= rule.kujala_mcid or first.kujala > 100 - rule.kujala_mcid:  # type: ignore[operator]
        return ""
    return (f"See a clinician: your Kujala score went from {first.kujala} to {last.kujala} in {weeks} weeks, less than "
            f"the {rule.kujala_mcid} points a person notices. A plan that has not helped after "
            f"{rule.refer_without_gain_weeks} weeks needs a professional look at the knee; keep to what stays "
            "within the pain rule until then (crossley2004, kneecoach_editorial).")


# --------------------------------------------------------------------------- the context phase criteria read


def _full_dose(e: ExerciseObs, kb: KnowledgeBase) -> bool:
    ex = kb.exercises.get(e.exercise_id)
    if ex is None or ex.dose.reps is None:
        return False
    top = ex.dose.reps_max or ex.dose.reps
    return (e.sets or 0) >= (ex.dose.sets or 1) and (e.reps or 0) >= top


def progress_context(
    history: Sequence[Version], pain: Sequence[PainObs], exercise: Sequence[ExerciseObs], today: date, kb: KnowledgeBase
) -> ProgressContext:
    from kneecoach.knowledge.loader import STRENGTH_PHASES

    if not history:
        raise ValueError("no profile stored yet: run the intake first")
    points = trend_points(history, kb)
    latest = history[-1][2]
    strength = {i for i, e in kb.exercises.items() if e.phase in STRENGTH_PHASES}
    in_14 = [e for e in exercise if today - timedelta(days=13) <= e.day <= today and e.exercise_id in strength]
    pain7 = [p.score for p in pain if today - timedelta(days=6) <= p.day <= today]
    pain14 = [p.score for p in pain if today - timedelta(days=13) <= p.day <= today]
    scored = [p.kujala for p in points if p.kujala is not None]
    return ProgressContext(
        profile=latest,
        diary=DiaryMetrics(
            max_pain_7d=max(pain7) if pain7 else None,
            max_pain_14d=max(pain14) if pain14 else None,
            strength_sessions_14d=len({e.day for e in in_14}),
            full_dose_sessions_14d=len({e.day for e in in_14 if _full_dose(e, kb)}),
            full_dose_days_14d={
                phase: len({e.day for e in in_14 if _full_dose(e, kb) and kb.exercises[e.exercise_id].phase == phase})
                for phase in sorted({kb.exercises[e.exercise_id].phase for e in in_14})
            },
        ),
        retest=RetestMetrics(
            count=sum(1 for _, kind, _ in history if kind == "retest"),
            kujala=scored[-1] if scored else None,
            kujala_change=(scored[-1] - scored[0]) if len(scored) >= 2 else None,
            knee_falls_inward_any=points[-1].knee_falls_inward,
            lsi_sit_to_stand=points[-1].lsi.get("sit-to-stand"),
            plank_hold_s=points[-1].plank_s,
        ),
    )


# --------------------------------------------------------------------------- criteria-based phases


@dataclass(frozen=True)
class CriterionCheck:
    id: str
    label: str
    status: str  # met | not_met | not_recorded
    how: str


@dataclass(frozen=True)
class PhaseProgress:
    id: str
    name: str
    criteria: list[CriterionCheck]

    @property
    def done(self) -> bool:
        return bool(self.criteria) and all(c.status == "met" for c in self.criteria)


def phase_progress(plan: Plan, ctx: ProgressContext, kb: KnowledgeBase) -> tuple[list[PhaseProgress], str | None]:
    """Each phase's exit criteria checked against the context, and the current phase.

    The current phase is the first (in the plan's order) whose criteria are not all met; phases
    with no criteria (release, stretch, technique, the ramp) are ongoing and never hold it.
    """
    out = []
    for ph in sorted(plan.phases, key=lambda p: p.order):
        crit = []
        for c in kb.phases[ph.id].exit_criteria if ph.id in kb.phases else []:
            if evaluate(c.when, ctx, kb.rules).ok:  # type: ignore[arg-type]
                status = "met"
            else:
                status = "not_met" if recorded(c.when, ctx) else "not_recorded"  # type: ignore[arg-type]
            crit.append(CriterionCheck(c.id, c.label, status, c.how))
        out.append(PhaseProgress(ph.id, ph.name, crit))
    gated = [p for p in out if p.criteria]
    current = next((p.id for p in gated if not p.done), gated[-1].id if gated else None)
    return out, current


# --------------------------------------------------------------------------- progression ladders


@dataclass(frozen=True)
class RungProposal:
    exercise_id: str
    current: int
    proposed: int
    current_name: str
    proposed_name: str
    reason: str

    @property
    def direction(self) -> str:
        return "up" if self.proposed > self.current else "down" if self.proposed < self.current else "stay"


def ladder_proposals(
    plan: Plan, exercise: Sequence[ExerciseObs], pain: Sequence[PainObs], today: date, kb: KnowledgeBase
) -> list[RungProposal]:
    """For each planned exercise with a ladder: move up, down or stay, with the reason.

    Up: at least ``sessions_to_move_up`` logged sessions in the window at full dose (every set, top
    of the rep range) and no pain above the pain rule in the window. Down: pain above the rule in
    the window. A runner is never moved up when pain was above the rule (property-tested).
    """
    rule, limit = kb.rules.ladder, plan.pain_rule.max_during_run
    start = today - timedelta(days=rule.window_days - 1)
    worst = max((p.score for p in pain if start <= p.day <= today), default=None)
    over = worst is not None and worst > limit
    out = []
    for ph in plan.phases:
        for e in ph.exercises:
            ladder = kb.ladders.get(e.id)
            if ladder is None:
                continue
            cur = min(plan.rungs.get(e.id, 0), len(ladder.rungs) - 1)
            full = {x.day for x in exercise if x.exercise_id == e.id and start <= x.day <= today and _full_dose(x, kb)}
            if over:
                new = max(cur - 1, 0)
                reason = f"pain reached {worst}/10 in the last {rule.window_days} days, above the pain rule ({limit})"
                reason += ": step down a rung" if new < cur else ": stay on the first rung"
            elif len(full) >= rule.sessions_to_move_up and cur + 1 < len(ladder.rungs):
                new = cur + 1
                reason = (f"{len(full)} sessions at full dose in the last {rule.window_days} days with pain within "
                          "the rule: move up a rung")
            else:
                new = cur
                reason = (f"{len(full)} of {rule.sessions_to_move_up} full-dose sessions in the last "
                          f"{rule.window_days} days" if cur + 1 < len(ladder.rungs) else "top rung reached")
            out.append(RungProposal(e.id, cur, new, ladder.rungs[cur].name, ladder.rungs[new].name, reason))
    return out


# --------------------------------------------------------------------------- cadence


@dataclass(frozen=True)
class CadenceReport:
    usual_spm: float | None
    target_spm: float | None
    recent_runs: int
    recent_on_target: int
    message: str


#: Where pain must be for the step-rate option (the evidence is in patellofemoral pain).
KNEECAP_LOCATIONS = frozenset({"around_kneecap", "behind_kneecap"})


def cadence_report(runs: Sequence[Activity], today: date, kb: KnowledgeBase, opted_in: bool,
                   target_spm: float | None = None, not_offered: str = "") -> CadenceReport:
    """The runner's usual step rate at easy pace, an opt-in target, and how often recent runs met it.

    Easy pace = the slower half of runs with cadence (by average speed); "usual" is their median.
    No cadence in the watch files -> say so; no guess.
    """
    rule = kb.rules.cadence
    if not any(activity_day(r) <= today for r in runs):
        return CadenceReport(None, None, 0, 0, "Cadence: no runs yet. Import a watch file that records "
                             "cadence and kneecoach reads your usual step rate from it.")
    with_cad = [r for r in runs if r.avg_cadence_spm and r.duration_s > 0 and activity_day(r) <= today]
    if not with_cad:
        return CadenceReport(None, None, 0, 0, "Cadence: none of your imported runs records a step rate, so "
                             "kneecoach cannot suggest a target (no guess is made).")
    by_speed = sorted(with_cad, key=lambda r: r.distance_m / r.duration_s)
    easy = by_speed[: max(1, (len(by_speed) + 1) // 2)]
    usual = round(median(r.avg_cadence_spm for r in easy), 1)  # type: ignore[misc]
    if not opted_in:
        why = f"; {not_offered}" if not_offered else ". Opt in to cadence retraining to get a target"
        return CadenceReport(usual, None, 0, 0, f"Cadence: your usual easy-run step rate is about {usual:.0f} "
                             f"steps/min{why}.")
    target = target_spm or round(usual * (1 + rule.increase_pct / 100.0))
    recent = [r for r in with_cad if today - timedelta(days=rule.window_days - 1) <= activity_day(r) <= today]
    on = [r for r in recent if r.avg_cadence_spm >= target - rule.tolerance_spm]  # type: ignore[operator]
    if len(recent) < rule.min_runs:
        tail = f"only {len(recent)} run(s) with cadence in the last {rule.window_days} days; too few to judge."
    else:
        tail = f"{len(on)} of {len(recent)} runs in the last {rule.window_days} days met it."
    return CadenceReport(usual, float(target), len(recent), len(on),
                         f"Cadence: usual {usual:.0f} steps/min at easy pace; target {target:.0f} "
                         f"(+{rule.increase_pct:g} %, heiderscheit2011, bramah2019), built in over a few weeks; {tail}")


# --------------------------------------------------------------------------- putting it together


@dataclass(frozen=True)
class Progress:
    due: RetestDue
    trend: list[TrendPoint]
    kujala_message: str
    phases: list[PhaseProgress]
    current_phase: str | None
    rungs: list[RungProposal]
    cadence: CadenceReport
    sources: list[str] = field(default_factory=list)
    #: "See a clinician" when the Kujala has not improved enough in the weeks the rule allows (else "").
    refer: str = ""

    def summary_lines(self) -> list[str]:
        lines = [*([self.refer] if self.refer else []), self.due.message, self.kujala_message]
        for ph in self.phases:
            if ph.criteria:
                marks = "; ".join(f"{c.label}: {c.status.replace('_', ' ')}" for c in ph.criteria)
                lines.append(f"Phase '{ph.name}'{' (current)' if ph.id == self.current_phase else ''}: {marks}.")
        for r in self.rungs:
            if r.direction != "stay":
                lines.append(f"{r.current_name} -> {r.proposed_name}: {r.reason}.")
        lines.append(self.cadence.message)
        return lines


def progress(
    plan: Plan, history: Sequence[Version], runs: Sequence[Activity], pain: Sequence[PainObs],
    exercise: Sequence[ExerciseObs], today: date, kb: KnowledgeBase,
) -> Progress:
    ctx = progress_context(history, pain, exercise, today, kb)
    phases, current = phase_progress(plan, ctx, kb)
    points = trend_points(history, kb)
    symptoms = ctx.profile.symptoms
    kneecap = symptoms is not None and bool({loc.value for loc in symptoms.locations} & KNEECAP_LOCATIONS)
    opted = ctx.profile.running.cadence_retraining and kneecap
    return Progress(
        due=retest_due(history, today, kb),
        trend=points,
        kujala_message=kujala_change_message(points, kb),
        refer=no_gain_referral(points, kb),
        phases=phases,
        current_phase=current,
        rungs=ladder_proposals(plan, exercise, pain, today, kb),
        cadence=cadence_report(runs, today, kb, opted, plan.cadence_target_spm,
                               not_offered="" if kneecap or not ctx.profile.running.cadence_retraining else
                               "step-rate retraining is offered for pain around or behind the kneecap, "
                               "where the evidence is (bramah2019)"),
        sources=sorted({*kb.rules.retest.sources, *kb.rules.ladder.sources, *kb.rules.cadence.sources}),
    )


def apply_progress(plan: Plan, prog: Progress) -> Plan:
    """Write the proposed rungs, the current phase and the cadence target into a plan (same version)."""
    rungs = dict(plan.rungs)
    for r in prog.rungs:
        rungs[r.exercise_id] = r.proposed
    moved = [f"{r.current_name} -> {r.proposed_name}" for r in prog.rungs if r.direction != "stay"]
    notes = [*plan.notes] + ([f"Ladder: {'; '.join(moved)}."] if moved else [])
    return plan.model_copy(update={
        "rungs": rungs, "current_phase": prog.current_phase, "notes": notes,
        "cadence_target_spm": prog.cadence.target_spm,
    })
