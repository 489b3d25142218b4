"""Save an assessment from the CLI (kept apart so ``assess`` works without a database)."""

from __future__ import annotations

from kneecoach.engine import Assessment
from kneecoach.intake.profile import Profile


def save_assessment(db_url: str | None, profile: Profile, assessment: Assessment) -> int | None:
    """Store profile, assessment and (if any) plan for the CLI's local runner; return the plan version."""
    from kneecoach.store import repo
    from kneecoach.store.db import make_engine, make_session_factory, resolve_url, transaction
    from kneecoach.store.migrate import upgrade

    url = resolve_url(db_url)
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as s:
        user = repo.get_or_create_local_runner(s)
        record = repo.save_assessment_and_plan(s, user.id, profile, assessment)
        return record.version if record is not None else None
