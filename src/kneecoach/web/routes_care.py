"""Runner <-> clinician: consent to plan changes, the access log, notes (issue 17).

* ``POST /invites/{link_id}/consent``: the runner grants or withdraws a linked clinician's consent
  to change their plan (read access is separate and unchanged);
* ``GET /account/access`` (and ``/api/v1/account/access-log``): who looked at or changed my data;
* ``/u/{owner_id}/notes`` (and ``/api/v1/users/{owner_id}/notes``): the conversation between a
  runner and one linked clinician, threaded, with unread counts. Reaching it goes through
  :func:`~kneecoach.web.deps.viewable_owner` like every other page of a runner's data.
"""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import FormData
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kneecoach.store import care
from kneecoach.store.models import User
from kneecoach.store.repo import RepoError
from kneecoach.web.deps import DB, FORM, current_runner, current_user, viewable_owner
from kneecoach.web.templating import flash, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"])


# --------------------------------------------------------------------------- consent


@router.post("/invites/{link_id}/consent")
def set_consent(link_id: int, request: Request, form: FormData = FORM, user: User = Depends(current_runner),
                      db: Session = DB) -> Response:
    """Grant (``allow=1``) or withdraw (``allow=0``) a clinician's consent to change the plan."""
    allow = str(form.get("allow", "")) == "1"
    try:
        link = care.set_change_consent(db, user.id, link_id, allow)
    except care.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except RepoError as exc:
        flash(request, str(exc).capitalize(), "warn")
        return RedirectResponse("/home", status_code=303)
    who = link.clinician.display_name if link.clinician else "The clinician"
    flash(request, f"{who} may now change your plan; every change comes with a reason you can read."
          if allow else f"{who} can no longer change your plan (they can still read it).")
    return RedirectResponse("/home", status_code=303)


class LinkOut(BaseModel):
    id: int
    clinician_id: int | None
    clinician: str | None
    accepted: bool
    may_change_plan: bool


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allow: bool


def _link_out(link) -> LinkOut:
    return LinkOut(id=link.id, clinician_id=link.clinician_id,
                   clinician=link.clinician.display_name if link.clinician else None,
                   accepted=link.accepted_at is not None, may_change_plan=link.change_consent_at is not None)


@api.get("/account/links", response_model=list[LinkOut], summary="My invites and the clinicians who can see my data")
def links_api(user: User = Depends(current_runner), db: Session = DB) -> list[LinkOut]:
    from kneecoach.web.accounts import links_of_runner

    return [_link_out(link) for link in links_of_runner(db, user.id)]


@api.post("/account/links/{link_id}/consent", response_model=LinkOut,
          summary="Grant or withdraw a clinician's consent to change my plan (reading is not affected)")
def consent_api(link_id: int, body: ConsentIn, user: User = Depends(current_runner), db: Session = DB) -> LinkOut:
    try:
        link = care.set_change_consent(db, user.id, link_id, body.allow)
    except care.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except RepoError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _link_out(link)


# --------------------------------------------------------------------------- access log


@router.get("/account/access")
def access_page(request: Request, user: User = Depends(current_runner), db: Session = DB) -> Response:
    return render(request, "access_log.html", {"entries": care.access_log(db, user.id)})


class AccessOut(BaseModel):
    at: datetime
    who: str
    who_id: int
    action: str
    what: str
    route: str


@api.get("/account/access-log", response_model=list[AccessOut],
         summary="Who read or changed my data (newest first, up to 200)")
def access_api(user: User = Depends(current_user), db: Session = DB) -> list[AccessOut]:
    return [AccessOut(at=e.at, who=e.actor_name, who_id=e.actor_id, action=e.action, what=e.what, route=e.route)
            for e in care.access_log(db, user.id)]


# --------------------------------------------------------------------------- notes


def _partner(db: Session, owner: User, user: User, with_id: int | None) -> User:
    """The clinician of the conversation: the viewer if a clinician, else the runner's chosen one."""
    if user.role == "clinician":
        return user
    clinicians = care.clinicians_of_runner(db, owner.id)
    if not clinicians:
        raise HTTPException(status_code=404, detail="No clinician has accepted your invite yet.")
    if with_id is None:
        return clinicians[0]
    for c in clinicians:
        if c.id == with_id:
            return c
    raise HTTPException(status_code=404, detail="Not found.")


def _notes_context(db: Session, owner: User, user: User, partner: User, error: str | None = None,
                   body: str = "") -> dict:
    threads = care.thread(db, owner.id, partner.id)
    new_ids = {n.id for top, replies in threads for n in [top, *replies]
               if n.author_id != user.id and n.read_at is None}  # shown as "new" this once
    care.mark_read(db, owner.id, partner.id, user.id)
    unread = care.unread_for_runner(db, owner.id) if user.role == "runner" else {}
    names = {owner.id: owner.display_name, partner.id: partner.display_name}
    return {"owner": owner, "partner": partner, "threads": threads, "names": names, "new_ids": new_ids,
            "clinicians": care.clinicians_of_runner(db, owner.id) if user.role == "runner" else [],
            "unread": unread, "error": error, "body": body, "max_note": care.MAX_NOTE}


@router.get("/u/{owner_id}/notes")
def notes_page(request: Request, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
               db: Session = DB) -> Response:
    """The conversation; a runner with several clinicians picks one with ``?with=<clinician id>``."""
    if user.role == "runner" and not care.clinicians_of_runner(db, owner.id):
        return render(request, "notes.html", {"owner": owner, "partner": None})
    partner = _partner(db, owner, user, _int(request.query_params.get("with")))
    return render(request, "notes.html", _notes_context(db, owner, user, partner))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@router.post("/u/{owner_id}/notes")
def notes_post(request: Request, form: FormData = FORM, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
                     db: Session = DB) -> Response:
    partner = _partner(db, owner, user, _int(str(form.get("with", ""))))
    body = str(form.get("body", ""))
    try:
        care.add_note(db, owner.id, partner.id, user.id, body, _int(str(form.get("parent_id", ""))))
    except care.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except RepoError as exc:
        return render(request, "notes.html", _notes_context(db, owner, user, partner, str(exc).capitalize(), body),
                      status_code=400)
    flash(request, "Note sent.")
    suffix = f"?with={partner.id}" if user.role == "runner" else ""
    return RedirectResponse(f"/u/{owner.id}/notes{suffix}", status_code=303)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=care.MAX_NOTE)
    parent_id: int | None = None
    clinician_id: int | None = Field(default=None, description="For a runner with several clinicians.")


class NoteOut(BaseModel):
    id: int
    author_id: int
    author: str
    body: str
    created_at: datetime
    read_at: datetime | None
    replies: list["NoteOut"] = Field(default_factory=list)


class NotesOut(BaseModel):
    runner_id: int
    clinician_id: int
    unread: int
    threads: list[NoteOut]


def _note_out(n, names: dict[int, str], replies=()) -> NoteOut:
    return NoteOut(id=n.id, author_id=n.author_id, author=names.get(n.author_id, "former account"), body=n.body,
                   created_at=n.created_at, read_at=n.read_at, replies=[_note_out(r, names) for r in replies])


@api.get("/users/{owner_id}/notes", response_model=NotesOut,
         summary="The conversation between the runner and a linked clinician; opening it marks notes read")
def notes_api(clinician_id: int | None = None, owner: User = Depends(viewable_owner),
              user: User = Depends(current_user), db: Session = DB) -> NotesOut:
    partner = _partner(db, owner, user, clinician_id)
    unread = (care.unread_for_runner(db, owner.id).get(partner.id, 0) if user.role == "runner"
              else care.unread_for_clinician(db, partner.id).get(owner.id, 0))
    care.mark_read(db, owner.id, partner.id, user.id)
    names = {owner.id: owner.display_name, partner.id: partner.display_name}
    return NotesOut(runner_id=owner.id, clinician_id=partner.id, unread=unread,
                    threads=[_note_out(t, names, r) for t, r in care.thread(db, owner.id, partner.id)])


@api.post("/users/{owner_id}/notes", response_model=NoteOut, status_code=201, summary="Write a note or a reply")
def notes_api_post(body: NoteIn, owner: User = Depends(viewable_owner), user: User = Depends(current_user),
                   db: Session = DB) -> NoteOut:
    partner = _partner(db, owner, user, body.clinician_id)
    try:
        note = care.add_note(db, owner.id, partner.id, user.id, body.body, body.parent_id)
    except care.NotFound:
        raise HTTPException(status_code=404, detail="Not found.") from None
    except RepoError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return _note_out(note, {owner.id: owner.display_name, partner.id: partner.display_name})
