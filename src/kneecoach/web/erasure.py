"""Erasing an account: every trace, in the database and on disk (issue 19).

:func:`kneecoach.store.portability.erase_user` removes the person's rows. The web app also holds
things keyed by the person's e-mail or id that the store does not know about: the files of video
analysis jobs (the clip while analysed, key-frame pictures; analyses still running), and
attempt-throttle rows (keyed by digests of the e-mail or id). :func:`erase_person` removes them
with the rows, so nothing of an erased runner is left to be read and nothing finishing later can be
stored for them (ids are never reused either: migration 0009). The web routes call
:func:`erase_account`; ``kneecoach erase`` calls :func:`erase_person` with the configured video
folder.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from kneecoach.store.models import User
from kneecoach.store.portability import erase_user
from kneecoach.web.throttle import erase_account_rows

if TYPE_CHECKING:
    from kneecoach.web.video_jobs import VideoJobs

log = logging.getLogger("kneecoach.web.erasure")


def erase_person(db: Session, user: User, video: VideoJobs | None) -> dict[str, int]:
    """Delete the person's video files (running analyses keep nothing), throttle rows and rows.

    Video files go first: a job still running finds its folder gone and keeps nothing, and the
    rows (with the foreign keys that refuse a clip for a deleted person) go in ``db``'s transaction,
    committed by the caller. Returns the rows removed per table.
    """
    email, user_id = user.email, user.id
    files = video.forget_owner(user_id) if video is not None else 0
    attempts = erase_account_rows(db, email, user_id)
    removed = erase_user(db, user_id)  # rows per table (the video jobs' rows among them, in "jobs")
    if attempts:
        removed["auth_attempts"] = attempts
    log.info("account erased (%d video jobs' files)", files)
    return removed


def erase_account(app: Any, db: Session, user: User) -> dict[str, int]:
    """:func:`erase_person` with the web app's video jobs."""
    from kneecoach.web.video_jobs import jobs_for

    return erase_person(db, user, jobs_for(app))


__all__ = ["erase_account", "erase_person"]
