"""A runner and their clinicians: consent to changes, the access log, notes (issue 17).

Everything is read from and written to the database on each call, never cached in a process, so
a runner who withdraws consent or access is obeyed by every web worker from the next request.
Each function is scoped: notes and log rows belong to the runner (``owner_id``) and only the
runner or a clinician holding an accepted link reaches them (the web layer checks
:func:`kneecoach.store.repo.can_view` first; the functions here check the link again where a
clinician id is passed in).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from kneecoach.store.models import AccessLogEntry, CareLink, CareNote, User, utcnow
from kneecoach.store.repo import NotFound, PermissionDenied, RepoError

MAX_NOTE = 4000
LOG_PAGE = 200

__all__ = [
    "MAX_NOTE", "accepted_link", "access_log", "add_note", "can_change", "clinicians_of_runner", "last_visits",
    "log_access", "log_access_many", "mark_read", "set_change_consent", "thread", "unread_for_clinician",
    "unread_for_runner",
]


# --------------------------------------------------------------------------- consent to changes


def accepted_link(s: Session, runner_id: int, clinician_id: int) -> CareLink | None:
    """The accepted link between this runner and this clinician (a clinician account), if any."""
    return s.scalar(
        select(CareLink).join(User, User.id == CareLink.clinician_id)
        .where(CareLink.runner_id == runner_id, CareLink.clinician_id == clinician_id,
               CareLink.accepted_at.is_not(None), User.role == "clinician")
        .order_by(CareLink.id).limit(1)
    )


def can_change(s: Session, clinician_id: int, runner_id: int) -> bool:
    """True when the runner has given this clinician consent to change their plan (and not withdrawn it)."""
    stmt = (
        select(CareLink.id).join(User, User.id == CareLink.clinician_id)
        .where(CareLink.runner_id == runner_id, CareLink.clinician_id == clinician_id,
               CareLink.accepted_at.is_not(None), CareLink.change_consent_at.is_not(None),
               User.role == "clinician")
    )
    return s.scalar(stmt.limit(1)) is not None


def set_change_consent(s: Session, runner_id: int, link_id: int, allow: bool) -> CareLink:
    """The runner grants (``allow``) or withdraws consent to plan changes for one accepted link."""
    link = s.get(CareLink, link_id)
    if link is None or link.runner_id != runner_id:
        raise NotFound("no such link")
    if link.accepted_at is None or link.clinician_id is None:
        raise RepoError("this invite has not been used yet; consent is given to a clinician who has accepted it")
    link.change_consent_at = utcnow() if allow else None
    s.flush()
    return link


def clinicians_of_runner(s: Session, runner_id: int) -> list[User]:
    """The clinicians who hold an accepted link from this runner, by name."""
    return list(s.scalars(
        select(User).join(CareLink, CareLink.clinician_id == User.id)
        .where(CareLink.runner_id == runner_id, CareLink.accepted_at.is_not(None), User.role == "clinician")
        .distinct().order_by(User.display_name, User.id)
    ))


# --------------------------------------------------------------------------- access log


def log_access(s: Session, owner_id: int, actor: User, action: str, what: str, route: str) -> None:
    """Record one read or change of ``owner_id``'s data by ``actor`` (never called for the owner)."""
    if actor.id == owner_id:
        return
    s.add(AccessLogEntry(owner_id=owner_id, actor_id=actor.id, actor_name=actor.display_name[:100],
                         action=action, what=what[:80], route=route[:300], at=utcnow()))
    s.flush()


def log_access_many(s: Session, owner_ids: Iterable[int], actor: User, what: str, route: str) -> None:
    """One read of several runners' data (the caseload), one row each, in one statement."""
    now = utcnow()
    rows = [{"owner_id": o, "actor_id": actor.id, "actor_name": actor.display_name[:100], "action": "read",
             "what": what[:80], "route": route[:300], "at": now} for o in owner_ids if o != actor.id]
    if rows:
        s.execute(insert(AccessLogEntry), rows)


def access_log(s: Session, owner_id: int, limit: int = LOG_PAGE) -> list[AccessLogEntry]:
    """The runner's access log, newest first."""
    return list(s.scalars(
        select(AccessLogEntry).where(AccessLogEntry.owner_id == owner_id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc()).limit(limit)
    ))


def last_visits(s: Session, actor_id: int, owner_ids: Iterable[int] | None = None,
                exclude_what: str = "caseload") -> dict[int, datetime]:
    """When ``actor_id`` last opened each runner's own pages (caseload rows do not count as a visit)."""
    stmt = (select(AccessLogEntry.owner_id, func.max(AccessLogEntry.at))
            .where(AccessLogEntry.actor_id == actor_id, AccessLogEntry.what != exclude_what)
            .group_by(AccessLogEntry.owner_id))
    if owner_ids is not None:
        stmt = stmt.where(AccessLogEntry.owner_id.in_(list(owner_ids)))
    return {o: at for o, at in s.execute(stmt).all()}


# --------------------------------------------------------------------------- notes


def add_note(s: Session, owner_id: int, clinician_id: int, author_id: int, body: str,
             parent_id: int | None = None) -> CareNote:
    """A note in the conversation between runner ``owner_id`` and ``clinician_id``, by one of the two."""
    text = body.strip()
    if not text:
        raise RepoError("write something first")
    if len(text) > MAX_NOTE:
        raise RepoError(f"a note can be at most {MAX_NOTE} characters")
    if author_id not in (owner_id, clinician_id):
        raise PermissionDenied("only the runner or their clinician can write in this conversation")
    if accepted_link(s, owner_id, clinician_id) is None:
        raise NotFound("no such conversation")
    if parent_id is not None:
        parent = s.get(CareNote, parent_id)
        if parent is None or parent.owner_id != owner_id or parent.clinician_id != clinician_id:
            raise NotFound("no such note to reply to")
        parent_id = parent.parent_id or parent.id  # replies hang off the thread's first note
    note = CareNote(owner_id=owner_id, clinician_id=clinician_id, author_id=author_id, body=text,
                    parent_id=parent_id, created_at=utcnow())
    s.add(note)
    s.flush()
    return note


def thread(s: Session, owner_id: int, clinician_id: int) -> list[tuple[CareNote, list[CareNote]]]:
    """The conversation as (first note, its replies), threads newest first, replies oldest first."""
    notes = list(s.scalars(
        select(CareNote).where(CareNote.owner_id == owner_id, CareNote.clinician_id == clinician_id)
        .order_by(CareNote.created_at, CareNote.id)
    ))
    replies: dict[int, list[CareNote]] = {}
    for n in notes:
        if n.parent_id is not None:
            replies.setdefault(n.parent_id, []).append(n)
    tops = [n for n in notes if n.parent_id is None]
    return [(t, replies.get(t.id, [])) for t in reversed(tops)]


def mark_read(s: Session, owner_id: int, clinician_id: int, reader_id: int) -> int:
    """Mark the other side's notes in this conversation read by ``reader_id``; returns how many."""
    result = s.execute(
        update(CareNote)
        .where(CareNote.owner_id == owner_id, CareNote.clinician_id == clinician_id,
               CareNote.author_id != reader_id, CareNote.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)


def unread_for_runner(s: Session, runner_id: int) -> dict[int, int]:
    """Clinician id -> notes from that clinician the runner has not opened."""
    rows = s.execute(
        select(CareNote.clinician_id, func.count(CareNote.id))
        .where(CareNote.owner_id == runner_id, CareNote.author_id != runner_id, CareNote.read_at.is_(None))
        .group_by(CareNote.clinician_id)
    ).all()
    return {c: int(n) for c, n in rows}


def unread_for_clinician(s: Session, clinician_id: int) -> dict[int, int]:
    """Runner id -> notes from that runner the clinician has not opened."""
    rows = s.execute(
        select(CareNote.owner_id, func.count(CareNote.id))
        .where(CareNote.clinician_id == clinician_id, CareNote.author_id != clinician_id,
               CareNote.read_at.is_(None))
        .group_by(CareNote.owner_id)
    ).all()
    return {o: int(n) for o, n in rows}
