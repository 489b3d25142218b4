"""What the HTML pages and the JSON API both do, written once.

Each function takes an open session and the *owner* id (the runner whose data
it is); callers have already checked the viewer may act for that owner.
All health-data access goes through :mod:`kneecoach.store.repo`.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kneecoach.intake.profile import Profile
from kneecoach.plan.models import Plan
from kneecoach.render.ics import WeekPlan, next_monday, weekly_schedule
from kneecoach.store import repo
from kneecoach.store.models import User
from kneecoach.web import kb
from kneecoach.web.chart import ChartWeek, load_pain_svg

log = logging.getLogger("kneecoach.web")

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_UPLOAD_FILES = 50


def assess_and_store(db: Session, owner_id: int, profile: Profile, reason: str) -> Any:
    """Run the engine on ``profile`` and store profile, assessment and plan (one transaction).

    The rise in weekly distance is read from the runner's imported runs first (bone stress screen).
    """
    from kneecoach.store.run_load import with_run_load

    profile = with_run_load(db, owner_id, profile)
    owner = db.get(User, owner_id)
    assessment = kb.run_assessment(profile, getattr(owner, "distance_unit", None) or "km")
    repo.save_assessment_and_plan(db, owner_id, profile, assessment, reason=reason)
    return assessment


def latest_assessment_json(db: Session, owner_id: int) -> dict[str, Any] | None:
    rec = repo.latest_assessment(db, owner_id)
    return None if rec is None else rec.data


def runs_per_week(db: Session, owner_id: int) -> int:
    profile = repo.latest_profile(db, owner_id)
    return profile.running.runs_per_week if profile else 3


def plan_view(db: Session, owner_id: int, start: date | None = None,
              today: date | None = None, unit: str = "km") -> tuple[int, Plan, list[WeekPlan], date] | None:
    """(version, plan in force, weekly schedule, Monday of plan week 1) or None without a plan.

    The plan is the stored one as the weekly review has it in force on ``today`` (weeks walked,
    the week decided, the way on: :func:`kneecoach.tracking.weekly_walk.plan_in_force`), so the plan
    page, the calendar and the PDF say what Today and the review say, saved or not. ``start``
    lays the schedule out from another Monday instead of the plan's own week 1. ``unit`` words the
    notes of weeks the walk rebuilt (the reader's unit; the distances stay km).
    """
    from kneecoach.store.review_data import load_walk
    from kneecoach.tracking.weekly_walk import plan_in_force

    found = load_walk(db, owner_id, today or date.today(), unit=unit)
    if found is None:
        return None
    version, plan, walked = found
    plan = plan_in_force(plan, walked)
    start = start or plan.start_date or next_monday()
    return version, plan, weekly_schedule(plan, runs_per_week(db, owner_id), start), start


@dataclass
class ReviewView:
    review: Any
    svg: str
    weeks: list[ChartWeek]
    referral_reasons: list[str]
    disclaimer: str


def review_view(db: Session, owner_id: int, today: date | None = None, unit: str = "km") -> ReviewView | None:
    """The weekly review of the owner's plan weeks (same walk as ``kneecoach review``), with its chart, its
    sentences and chart in ``unit`` (the viewer's; the decision is the same in any unit)."""
    from kneecoach.store.review_data import load_review, referral_reasons

    found = load_review(db, owner_id, today or date.today(), unit=unit)
    if found is None:
        return None
    _version, plan, result = found
    weeks = [
        # km to a tenth as always; unrounded for another unit, which rounds once when shown
        ChartWeek(week_start=row.load.week_start,
                  km=round(row.load.distance_km, 1) if unit == "km" else row.load.distance_km, mean_pain=row.mean_pain,
                  max_pain=row.max_run_pain)
        for row in result.weeks
    ]
    return ReviewView(review=result, svg=load_pain_svg(weeks, plan.pain_rule.max_during_run, unit=unit), weeks=weeks,
                      referral_reasons=referral_reasons(plan), disclaimer=plan.disclaimer)


@dataclass
class FileResult:
    name: str
    ok: bool
    message: str
    added: int = 0
    duplicates: int = 0


def import_upload(factory: sessionmaker[Session], owner_id: int, name: str, data: bytes,
                  on_progress: Any = None) -> FileResult:
    """Import one uploaded file (GPX/TCX/FIT, optionally .gz, or a zip export) in its own transaction.

    A bad file is reported on its own; the runner's other files and everything
    already stored are untouched (the store's import writes a batch in one
    transaction or not at all). Zips go through a private temporary file
    because the store's zip walker reads from disk; member names are never
    used as paths.
    """
    from kneecoach.store.imports import ImportWriteError, import_bytes, import_path

    safe_name = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    if not data:
        return FileResult(safe_name, False, "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        return FileResult(safe_name, False, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        if safe_name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
            with tempfile.TemporaryDirectory(prefix="kneecoach-upload-") as tmp:
                path = Path(tmp) / "upload.zip"
                path.write_bytes(data)
                report = import_path(factory, owner_id, path, on_progress=on_progress)
        else:
            report = import_bytes(factory, owner_id, safe_name, data)
    except ImportWriteError as exc:  # the database refused the batch: say which files to upload again
        log.warning("import not stored (%s): %d file(s)", exc.cause_name, len(exc.names))
        return FileResult(safe_name, False, not_stored_message(safe_name, exc.names))
    except Exception:  # noqa: BLE001 - never show a traceback; log without contents
        log.exception("import failed for one uploaded file")
        return FileResult(safe_name, False, "This file could not be stored; nothing from it was saved.")
    return _report_to_result(safe_name, report)


def not_stored_message(upload: str, names: list[str], shown: int = 10) -> str:
    """What the runner reads when the database refused an import: which files to upload again."""
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
    what = listed if names and names != [upload] else upload
    return (f"The database was too busy to store this upload; nothing from it was saved. "
            f"Not stored: {what}. Please upload it again.")


def safe_upload_name(name: str) -> str:
    """The last path component of a browser-sent file name, at most 200 characters."""
    return (name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"


def _report_to_result(name: str, report: Any) -> FileResult:
    """One line per uploaded file: counts, then the first few per-member problems."""
    dups = len(report.duplicates)
    bits = [f"{report.imported} run{'s' if report.imported != 1 else ''} added"]
    if dups:
        bits.append(f"{dups} already stored")
    if report.skipped_non_running:
        bits.append(f"{len(report.skipped_non_running)} non-running activities skipped")
    if report.speed_flagged:
        bits.append(f"{len(report.speed_flagged)} too fast for running (a car or bike file?): not counted in "
                    "load until you confirm them in the runs list")
    for err in report.errors[:5]:
        bits.append(_strip_name(err.error or "could not be read", err.name, name))
    if len(report.errors) > 5:
        bits.append(f"and {len(report.errors) - 5} more unreadable files")
    ok = not report.all_failed and report.files_seen > 0
    if report.files_seen == 0:
        bits = ["No GPX, TCX or FIT files found in it."]
    return FileResult(name, ok, "; ".join(bits), report.imported, dups)


def _strip_name(message: str, member: str, upload: str) -> str:
    """The importer prefixes messages with the file name; show it once, and only for zip members."""
    for prefix in (f"{member}: ", f"{upload}: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message if member == upload else f"{member}: {message}"


def progress_view(db: Session, owner_id: int, today: date | None = None, unit: str = "km") -> tuple[Any, str]:
    """(Progress, trend chart SVG with distances in ``unit``) or (None, "") before the first plan."""
    from kneecoach.store.loop import NoProfile, load_progress
    from kneecoach.tracking.load import weekly_load
    from kneecoach.web.chart import ChartWeek, trends_svg

    today = today or date.today()
    try:
        _, _, prog = load_progress(db, owner_id, today, kb.kb())
    except NoProfile:
        return None, ""
    start = min([p.day for p in prog.trend] + [today])
    weeks = weekly_load(repo.list_runs(db, owner_id, since=start), start=start, end=today)
    pain = repo.pain_obs(repo.list_pain(db, owner_id, since=start))
    by_week: dict[date, list[int]] = {}
    for p in pain:
        by_week.setdefault(p.day - timedelta(days=p.day.weekday()), []).append(p.score)
    chart = [ChartWeek(w.week_start, w.distance_km,
                       (sum(by_week[w.week_start]) / len(by_week[w.week_start])) if w.week_start in by_week else None)
             for w in weeks]
    return prog, trends_svg(prog.trend, chart, unit=unit)
