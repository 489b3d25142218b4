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

from sqlalchemy import case, func, select
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
from kneecoach.plan.summary import SUMMARY_VERSION
from kneecoach.tracking.adherence import adherence_share
from kneecoach.tracking.caseload import CaseFacts


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def _latest_ids(model: Any, owners: Any) -> Any:
    return select(func.max(model.id)).where(model.owner_id.in_(owners)).group_by(model.owner_id)


def caseload_facts(s: Session, clinician_id: int, today: date, kb: KnowledgeBase) -> list[CaseFacts]:
    """One :class:`CaseFacts` per runner linked to ``clinician_id`` (accepted link), by name.

    Queries run on the Core connection (no ORM row objects) and filter on a sub-select of the
    clinician's runners rather than a list of hundreds of ids; aggregates are computed by the
    database, so the rows read are about one per runner per fact.
    """
    mine = (select(CareLink.runner_id)
            .where(CareLink.clinician_id == clinician_id, CareLink.accepted_at.is_not(None)))
    conn = s.connection()
    runners = conn.execute(
        select(User.id, User.display_name, User.created_at).where(User.id.in_(mine), User.role == "runner")
    ).all()
    if not runners:
        return []
    since = today - timedelta(days=13)
    week_ago = today - timedelta(days=6)
    week_start = today - timedelta(days=today.weekday())
    week_dt = datetime.combine(week_start, datetime.min.time(), timezone.utc)

    # latest assessment: is there a referral, and when
    referral: dict[int, tuple[bool, datetime | None]] = {}
    for owner, ref, at in conn.execute(
        select(AssessmentRecord.owner_id, AssessmentRecord.data["referral"].as_string(), AssessmentRecord.created_at)
        .where(AssessmentRecord.id.in_(_latest_ids(AssessmentRecord, mine)))
    ):
        referral[owner] = (ref not in (None, "", "null"), _utc(at))

    # latest plan: its stored summary (old rows without one: read off the document once)
    plans: dict[int, tuple[dict[str, Any], datetime | None]] = {}
    for owner, summary, at, rid in conn.execute(
        select(PlanRecord.owner_id, PlanRecord.summary, PlanRecord.created_at, PlanRecord.id)
        .where(PlanRecord.id.in_(_latest_ids(PlanRecord, mine)))
    ):
        current = summary if summary and summary.get("v") == SUMMARY_VERSION else _summary_of(s, rid)
        plans[owner] = (current, _utc(at))

    # pain in the last 14 days, summed up by the database: worst score during a run, the mean
    # of the last 7 days and of the 7 before; and the latest score whenever it was
    recent = PainEntry.day >= week_ago
    pain: dict[int, tuple[Any, ...]] = {row[0]: tuple(row[1:]) for row in conn.execute(
        select(PainEntry.owner_id,
               func.max(case((PainEntry.timing == "during", PainEntry.score))),
               func.avg(case((recent, PainEntry.score))), func.avg(case((~recent, PainEntry.score))))
        .where(PainEntry.owner_id.in_(mine), PainEntry.day >= since, PainEntry.day <= today)
        .group_by(PainEntry.owner_id)
    )}
    current_pain = dict(conn.execute(
        select(PainEntry.owner_id, PainEntry.score).where(PainEntry.id.in_(_latest_ids(PainEntry, mine)))
    ).all())

    # unsettled mornings (next-morning pain above the plan's limit): only rows above the lowest
    # limit of any plan are read, then each runner's own limit and longest run of days is applied
    limits = [int(sm.get("max_next_morning", 10)) for sm, _ in plans.values() if sm]
    mornings: dict[int, list[tuple[date, int]]] = defaultdict(list)
    if limits:
        for owner, day, score in conn.execute(
            select(PainEntry.owner_id, PainEntry.day, PainEntry.score)
            .where(PainEntry.owner_id.in_(mine), PainEntry.day >= since, PainEntry.day <= today,
                   PainEntry.timing == "next_morning", PainEntry.score > min(limits))
        ):
            mornings[owner].append((_as_date(day), score))

    ex_days = dict(conn.execute(
        select(ExerciseSession.owner_id, func.count(func.distinct(ExerciseSession.day)))
        .where(ExerciseSession.owner_id.in_(mine), ExerciseSession.day >= since, ExerciseSession.day <= today)
        .group_by(ExerciseSession.owner_id)
    ).all())

    km_week = {o: float(m or 0) / 1000 for o, m in conn.execute(
        select(RunRecord.owner_id, func.sum(RunRecord.distance_m))
        .where(RunRecord.owner_id.in_(mine), RunRecord.start_time >= week_dt, RunRecord.speed_unconfirmed.is_(False))
        .group_by(RunRecord.owner_id)
    )}

    last_activity: dict[int, date] = {}
    for stmt in (
        select(RunRecord.owner_id, func.max(RunRecord.start_time)).where(RunRecord.owner_id.in_(mine))
        .group_by(RunRecord.owner_id),
        select(PainEntry.owner_id, func.max(PainEntry.day)).where(PainEntry.owner_id.in_(mine))
        .group_by(PainEntry.owner_id),
        select(ExerciseSession.owner_id, func.max(ExerciseSession.day)).where(ExerciseSession.owner_id.in_(mine))
        .group_by(ExerciseSession.owner_id),
    ):
        for owner, last in conn.execute(stmt):
            d = _as_date(last)
            if d is not None and (owner not in last_activity or d > last_activity[owner]):
                last_activity[owner] = d

    # the two latest measurements (intake or re-test): Kujala now and its change, and when
    ranked = (select(ProfileRecord.owner_id.label("owner"), ProfileRecord.created_at.label("at"),
                     ProfileRecord.data["kujala"].label("kujala"),
                     func.row_number().over(partition_by=ProfileRecord.owner_id,
                                            order_by=ProfileRecord.id.desc()).label("n"))
              .where(ProfileRecord.owner_id.in_(mine)).subquery())
    measures: dict[int, list[tuple[datetime | None, int | None]]] = defaultdict(list)
    for owner, at, answers, _n in conn.execute(select(ranked).where(ranked.c.n <= 2)
                                               .order_by(ranked.c.owner, ranked.c.n)):
        measures[owner].append((_utc(_as_datetime(at)), _kujala(answers, kb)))

    unread = care.unread_for_clinician(s, clinician_id)
    visits = care.last_visits(s, clinician_id)

    out = []
    for r in runners:
        ref, ref_at = referral.get(r.id, (False, None))
        summary, plan_at = plans.get(r.id, ({}, None))
        pause_at = summary.get("pause_running_at")
        worst_run, mean_recent, mean_before = pain.get(r.id, (None, None, None))
        limit = summary.get("max_next_morning")
        streak = (longest_streak({d for d, sc in mornings.get(r.id, []) if sc > limit})
                  if limit is not None else 0)
        pause_after = summary.get("pause_after_unsettled_mornings")
        rise = (round(float(mean_recent) - float(mean_before), 1)
                if mean_recent is not None and mean_before is not None else None)
        days_pw = int(summary.get("exercise_days_per_week") or 0)
        # judged over the last 14 days, or since the plan began if sooner; not in its first week
        window = min(14, (today - plan_at.date()).days + 1) if plan_at is not None else 0
        adherence = adherence_share(int(ex_days.get(r.id, 0)), days_pw, window) if summary and window >= 7 else None
        m = measures.get(r.id, [])
        kujala = m[0][1] if m else None
        change = (m[0][1] - m[1][1]) if len(m) > 1 and m[0][1] is not None and m[1][1] is not None else None
        scored = [(at, k) for at, k in m if k is not None]  # newest first
        mcid = kb.rules.retest.kujala_mcid
        no_gain = ((scored[0][0] - scored[-1][0]).days // 7
                   if len(scored) > 1 and scored[0][1] - scored[-1][1] < mcid and scored[-1][1] <= 100 - mcid else None)
        last = last_activity.get(r.id) or _as_date(r.created_at) or today
        visit = visits.get(r.id)
        planned = _planned_km(summary, plan_at, today)
        out.append(CaseFacts(
            runner_id=r.id, name=r.display_name, referral=ref,
            referral_since_visit=ref and (visit is None or (ref_at is not None and ref_at > _utc(_as_datetime(visit)))),
            current_pain=current_pain.get(r.id), max_run_pain_14d=worst_run,
            pause_running_at=pause_at,
            pain_at_or_over_pause=worst_run is not None and pause_at is not None and worst_run >= pause_at,
            unsettled_mornings=streak,
            mornings_pause=bool(pause_after and streak >= pause_after),
            pain_rise=rise, kujala=kujala, kujala_change=change,
            kujala_fall=-change if change is not None and change < 0 else None,
            kujala_no_gain_weeks=no_gain,
            adherence_pct=None if adherence is None else round(adherence * 100),
            days_since_measure=(today - m[0][0].date()).days if m and m[0][0] else None,
            days_inactive=(today - last).days, unread_notes=unread.get(r.id, 0),
            km_this_week=round(km_week.get(r.id, 0.0), 1), planned_km_this_week=planned,
            running_held=bool(summary.get("running_held")), clinician_changes=int(summary.get("clinician_changes") or 0),
            has_plan=bool(summary),
        ))
    return out


def longest_streak(days: set[date | None]) -> int:
    """The most days in a row in ``days``."""
    best = 0
    for d in days:
        if d is None or (d - timedelta(days=1)) in days:
            continue
        n = 1
        while d + timedelta(days=n) in days:
            n += 1
        best = max(best, n)
    return best


def _as_datetime(value: Any) -> datetime | None:
    """Core rows from SQLite may carry a datetime as text; PostgreSQL gives datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date() if len(str(value)) > 10 else date.fromisoformat(str(value))


def _kujala(answers: Any, kb: KnowledgeBase) -> int | None:
    if isinstance(answers, str):
        import json

        answers = json.loads(answers)
    if not isinstance(answers, dict) or not answers:
        return None
    key = (kb.version, tuple(sorted(answers.items())))
    if key not in _KUJALA_SCORES:
        from kneecoach.intake.kujala import KujalaAnswerError, score_kujala

        if len(_KUJALA_SCORES) > 4096:
            _KUJALA_SCORES.clear()
        try:
            _KUJALA_SCORES[key] = score_kujala(answers, kb.kujala).score
        except KujalaAnswerError:
            _KUJALA_SCORES[key] = None
    return _KUJALA_SCORES[key]


#: Kujala scores by (knowledge version, answers): scored once per distinct set of answers.
_KUJALA_SCORES: dict[tuple[str, tuple[tuple[str, str], ...]], int | None] = {}


def _planned_km(summary: dict[str, Any], plan_at: datetime | None, today: date) -> float | None:
    """The stored plan's distance for the week holding ``today``: the ramp entry numbered with that
    plan-calendar week (counted from ``start_date``), the first before it starts, the last after the
    ramp ends. (The walk's unsaved holds are for the runner's own pages; a caseload of hundreds reads
    only the stored summary.)"""
    ramp = summary.get("ramp_km") or []
    if not ramp:
        return None
    start = summary.get("start_date")
    if start is None:  # an older summary: count from the day the version was saved
        if plan_at is None:
            return None
        return float(ramp[min(max(0, (today - plan_at.date()).days // 7), len(ramp) - 1)])
    number = (today - date.fromisoformat(start)).days // 7 + 1
    weeks = summary.get("ramp_weeks") or list(range(1, len(ramp) + 1))
    if number <= weeks[0]:
        return float(ramp[0])
    return float(next((km for w, km in zip(weeks, ramp) if w == number), ramp[-1]))


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
