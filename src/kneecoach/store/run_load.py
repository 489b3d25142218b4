"""Answers read from a runner's imported runs before an assessment (issue 15's bone stress screen).

The engine is a pure function of the profile; what the runs say about recent load is written
into the profile (``running.recent_rise_pct``) here, where the runs are, so the assessment, the
stored profile and the "because of your answers" line all show the number that was used.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from kneecoach.intake.profile import Profile
from kneecoach.store import repo
from kneecoach.tracking.load import weekly_rise_pct

RISE_WINDOW_WEEKS = 6


def with_run_load(s: Session, owner_id: int, profile: Profile, today: date | None = None) -> Profile:
    """``profile`` with ``running.recent_rise_pct`` from the owner's runs (unchanged when there are none).

    Only the owner's own runs are read (owner-scoped query). A value the runner typed is kept
    when there are no runs to compare.
    """
    today = today or date.today()
    runs = repo.list_runs(s, owner_id, since=today - timedelta(weeks=RISE_WINDOW_WEEKS), until=today)
    rise = weekly_rise_pct(runs, today, back_weeks=RISE_WINDOW_WEEKS)
    if rise is None:
        return profile
    running = profile.running.model_copy(update={"recent_rise_pct": rise})
    return profile.model_copy(update={"running": running})
