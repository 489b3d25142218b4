"""Erasing an account from the web: every trace, in the database and on disk (issue 19).

:func:`kneecoach.store.portability.erase_user` removes the person's rows. The web app also holds
things the store does not know about, keyed by the person's e-mail or id: video analysis jobs
(folders with the clip, pictures and results, and analyses still running), and attempt-throttle
rows. They go here, in the same request, so nothing of an erased runner is left to be read, and
nothing finishing later can be stored for them (ids are never reused either: migration 0009).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy.orm import Session

from kneecoach.store.models import User
from kneecoach.store.portability import erase_user
from kneecoach.web.throttle import erase_account_rows

log = logging.getLogger("kneecoach.web.erasure")


def erase_account(app: FastAPI, db: Session, user: User) -> dict[str, int]:
    """Delete the person's video jobs (running ones are discarded), throttle rows and rows; counts per kind.

    Video jobs go first: a job still running finds its folder gone and keeps nothing, and the
    database rows (with the foreign keys that refuse a clip for a deleted person) go in ``db``'s
    transaction, committed by the caller.
    """
    from kneecoach.web.video_jobs import jobs_for

    email, user_id = user.email, user.id
    removed = {"video_jobs": jobs_for(app).forget_owner(user_id)}
    removed["auth_attempts"] = erase_account_rows(db, email, user_id)
    removed.update(erase_user(db, user_id))
    log.info("account erased (%d video jobs)", removed["video_jobs"])
    return removed


__all__ = ["erase_account"]
