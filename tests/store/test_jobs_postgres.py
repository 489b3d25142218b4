"""Job claiming on PostgreSQL: several workers, FOR UPDATE SKIP LOCKED, no job taken twice.

Runs when ``KNEECOACH_TEST_POSTGRES_URL`` points at a throwaway server; the
test makes (and drops) its own database there, so it never touches the one
the migration tests use.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from kneecoach.store import jobs, repo
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.models import Base, Job

PG_URL = os.environ.get("KNEECOACH_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="set KNEECOACH_TEST_POSTGRES_URL to a throwaway PostgreSQL server")


@pytest.fixture()
def pg_factory():
    assert PG_URL is not None
    name = f"kneecoach_jobs_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    Base.metadata.create_all(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_workers_take_each_job_exactly_once(pg_factory):
    with transaction(pg_factory) as s:
        uid = repo.create_user(s, "pg@example.org", "PG").id
        for _ in range(40):
            jobs.enqueue(s, uid, "pg-test")
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while True:
            job = jobs.claim_next(pg_factory, name, ["pg-test"])
            if job is None:
                return
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(taken) == 40 and len(set(taken)) == 40


def test_a_locked_job_is_skipped_not_waited_for(pg_factory):
    with transaction(pg_factory) as s:
        uid = repo.create_user(s, "pg2@example.org", "PG").id
        first, _ = jobs.enqueue(s, uid, "pg-test")
        second, _ = jobs.enqueue(s, uid, "pg-test")
        first_id, second_id = first.id, second.id
    holder = pg_factory()
    try:
        # Another worker is in the middle of claiming the first job (row locked, not yet updated).
        holder.execute(sa.select(Job).where(Job.id == first_id).with_for_update())
        t = time.monotonic()
        got = jobs.claim_next(pg_factory, "other", ["pg-test"])
        assert time.monotonic() - t < 5
        assert got is not None and got.id == second_id
    finally:
        holder.rollback()
        holder.close()
