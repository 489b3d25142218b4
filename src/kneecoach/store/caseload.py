"""The facts the caseload ranks on, for every runner of a clinician, in a fixed number of queries.

A clinician may follow hundreds of runners; one query per runner would be hundreds of round trips
per page. Each fact here is one grouped query over all the clinician's runners (latest assessment,
latest plan's stored summary, two weeks of pain, exercise days and runs, the two latest Kujala
answers, last activity, unread notes, last visit), then assembled per runner in Python. Plan and
assessment documents are not parsed: the plan's ``summary`` column and one JSON field of the
assessment are read instead.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kneecoach.knowledge.loader import KnowledgeBase
from kneecoach.store import care
from kneecoach.store.models import (
    AssessmentRecord,
    CareLink,
    ExerciseSession,
    PainEntry,
    PlanRecord,
    ProfileRecord,
    RunRecord,
    User,
)
from kneecoach.tracking.adherence import adherence_over
from kneecoach.tracking.caseload import CaseFacts


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def _latest_ids(model: Any, owners: list[int]) -> Any:
    return select(func.max(model.id)).where(model.owner_id.in_(owners)).group_by(model.owner_id)


def caseload_facts(s: Session, clinician_id: int, today: date, kb: KnowledgeBase) -> list[CaseFacts]:
    """One :class:`CaseFacts` per runner linked to ``clinician_id`` (accepted link), by name."""
    runners = s.execute(
        select(User.id, User.display_name, User.created_at).join(CareLink, CareLink.runner_id == User.id)
        .where(CareLink.clinician_id == clinician_id, CareLink.accepted_at.is_not(None), User.role == "runner")
        .distinct()
    ).all()
    if not runners:
        return []
    ids = [r.id for r in runners]
    since = today - timedelta(days=13)
    week_start = today - timedelta(days=today.weekday())
    since_dt = datetime.combine(since, datetime.min.time(), timezone.utc)
    week_dt = datetime.combine(week_start, datetime.min.time(), timezone.utc)

    # latest assessment: is there a referral, and when
    referral: dict[int, tuple[bool, datetime | None]] = {}
    for owner, ref, at in s.execute(
        select(AssessmentRecord.owner_id, AssessmentRecord.data["referral"].as_string(), AssessmentRecord.created_at)
        .where(AssessmentRecord.id.in_(_latest_ids(AssessmentRecord, ids)))
    ):
        referral[owner] = (ref not in (None, "", "null"), _utc(at))

    # latest plan: its stored summary (old rows without one: read off the document once)
    plans: dict[int, tuple[dict[str, Any], datetime | None]] = {}
    for owner, summary, at, rid in s.execute(
        select(PlanRecord.owner_id, PlanRecord.summary, PlanRecord.created_at, PlanRecord.id)
        .where(PlanRecord.id.in_(_latest_ids(PlanRecord, ids)))
    ):
        plans[owner] = (summary or _summary_of(s, rid), _utc(at))

    # pain: the last 14 days, and the latest score whenever it was
    pain14: dict[int, list[tuple[date, str, int]]] = defaultdict(list)
    for owner, day, timing, score in s.execute(
        select(PainEntry.owner_id, PainEntry.day, PainEntry.timing, PainEntry.score)
        .where(PainEntry.owner_id.in_(ids), PainEntry.day >= since, PainEntry.day <= today)
    ):
        pain14[owner].append((day, timing, score))
    current_pain = dict(s.execute(
        select(PainEntry.owner_id, PainEntry.score).where(PainEntry.id.in_(_latest_ids(PainEntry, ids)))
    ).all())

    ex_days: dict[int, set[date]] = defaultdict(set)
    for owner, day in s.execute(
        select(ExerciseSession.owner_id, ExerciseSession.day).distinct()
        .where(ExerciseSession.owner_id.in_(ids), ExerciseSession.day >= since, ExerciseSession.day <= today)
    ):
        ex_days[owner].add(day)

    km_week = {o: float(m or 0) / 1000 for o, m in s.execute(
        select(RunRecord.owner_id, func.sum(RunRecord.distance_m))
        .where(RunRecord.owner_id.in_(ids), RunRecord.start_time >= week_dt, RunRecord.speed_unconfirmed.is_(False))
        .group_by(RunRecord.owner_id)
    )}

    last_activity: dict[int, date] = {}
    for stmt in (
        select(RunRecord.owner_id, func.max(RunRecord.start_time)).where(RunRecord.owner_id.in_(ids))
        .group_by(RunRecord.owner_id),
        select(PainEntry.owner_id, func.max(PainEntry.day)).where(PainEntry.owner_id.in_(ids))
        .group_by(PainEntry.owner_id),
        select(ExerciseSession.owner_id, func.max(ExerciseSession.day)).where(ExerciseSession.owner_id.in_(ids))
        .group_by(ExerciseSession.owner_id),
    ):
        for owner, last in s.execute(stmt):
            d = last.date() if isinstance(last, datetime) else last
            if d is not None and (owner not in last_activity or d > last_activity[owner]):
                last_activity[owner] = d

    # the two latest measurements (intake or re-test): Kujala now and its change, and when
    ranked = (select(ProfileRecord.owner_id.label("owner"), ProfileRecord.created_at.label("at"),
                     ProfileRecord.data["kujala"].label("kujala"),
                     func.row_number().over(partition_by=ProfileRecord.owner_id,
                                            order_by=ProfileRecord.id.desc()).label("n"))
              .where(ProfileRecord.owner_id.in_(ids)).subquery())
    measures: dict[int, list[tuple[datetime | None, int | None]]] = defaultdict(list)
    for owner, at, answers, _n in s.execute(select(ranked).where(ranked.c.n <= 2).order_by(ranked.c.owner, ranked.c.n)):
        measures[owner].append((_utc(at), _kujala(answers, kb)))

    unread = care.unread_for_clinician(s, clinician_id)
    visits = care.last_visits(s, clinician_id, ids)

    out = []
    for r in runners:
        ref, ref_at = referral.get(r.id, (False, None))
        summary, plan_at = plans.get(r.id, ({}, None))
        pause_at = summary.get("pause_running_at")
        pains = pain14.get(r.id, [])
        run_pains = [sc for _d, t, sc in pains if t == "during"]
        recent = [sc for d, _t, sc in pains if d > today - timedelta(days=7)]
        before = [sc for d, _t, sc in pains if d <= today - timedelta(days=7)]
        rise = round(sum(recent) / len(recent) - sum(before) / len(before), 1) if recent and before else None
        days_pw = int(summary.get("exercise_days_per_week") or 0)
        adherence = adherence_over(ex_days.get(r.id, set()), days_pw, today) if summary else None
        m = measures.get(r.id, [])
        kujala = m[0][1] if m else None
        change = (m[0][1] - m[1][1]) if len(m) > 1 and m[0][1] is not None and m[1][1] is not None else None
        last = last_activity.get(r.id) or (_utc(r.created_at) or datetime.now(timezone.utc)).date()
        visit = visits.get(r.id)
        ramp = summary.get("ramp_km") or []
        planned = None
        if ramp and plan_at is not None:
            week_n = max(0, (today - plan_at.date()).days // 7)
            planned = float(ramp[min(week_n, len(ramp) - 1)])
        out.append(CaseFacts(
            runner_id=r.id, name=r.display_name, referral=ref,
            referral_since_visit=ref and (visit is None or (ref_at is not None and ref_at > _utc(visit))),
            current_pain=current_pain.get(r.id), max_run_pain_14d=max(run_pains) if run_pains else None,
            pause_running_at=pause_at,
            pain_at_or_over_pause=bool(run_pains and pause_at is not None and max(run_pains) >= pause_at),
            pain_rise=rise, kujala=kujala, kujala_change=change,
            kujala_fall=-change if change is not None and change < 0 else None,
            adherence_pct=None if adherence is None else round(adherence * 100),
            days_since_measure=(today - m[0][0].date()).days if m and m[0][0] else None,
            days_inactive=(today - last).days, unread_notes=unread.get(r.id, 0),
            km_this_week=round(km_week.get(r.id, 0.0), 1), planned_km_this_week=planned,
            running_held=bool(summary.get("running_held")), clinician_changes=int(summary.get("clinician_changes") or 0),
            has_plan=bool(summary),
        ))
    return out


def _kujala(answers: Any, kb: KnowledgeBase) -> int | None:
    from kneecoach.intake.kujala import KujalaAnswerError, score_kujala

    if not isinstance(answers, dict) or not answers:
        return None
    try:
        return score_kujala(answers, kb.kujala).score
    except KujalaAnswerError:
        return None


def _summary_of(s: Session, plan_id: int) -> dict[str, Any]:
    """The summary of a plan stored before summaries existed (read once, then stored on the row)."""
    from kneecoach.plan.models import Plan
    from kneecoach.plan.summary import plan_summary

    rec = s.get(PlanRecord, plan_id)
    if rec is None:
        return {}
    rec.summary = plan_summary(Plan.model_validate(rec.data))
    return rec.summary


__all__ = ["caseload_facts"]
