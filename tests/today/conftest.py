"""Shared plan for the Today tests: built by the engine from a shipped example profile."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, sessionmaker

from kneecoach.engine import assess
from kneecoach.intake.profile import Profile
from kneecoach.plan.models import Plan
from kneecoach.store import migrate
from kneecoach.store.db import make_engine, make_session_factory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def plan() -> Plan:
    profile = Profile.model_validate(yaml.safe_load((EXAMPLES / "runners_knee_004.yaml").read_text()))
    return assess(profile).plan


#: Users the store tests create end in this domain, so a shared PostgreSQL database is left clean.
TEST_DOMAIN = "store.today.test"


@pytest.fixture(params=["sqlite", "postgres"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated database: a fresh SQLite file, and ``KNEECOACH_TEST_POSTGRES_URL`` when it is set
    (left as empty as it was found)."""
    pg_url = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
    if request.param == "postgres":
        if pg_url is None:
            pytest.skip("set KNEECOACH_TEST_POSTGRES_URL to a throwaway PostgreSQL database")
        url = pg_url
        was_empty = migrate.current(url) is None
        migrate.upgrade(url)
    else:
        url = f"sqlite:///{tmp_path / 't.db'}"
        migrate.upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    if request.param == "postgres":
        with engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM users WHERE email LIKE '%@{TEST_DOMAIN}'"))
        if was_empty:  # test_migrations needs an empty throwaway database
            engine.dispose()
            migrate.downgrade(url, "base")
    engine.dispose()
