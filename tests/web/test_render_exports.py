"""Weekly schedule, PDF and iCalendar rendering of a plan (no web server involved)."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.plan.schedule import EXERCISE_DAYS, RUN_DAYS, phase_exercises, spread_exercises
from kneecoach.render.ics import next_monday, plan_to_ics, weekly_schedule
from kneecoach.render.pdf import latin1, plan_to_pdf


@pytest.fixture(scope="module")
def plan():
    profile = Profile.model_validate({
        "symptoms": {"sides": ["left"], "locations": ["around_kneecap"]},
        "running": {"current_weekly_km": 20, "target_weekly_km": 45, "runs_per_week": 4},
        "self_tests": {"single_leg_squat": {"left": {"knee_falls_inward": True}}, "plank_hold_s": 20},
    })
    result = assess(profile)
    assert result.plan is not None
    return result.plan


def test_schedule_matches_ramp_and_doses(plan):
    weeks = weekly_schedule(plan, runs_per_week=4, start=date(2026, 11, 2))
    assert len(weeks) == len(plan.mileage_ramp)
    for w, ramp in zip(weeks, plan.mileage_ramp, strict=True):
        runs = [d.run for d in w.days if d.run]
        assert len(runs) == (4 if ramp.km > 0 else 0)
        assert sum(r.km for r in runs) == pytest.approx(ramp.km, abs=0.25)
        assert sum(r.long for r in runs) <= 1
        assert all(r.km <= max(x.km for x in runs) for r in runs if r.long) if runs else True
        if any(r.long for r in runs):
            assert max(runs, key=lambda r: r.km).long
        # The same spread as Today (plan.schedule): each exercise on its days a week, days balanced.
        spread = spread_exercises(phase_exercises(plan, w.phase))
        for ex in phase_exercises(plan, w.phase):
            days_with = [d.weekday for d in w.days if ex in d.exercises]
            assert len(days_with) == ex.dose.days_per_week and days_with == spread.days_of(ex.id)
    assert weeks[0].days[0].date == date(2026, 11, 2) and weeks[1].days[6].date == date(2026, 11, 15)


def test_day_patterns_have_the_right_number_of_distinct_days():
    for n, days in {**EXERCISE_DAYS, **RUN_DAYS}.items():
        assert len(set(days)) == len(days) == n and all(0 <= d <= 6 for d in days)


def test_schedule_refuses_a_non_monday_start(plan):
    with pytest.raises(ValueError, match="Monday"):
        weekly_schedule(plan, 3, date(2026, 11, 4))
    assert next_monday(date(2026, 11, 4)) == date(2026, 11, 9)
    assert next_monday(date(2026, 11, 9)) == date(2026, 11, 9)


def test_ics_events_and_uids(plan):
    body = plan_to_ics(plan, date(2026, 11, 2), runs_per_week=3, uid_prefix="u7")
    assert body == plan_to_ics(plan, date(2026, 11, 2), runs_per_week=3, uid_prefix="u7")  # reproducible
    events = list(Calendar.from_ical(body).walk("VEVENT"))
    weeks = weekly_schedule(plan, 3, date(2026, 11, 2))
    expected = sum(bool(d.run) + bool(d.exercises) for w in weeks for d in w.days)
    assert len(events) == expected
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids) and all(u.startswith("u7-2026-11-02-w") for u in uids)
    assert all("not a diagnosis" in str(e["DESCRIPTION"]).lower() or plan.disclaimer[:20] in str(e["DESCRIPTION"])
               for e in events)
    with pytest.raises(ValueError):
        plan_to_ics(plan, date(2026, 11, 2), uid_prefix="bad prefix/..")


def test_pdf_is_valid_and_survives_non_latin_text(plan):
    odd = plan.model_copy(update={"notes": ["Ходьба – «ok» ≥ 3 × 10 ✓ 膝"]})
    pdf = plan_to_pdf(odd, runner_name="Zoë Łukasz 山田", runs_per_week=3, start=date(2026, 11, 2))
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 3000


def test_latin1_sanitiser():
    assert latin1("a – b “c” ≥ 3 × 4") == 'a - b "c" >= 3 x 4'
    assert latin1("Zoë") == "Zoë"
    assert latin1("Łukasz") == "Lukasz"
    out = latin1("膝 ✓")
    out.encode("latin-1")  # never raises
    assert "?" in out


def test_pdf_prints_unicode_names_and_vector_figures():
    """DejaVu is embedded: 'Zoë Łukasz' survives text extraction; figures are vector paths, not images."""
    import io

    import pypdf

    from kneecoach.engine import assess
    from kneecoach.intake.load import load_example
    from kneecoach.render.pdf import printable

    plan = assess(load_example("marathoner_000")).plan
    assert plan is not None
    data = plan_to_pdf(plan, runner_name="Zoë Łukasz 佐藤")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = reader.pages[0].extract_text()
    assert "Zoë Łukasz 佐藤" in text
    fonts = {str(f["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any("DejaVu" in f for f in fonts) and any("DroidSansFallback" in f for f in fonts), fonts
    # figures are drawn with PDF path operators (round-capped strokes), never embedded bitmaps
    images = [x for p in reader.pages for x in p["/Resources"].get("/XObject", {}).values()
              if x.get_object()["/Subtype"] == "/Image"]
    assert images == []
    content = b"".join(p.get_contents().get_data() for p in reader.pages[:3])
    assert content.count(b" l") > 100 and b" J" in content   # many line segments, line caps set
    assert printable("佐藤 \U0001F9B5") == "佐藤 ?"   # outside both fonts: replaced, never a crash


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_shows_pathway_criteria_education_evidence_and_adjuncts():
    from kneecoach.intake.load import load_example

    acl = assess(load_example("post_acl_003")).plan
    text = _pdf_text(plan_to_pdf(acl, runner_name="Jordan"))
    assert "Pathway: After an ACL reconstruction" in text
    assert "NOT MET YET" in text and "At least 12 weeks since the operation" in text and "Re-test:" in text
    pfp = assess(load_example("runners_knee_004")).plan
    text = _pdf_text(plan_to_pdf(pfp, runner_name="Sam"))
    for needle in ("Understanding your knee", "guideline, strong recommendation", "questions: smith2009",
                   "Short-term helpers", "Patellar taping", "pause running"):
        assert needle in text, needle


def test_pdf_opens_with_examine_first_and_running_on_hold():
    """Triage (issue 15): the PDF states the referral's reason and why running is held before the plan."""
    from kneecoach.intake.load import load_example

    plan = assess(load_example("bone_stress_marathoner")).plan
    text = _pdf_text(plan_to_pdf(plan, runner_name="Alex"))
    head = text[: text.index("Pathway:")]
    assert "See a clinician for an examination first (urgent: within days)" in head
    assert "bone stress injury" in head and "Running is on hold" in head
    severe = assess(load_example("severe_pain_runner")).plan
    text = _pdf_text(plan_to_pdf(severe))
    assert "Running is on hold" in text and "8/10" in text and "See a clinician for an examination" not in text
