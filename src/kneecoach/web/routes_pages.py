"""HTML pages: home, intake, self-tests, results, plan (+PDF/ICS), upload, diary, review, invites.

Two URL families keep access control simple and testable:

* ``/intake``, ``/selftests``, ``/upload``, ``/diary``, ``/invites`` act on the
  signed-in runner's own data (no id in the URL, nothing to guess);
* ``/u/{owner_id}/...`` shows a runner's data read-only, to the runner or to a
  clinician they invited (:func:`~kneecoach.web.deps.viewable_owner`; anyone
  else gets 404).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kneecoach.intake.profile import Aggravator, PainLocation, SelfTests
from kneecoach.intake.units import form_from_km, form_to_km
from kneecoach.plan.models import Plan
from kneecoach.render.ics import WeekPlan, plan_to_ics
from kneecoach.render.pdf import plan_to_pdf
from kneecoach.store import jobs as repo_jobs
from kneecoach.store import care, plan_versions, repo, taps
from kneecoach.store.models import User
from kneecoach.tracking.diary import PAIN_TIMINGS
from kneecoach.web import kb, services
from kneecoach.web.accounts import links_of_runner, revoke_link
from kneecoach.web.deps import (
    DB,
    FORM,
    current_clinician,
    current_runner,
    current_user,
    viewable_owner,
)
from kneecoach.web.forms import (
    INTAKE_KEYS,
    SELF_TEST_KEYS,
    build_profile,
    drop_unanswered_section,
    nest,
    error_messages,
    flatten_form,
    flatten_model,
    parse_day,
)
from kneecoach.web.routes_today import new_key
from kneecoach.web.throttle import invite_checks, refusal
from kneecoach.web.templating import flash, render

router = APIRouter(include_in_schema=False)

PAIN_TIMING_LABELS = {
    "during": "During a run",
    "after": "Just after a run",
    "next_morning": "Next morning",
    "daily": "General, today",
}


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _owner_context(viewer: User, owner: User) -> dict:
    return {"owner": owner, "read_only": viewer.id != owner.id}


# --------------------------------------------------------------------------- home & invites


@router.get("/home")
def home(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    if user.role == "clinician":
        return _clinician_home(request, db, user)
    profile = repo.latest_profile(db, user.id)
    has_profile = profile is not None
    has_selftests = profile is not None and profile.self_tests != SelfTests()
    plan = repo.latest_plan(db, user.id)
    assessment = repo.latest_assessment(db, user.id)
    referral = bool(assessment and assessment.data.get("referral"))
    from kneecoach.tracking.progress import retest_due

    due = retest_due(repo.profile_history(db, user.id), date.today(), kb.kb()) if has_profile else None
    from kneecoach.web import routes_today

    today = routes_today.today_context(db, user) if plan else {}
    return render(request, "runner_home.html", today | {
        "has_profile": has_profile, "has_selftests": has_selftests, "plan_version": plan[0] if plan else None,
        "referral": referral, "retest_due": due,
        "has_assessment": assessment is not None, "links": links_of_runner(db, user.id),
        "unread": care.unread_for_runner(db, user.id),
        "run_count": (repo.run_span(db, user.id) or (0,))[0],  # one COUNT, not every row
    })


def _clinician_home(request: Request, db: Session, user: User, extra: dict | None = None, status: int = 200,
                   headers: dict | None = None) -> Response:
    """The clinician's home: the caseload ranked by need (issue 17) and the invite-code form."""
    from kneecoach.web.routes_clinician import caseload_context

    return render(request, "clinician_home.html", {**caseload_context(request, db, user), **(extra or {})},
                  status_code=status, headers=headers)


@router.post("/invites")
def create_invite(request: Request, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    link = repo.create_invite(db, user.id)
    flash(request, f"New invite code: {link.invite_code} - give it to your clinician or coach.")
    return RedirectResponse("/home", status_code=303)


@router.post("/invites/{link_id}/revoke")
def revoke_invite(link_id: int, request: Request, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    if not revoke_link(db, user, link_id):
        raise HTTPException(status_code=404, detail="Not found.")
    flash(request, "Access removed.")
    return RedirectResponse("/home", status_code=303)


@router.post("/invites/accept")
def accept_invite(request: Request, form: FormData = FORM, user: User = Depends(current_clinician),
                  db: Session = DB) -> Response:
    code = str(form.get("code", "")).strip()
    checks = invite_checks(user.id, request.client.host if request.client else "unknown")
    wait = request.app.state.throttle.acquire(checks, db=db)[0] if code else 0  # every code tried counts
    if wait > 0:
        return _clinician_home(request, db, user, {"code_error": refusal(wait), "code": code}, 429,
                               {"Retry-After": str(wait)})
    try:
        if not code:
            raise repo.RepoError("enter the code the runner gave you")
        link = repo.accept_invite(db, user.id, code)
    except repo.RepoError as exc:
        return _clinician_home(request, db, user, {"code_error": str(exc).capitalize(), "code": code}, 400)
    flash(request, f"You can now see {link.runner.display_name}'s results, plan and review.")
    return RedirectResponse("/home", status_code=303)


# --------------------------------------------------------------------------- intake & self-tests


def _intake_context(values: dict, errors: dict, flags: list | None = None, note: str = "") -> dict:
    """``flags``: the red-flag questions to show (those that apply to the profile so far)."""
    return {
        "values": values, "errors": errors, "kujala": kb.kujala_items(),
        "red_flags": flags if flags is not None else kb.red_flags_for(None, values),
        "triage": kb.triage_questions(),
        "flags_note": note,
        "locations": [(p.value, _label(p.value)) for p in PainLocation],
        "aggravators": [(a.value, _label(a.value)) for a in Aggravator],
    }


@router.get("/intake")
def intake_form(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    profile = repo.latest_profile(db, user.id)
    values = flatten_model(profile.model_dump(mode="json")) if profile else {"name": user.display_name}
    values = form_from_km(values, user.distance_unit)  # shown in the runner's unit (issue 16)
    return render(request, "intake.html", _intake_context(values, {}, kb.red_flags_for(profile, values)))


@router.post("/intake")
def intake_submit(request: Request, form: FormData = FORM, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    shown = set(str(values.pop("shown_flags", "")).split(","))
    values = drop_unanswered_section(values, "symptoms", ("symptoms.sides", "symptoms.locations"))
    if not values.get("name"):
        values["name"] = user.display_name  # the plan and PDF show a name; default to the account's
    base = repo.latest_profile(db, user.id)
    try:
        profile = build_profile(form_to_km(values, user.distance_unit),
                                base.model_dump(mode="json") if base else None, INTAKE_KEYS)
    except ValidationError as exc:
        return render(request, "intake.html", _intake_context(values, error_messages(exc)), status_code=400)
    flags = kb.red_flags_for(profile, values)
    if any(rf.show_when is not None and rf.id not in shown and f"red_flags.{rf.id}" not in values for rf in flags):
        # The answers made more safety questions relevant (age, an injury, a knee replacement):
        # ask them before anything is saved.
        note = "Your answers make a few more warning-sign questions relevant. Please answer them, then save again."
        return render(request, "intake.html", _intake_context(values, {}, flags, note))
    services.assess_and_store(db, user.id, profile, reason="intake")
    if base is None:
        flash(request, "Saved. Now the self-tests: they make the plan fit you.")
        return RedirectResponse("/selftests", status_code=303)
    flash(request, "Intake updated; your results and plan were recalculated.")
    return RedirectResponse(f"/u/{user.id}/results", status_code=303)


def _selftest_context(values: dict, errors: dict) -> dict:
    return {"values": values, "errors": errors, "tests": kb.self_tests()}


@router.get("/selftests")
def selftest_form(request: Request, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    profile = repo.latest_profile(db, user.id)
    if profile is None:
        flash(request, "Fill in the intake first.", "warn")
        return RedirectResponse("/intake", status_code=303)
    context = _selftest_context(flatten_model(profile.model_dump(mode="json")), {})
    context["clips"] = repo.list_video_clips(db, user.id)
    return render(request, "selftests.html", context)


@router.post("/selftests")
def selftest_submit(request: Request, form: FormData = FORM, user: User = Depends(current_runner),
                    db: Session = DB) -> Response:
    base = repo.latest_profile(db, user.id)
    if base is None:
        flash(request, "Fill in the intake first.", "warn")
        return RedirectResponse("/intake", status_code=303)
    values = flatten_form(form.multi_items())
    try:
        profile = build_profile(values, base.model_dump(mode="json"), SELF_TEST_KEYS)
    except ValidationError as exc:
        return render(request, "selftests.html", _selftest_context(values, error_messages(exc)), status_code=400)
    services.assess_and_store(db, user.id, profile, reason="self-tests")
    return RedirectResponse(f"/u/{user.id}/results", status_code=303)


@router.get("/retest")
def retest_form(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    profile = repo.latest_profile(db, user.id)
    if profile is None:
        flash(request, "Fill in the intake first.", "warn")
        return RedirectResponse("/intake", status_code=303)
    return render(request, "selftests.html", _retest_context(db, user.id, {}, {}))


def _retest_context(db: Session, owner_id: int, values: dict, errors: dict) -> dict:
    from kneecoach.tracking.progress import retest_due

    due = retest_due(repo.profile_history(db, owner_id), date.today(), kb.kb())
    return {"values": values, "errors": errors, "tests": kb.self_tests(), "retest": True,
            "kujala": kb.kujala_items(), "due_message": due.message}


@router.post("/retest")
def retest_submit(request: Request, form: FormData = FORM, user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    from kneecoach.intake.load import ProfileError
    from kneecoach.store.loop import NoProfile, record_retest

    values = flatten_form(form.multi_items())
    answers = nest(values, keep=("kujala", "self_tests"))
    answers.setdefault("self_tests", {})
    try:
        record_retest(db, user.id, answers, kb.kb(), date.today())
    except ProfileError as exc:
        errors = {p.split(":", 1)[0]: p.split(":", 1)[1].strip() for p in exc.problems}
        return render(request, "selftests.html", _retest_context(db, user.id, values, errors), status_code=400)
    except NoProfile:
        return RedirectResponse("/intake", status_code=303)
    flash(request, "Re-test saved. Here is how things have moved.")
    return RedirectResponse(f"/u/{user.id}/progress", status_code=303)


@router.get("/u/{owner_id}/progress")
def progress_page(request: Request, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
                  db: Session = DB) -> Response:
    prog, svg = services.progress_view(db, owner.id, unit=user.distance_unit)
    return render(request, "progress.html", {**_owner_context(user, owner), "prog": prog, "svg": svg})


# --------------------------------------------------------------------------- results & plan (viewable)


@router.get("/u/{owner_id}/results")
def results(request: Request, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
            db: Session = DB) -> Response:
    assessment = services.latest_assessment_json(db, owner.id)
    return render(request, "results.html", {
        **_owner_context(user, owner), "a": assessment, "sources": kb.sources(),
    })


def _start(start: str | None) -> date | None:
    """A ``?start=`` Monday to lay the plan out from (None: the plan's own week 1)."""
    if not start:
        return None
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise HTTPException(status_code=422, detail="start must be a date like 2026-01-05") from None
    if day.weekday() != 0:
        raise HTTPException(status_code=422, detail="start must be a Monday")
    return day


@router.get("/u/{owner_id}/plan")
def plan_page(request: Request, start: str | None = None, owner: User = Depends(viewable_owner),
              user: User = Depends(current_user), db: Session = DB) -> Response:
    view = services.plan_view(db, owner.id, _start(start), unit=user.distance_unit)
    assessment = services.latest_assessment_json(db, owner.id)
    ctx = {**_owner_context(user, owner), "view": view, "referral": (assessment or {}).get("referral"),
           "unit": user.distance_unit,  # the viewer's unit (issue 16); stored values stay km
           "versions": plan_versions.history(db, owner.id)}
    if view:
        version, plan, weeks, start_day = view
        ladders = kb.kb().ladders
        rung_names = {ex: ladders[ex].rungs[min(r, len(ladders[ex].rungs) - 1)].name
                      for ex, r in plan.rungs.items() if r and ex in ladders}
        ctx.update(version=version, plan=plan, weeks=weeks, start=start_day, rung_names=rung_names,
                   **_plan_focus(plan, weeks, date.today()))
    return render(request, "plan.html", ctx)


def _plan_focus(plan: Plan, weeks: list[WeekPlan], today: date) -> dict:
    """What the plan page opens on (issue 23): the week that holds ``today`` (else the first week,
    which is the usual case: a plan starts next Monday) and the current phase (measured, else the
    one the calendar puts that week in, else the first)."""
    this_week = next((w for w in weeks if w.days[0].date and w.days[-1].date
                      and w.days[0].date <= today <= w.days[-1].date), None)
    phases = sorted(plan.phases, key=lambda p: p.order)
    shown = this_week or (weeks[0] if weeks else None)
    # the measured phase (re-tests, diary) wins; else the phase the calendar puts this week in
    wanted = plan.current_phase or (shown.phase.id if shown and shown.phase else None)
    phase = next((p for p in phases if p.id == wanted), phases[0] if phases else None)
    return {"this_week": shown, "week_is_now": this_week is not None,
            "focus_phase": phase, "other_phases": [p for p in phases if p is not phase]}


@router.get("/u/{owner_id}/plan.pdf")
def plan_pdf(start: str | None = None, owner: User = Depends(viewable_owner),
             db: Session = DB) -> Response:
    view = services.plan_view(db, owner.id, _start(start), unit=owner.distance_unit)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    version, plan, _weeks, start_day = view
    titles = {k: getattr(v, "title", k) for k, v in kb.sources().items()}
    prog, _ = services.progress_view(db, owner.id)
    pdf = plan_to_pdf(plan, owner.display_name, services.runs_per_week(db, owner.id), start_day, titles, progress=prog,
                      unit=owner.distance_unit)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="kneecoach-plan-v{version}.pdf"'})


@router.get("/u/{owner_id}/plan.ics")
def plan_ics(start: str | None = None, owner: User = Depends(viewable_owner),
             db: Session = DB) -> Response:
    view = services.plan_view(db, owner.id, _start(start), unit=owner.distance_unit)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    _version, plan, _weeks, start_day = view
    body = plan_to_ics(plan, start_day, services.runs_per_week(db, owner.id), uid_prefix=f"u{owner.id}",
                       alarm_at=owner.reminder_time,  # the runner's reminder time and unit (issue 16)
                       unit=owner.distance_unit)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kneecoach-plan.ics"'})


@router.get("/u/{owner_id}/review")
def review_page(request: Request, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
                db: Session = DB) -> Response:
    from kneecoach.tracking.progress import no_gain_referral, retest_due, trend_points

    unit = user.distance_unit  # the viewer's unit (issue 16): sentences, chart and tables
    view = services.review_view(db, owner.id, unit=unit)
    history = repo.profile_history(db, owner.id)
    due = retest_due(history, date.today(), kb.kb()) if history else None
    no_gain = no_gain_referral(trend_points(history, kb.kb()), kb.kb()) if history else ""
    return render(request, "review.html", {**_owner_context(user, owner), "view": view, "retest_due": due,
                                           "no_gain": no_gain, "unit": unit})


@router.get("/u/{owner_id}/review.csv")
def review_csv(owner: User = Depends(viewable_owner), user: User = Depends(current_user), db: Session = DB) -> Response:
    """The review page's weekly load and pain as CSV, distances in the viewer's unit (named in the header)."""
    import csv
    import io

    from kneecoach.intake.units import DistanceFormat

    fmt = DistanceFormat(user.distance_unit)
    view = services.review_view(db, owner.id, unit=fmt.unit)
    if view is None:
        raise HTTPException(status_code=404, detail="No plan yet.")
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["week_start", f"distance_{fmt.unit}", "runs", "mean_pain", "max_pain_running"])
    for row in view.review.weeks:
        out.writerow([row.load.week_start.isoformat(), fmt.value(row.load.distance_km, 2), row.load.runs,
                      "" if row.mean_pain is None else row.mean_pain,
                      "" if row.max_run_pain is None else row.max_run_pain])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="kneecoach-weekly-load-{fmt.unit}.csv"'})


# --------------------------------------------------------------------------- upload


@router.get("/upload")
def upload_form(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    return render(request, "upload.html", {"results": None, "runs": repo.latest_run_rows(db, user.id, 20)[::-1],
                                           "max_mb": services.MAX_UPLOAD_BYTES // (1024 * 1024)})


async def upload_form_body(request: Request) -> FormData:
    """The upload form, parsed on the event loop with the upload limits (files spool to disk)."""
    return await request.form(max_files=services.MAX_UPLOAD_FILES, max_part_size=services.MAX_UPLOAD_BYTES)


@router.post("/upload")
def upload_submit(request: Request, form: FormData = Depends(upload_form_body), user: User = Depends(current_runner),
                  db: Session = DB) -> Response:
    """Queue each file as a background import job; answer with results, or progress links for big ones.

    A plain ``def`` route (thread pool): reading the spooled files, queueing
    and waiting never block the event loop. The request's session is
    committed first, so the request holds one pooled connection at a time.
    """
    from kneecoach.web import jobs as web_jobs

    db.commit()  # give the connection back while the jobs are queued and awaited
    files = [f for f in form.getlist("files") if hasattr(f, "read")]
    results: list[services.FileResult] = []
    submitted: list[tuple[int, bool]] = []
    if not files:
        results.append(services.FileResult("(none)", False, "Choose at least one file."))
    for f in files:
        data = f.file.read(services.MAX_UPLOAD_BYTES + 1)  # type: ignore[union-attr]
        outcome = web_jobs.submit_upload(request.app, user.id, f.filename or "", data)  # type: ignore[union-attr]
        if isinstance(outcome, services.FileResult):
            results.append(outcome)
        else:
            submitted.append(outcome)
    wait_s = float(getattr(request.app.state, "upload_wait_s", web_jobs.INLINE_WAIT_S))
    web_jobs.wait_for(request.app, user.id, [i for i, _ in submitted], wait_s)
    db.expire_all()
    pending: list[dict[str, object]] = []
    for job_id, created in submitted:
        job = repo_jobs.get_job(db, user.id, job_id)
        if job is None:  # pragma: no cover - just created for this owner
            continue
        line = web_jobs.as_file_result(job, repeat=not created)
        if line is None:
            pending.append(web_jobs.job_view(job))
        else:
            results.append(line)
    wants_json = "application/json" in request.headers.get("accept", "")
    status = 200 if any(r.ok for r in results) else (202 if pending else 400)
    if wants_json:
        return JSONResponse({"files": [r.__dict__ for r in results], "jobs": pending}, status_code=status)
    return render(request, "upload.html", {"results": results, "pending": pending,
                                           "runs": repo.latest_run_rows(db, user.id, 20)[::-1],
                                           "max_mb": services.MAX_UPLOAD_BYTES // (1024 * 1024)},
                  status_code=status)


@router.get("/jobs/{job_id}")
def job_page(job_id: int, request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    """Progress of one background job; the page refreshes itself until the job has ended."""
    from kneecoach.web import jobs as web_jobs

    job = repo_jobs.get_job(db, user.id, job_id)
    if job is None or job.kind != web_jobs.IMPORT_KIND:  # video jobs have their own page
        raise HTTPException(status_code=404, detail="No such import.")
    view = web_jobs.job_view(job)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(view)
    return render(request, "job.html", {"job": view, "line": web_jobs.as_file_result(job)})


# --------------------------------------------------------------------------- diary


def _diary_context(db: Session, user: User, values: dict, errors: dict) -> dict:
    from kneecoach.store import diary_edit

    sessions, pain = diary_edit.recent(db, user.id, date.today())  # the last 30 days, with Edit and Delete
    return {
        "values": values, "errors": errors, "timings": PAIN_TIMING_LABELS, "exercises": kb.exercise_names(),
        "pain": pain, "sessions": sessions, "recent_days": diary_edit.RECENT_DAYS,
        "today": date.today().isoformat(), "new_key": new_key, **_runlog_context(),
    }


def _runlog_context() -> dict:
    """The hand-run and day-mark forms' choices (routes_runlog handles their posts)."""
    from kneecoach.tracking.diary import DAY_FLAG_LABELS

    return {"day_marks": DAY_FLAG_LABELS}


@router.get("/diary")
def diary(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    return render(request, "diary.html", _diary_context(db, user, {}, {}))


def _int_or_none(value: str, field: str, errors: dict) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        errors[field] = "Enter a whole number."
        return None


def _float_or_none(value: str, field: str, errors: dict) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        errors[field] = "Enter a number."
        return None


@router.post("/diary/pain")
def diary_pain(request: Request, form: FormData = FORM, user: User = Depends(current_runner),
               db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    errors: dict[str, str] = {}
    try:
        day = parse_day(values.get("pain_day"))
    except ValueError as exc:
        errors["pain_day"] = str(exc)
    score = _int_or_none(values.get("score", ""), "score", errors)
    if score is None and "score" not in errors:
        errors["score"] = "Choose a score from 0 to 10."
    timing = values.get("timing", "")
    if timing not in PAIN_TIMINGS:
        errors["timing"] = "Choose when you felt it."
    replayed = False
    if not errors:
        try:  # keyed (issue 16): a resubmitted form is stored once
            replayed = taps.log_pain(db, user.id, day, timing, score, note=values.get("pain_note", "")[:500],
                                     key=values.get("idempotency_key") or None).replayed
        except ValueError as exc:
            errors["pain_day" if "future" in str(exc) else "score"] = str(exc)[:1].upper() + str(exc)[1:]
    if errors:
        return render(request, "diary.html", _diary_context(db, user, values, errors), status_code=400)
    flash(request, "Already saved (this form was sent before); nothing new stored." if replayed else "Pain entry saved.")
    return RedirectResponse("/diary", status_code=303)


@router.post("/diary/exercise")
def diary_exercise(request: Request, form: FormData = FORM, user: User = Depends(current_runner),
                   db: Session = DB) -> Response:
    values = flatten_form(form.multi_items())
    errors: dict[str, str] = {}
    try:
        day = parse_day(values.get("ex_day"))
    except ValueError as exc:
        errors["ex_day"] = str(exc)
    sets = _int_or_none(values.get("sets", ""), "sets", errors)
    reps = _int_or_none(values.get("reps", ""), "reps", errors)
    hold = _float_or_none(values.get("hold_s", ""), "hold_s", errors)
    load = _float_or_none(values.get("load_kg", ""), "load_kg", errors)
    if not values.get("exercise_id"):
        errors["exercise_id"] = "Choose an exercise."
    replayed = False
    if not errors:
        try:
            replayed = taps.log_exercise(db, user.id, day, values["exercise_id"], sets, reps, hold, load,
                                         note=values.get("ex_note", "")[:500], known_ids=frozenset(kb.exercise_names()),
                                         key=values.get("idempotency_key") or None).replayed
        except ValueError as exc:
            msg = str(exc)
            field = next((f for f in ("sets", "reps", "hold", "load") if msg.startswith(f)), "exercise_id")
            field = "ex_day" if "future" in msg else field
            errors[{"hold": "hold_s", "load": "load_kg"}.get(field, field)] = msg[:1].upper() + msg[1:]
    if errors:
        return render(request, "diary.html", _diary_context(db, user, values, errors), status_code=400)
    flash(request, "Already saved (this form was sent before); nothing new stored." if replayed
          else "Exercise session saved.")
    return RedirectResponse("/diary", status_code=303)


# --------------------------------------------------------------------------- clinician view of a runner


@router.get("/u/{owner_id}")
def runner_overview(owner: User = Depends(viewable_owner)) -> Response:
    return RedirectResponse(f"/u/{owner.id}/results", status_code=303)
