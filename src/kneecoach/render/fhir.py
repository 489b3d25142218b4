"""FHIR R4 export for clinics, built and validated with ``fhir.resources``.

``fhir.resources`` 8.x ships FHIR R5 as its default models and the R4 line as
``fhir.resources.R4B`` (FHIR 4.3.0). R4B changed nothing in the resources used
here (Patient, Questionnaire, QuestionnaireResponse, CarePlan, ServiceRequest,
Bundle) relative to R4 4.0.1, so a system that reads R4 reads this export.
Every resource is constructed through the library's pydantic models, which
check required fields, types, date formats and unknown elements.

What maps to what, and why:

* the **Kujala scale** is one ``Questionnaire`` (13 ``choice`` items whose
  answer options carry the published points as the standard ``ordinalValue``
  extension, plus a read-only integer item ``total``);
* each stored **Kujala score** is a ``QuestionnaireResponse`` to it (the
  chosen option per item and the total), authored when it was recorded;
* the current **plan** is a ``CarePlan`` (intent ``plan``) with one activity
  per exercise of each phase and one per week of the mileage ramp;
* a **referral** (red flag, or a triage pathway's "examine first": suspected bone stress, an
  acute injury) is a ``ServiceRequest`` with intent ``proposal``.
  Not a ``Communication``: a Communication records that a message was sent
  to someone, whereas kneecoach sends nothing, it *suggests* that the runner
  be seen by a clinician; FHIR's ``proposal`` intent is exactly a suggestion
  from a source without authority to order, which the clinic can accept as
  an order or decline. Its ``priority`` follows the red flag's urgency.

* a plan version a **clinician** made (issue 17) is a ``CarePlan`` too, with ``author``
  referring to a ``Practitioner`` (the clinician, by name only) and the change and its reason as
  a note; older versions are ``revoked`` (replaced), the one in force ``active``;
* each **note** between the runner and a clinician is a ``Communication`` (here a message really
  was sent from one to the other): ``sender`` and ``recipient`` are the Patient and the
  Practitioner, a reply points at its thread with ``inResponseTo``.

Every resource says in its text that kneecoach gives education, not a diagnosis.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest

from kneecoach.knowledge.schema import KujalaScale
from kneecoach.plan.models import Plan
from kneecoach.render.triage import hold_lines, week_text

FHIR_VERSION = "4.3.0"
SYSTEM = "https://kneecoach.invalid/fhir"
QUESTIONNAIRE_URL = f"{SYSTEM}/Questionnaire/kujala"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
NOT_A_DIAGNOSIS = "Made by kneecoach: education and a plan, not a diagnosis."
_PRIORITY = {"emergency": "stat", "urgent": "urgent", "soon": "routine"}
_NS = uuid.UUID("6b1f3c1e-9a3e-4d5b-9a55-6b6e65636f61")


@dataclass(frozen=True)
class KujalaRecord:
    """One stored Kujala scoring: when, the answers (item -> option id) and the total (None if partial)."""

    recorded_at: datetime
    answers: dict[str, str]
    total: int | None
    record_id: int


@dataclass(frozen=True)
class ReferralRecord:
    recorded_at: datetime
    urgency: str
    message: str
    reasons: list[str]
    record_id: int


@dataclass(frozen=True)
class ClinicianPlanRecord:
    """A plan version a clinician made: the version, when, the plan, who and why, and whether in force."""

    version: int
    created_at: datetime
    plan: Plan
    author_id: int
    author_name: str
    reason: str
    current: bool


@dataclass(frozen=True)
class NoteRecord:
    """A note between the runner and a clinician (``from_runner``: who wrote it)."""

    note_id: int
    created_at: datetime
    clinician_id: int
    clinician_name: str
    from_runner: bool
    body: str
    parent_id: int | None


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, '/'.join(map(str, parts)))}"


def _when(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


def kujala_questionnaire(scale: KujalaScale) -> Questionnaire:
    """The Kujala scale as a FHIR Questionnaire (points as ``ordinalValue``)."""
    items: list[dict[str, Any]] = [
        {
            "linkId": item.id,
            "text": item.question,
            "type": "choice",
            "required": True,
            "answerOption": [
                {
                    "valueCoding": {"system": f"{QUESTIONNAIRE_URL}/{item.id}", "code": o.id, "display": o.text},
                    "extension": [{"url": ORDINAL_VALUE, "valueDecimal": o.points}],
                }
                for o in item.options
            ],
        }
        for item in scale.items
    ]
    items.append({"linkId": "total", "text": "Kujala score (0-100, higher is better)", "type": "integer",
                  "readOnly": True})
    return Questionnaire.model_validate({
        "resourceType": "Questionnaire",
        "id": "kujala",
        "url": QUESTIONNAIRE_URL,
        "name": "KujalaAnteriorKneePainScale",
        "title": "Kujala anterior knee pain scale (wording paraphrased)",
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"13 items scored 0-100 (source id {scale.source}). {scale.interpretation} {NOT_A_DIAGNOSIS}",
        "item": items,
    })


def kujala_response(scale: KujalaScale, rec: KujalaRecord, patient_ref: str) -> QuestionnaireResponse:
    """One Kujala scoring as a QuestionnaireResponse (answered items, then the total if complete)."""
    options = {i.id: {o.id: o for o in i.options} for i in scale.items}
    items: list[dict[str, Any]] = []
    for item in scale.items:
        choice = rec.answers.get(item.id)
        if choice is None or choice not in options[item.id]:
            continue
        opt = options[item.id][choice]
        items.append({"linkId": item.id, "text": item.question, "answer": [{"valueCoding": {
            "system": f"{QUESTIONNAIRE_URL}/{item.id}", "code": opt.id, "display": opt.text}}]})
    if rec.total is not None:
        items.append({"linkId": "total", "answer": [{"valueInteger": rec.total}]})
    return QuestionnaireResponse.model_validate({
        "resourceType": "QuestionnaireResponse",
        "id": f"kujala-{rec.record_id}",
        "questionnaire": QUESTIONNAIRE_URL,
        "status": "completed" if rec.total is not None else "in-progress",
        "subject": {"reference": patient_ref},
        "authored": _when(rec.recorded_at),
        "item": items,
    })


def care_plan(plan: Plan, version: int, created_at: datetime, patient_ref: str) -> CarePlan:
    """The plan as a CarePlan: exercises per phase and the weekly mileage ramp as activities."""
    activities: list[dict[str, Any]] = []
    for phase in plan.phases:
        for ex in phase.exercises:
            activities.append({"detail": {
                "kind": "ServiceRequest",
                "code": {"coding": [{"system": f"{SYSTEM}/exercise", "code": ex.id, "display": ex.name}],
                         "text": ex.name},
                "status": "not-started",
                "description": f"Phase {phase.order} ({phase.name}): {ex.dose.text}. {ex.how}",
                "scheduledString": ex.dose.text,
            }})
    for week in plan.mileage_ramp:
        text = f"Week {week.week}: {week.km:g} km running, long run {week.long_run_km:g} km"
        note = week_text(week)
        activities.append({"detail": {
            "code": {"text": "Running volume (mileage ramp)"},
            "status": "on-hold" if plan.running_hold is not None else "not-started",
            "description": text + (" (cutback week)" if week.cutback else "") + (f". {note}" if note else ""),
            "scheduledString": f"week {week.week}",
            # FHIR stays metric whatever the runner reads (issue 16): the week's distance in UCUM km
            "quantity": {"value": week.km, "unit": "km", "system": "http://unitsofmeasure.org", "code": "km"},
        }})
    return CarePlan.model_validate({
        "resourceType": "CarePlan",
        "id": f"plan-v{version}",
        "identifier": [{"system": f"{SYSTEM}/plan-version", "value": str(version)}],
        "status": "active",
        "intent": "plan",
        "title": "Knee pain: exercises and return-to-running ramp",
        "description": (f"Phased exercise plan and mileage ramp from {plan.start_km:g} to {plan.target_km:g} "
                        f"km a week; pain rule: stop progressing above {plan.pain_rule.max_during_run}/10 "
                        f"during a run. {' '.join(hold_lines(plan))} {NOT_A_DIAGNOSIS}").replace("  ", " "),
        "subject": {"reference": patient_ref},
        "created": _when(created_at),
        "activity": activities,
        "note": [{"text": plan.disclaimer}],
    })


def referral_request(rec: ReferralRecord, patient_ref: str) -> ServiceRequest:
    """A red-flag referral as a ServiceRequest with intent ``proposal`` (see the module docstring)."""
    return ServiceRequest.model_validate({
        "resourceType": "ServiceRequest",
        "id": f"referral-{rec.record_id}",
        "status": "active",
        "intent": "proposal",
        "priority": _PRIORITY.get(rec.urgency, "routine"),
        "code": {"text": "Assessment of knee pain by a clinician"},
        "subject": {"reference": patient_ref},
        "authoredOn": _when(rec.recorded_at),
        "reasonCode": [{"text": r} for r in rec.reasons] or [{"text": rec.message}],
        "note": [{"text": f"{rec.message} {NOT_A_DIAGNOSIS}"}],
    })


def practitioner(clinician_id: int, name: str) -> Practitioner:
    """A clinician who changed the plan or wrote a note: their name only (no contact details are kept)."""
    return Practitioner.model_validate({"resourceType": "Practitioner", "id": f"clinician-{clinician_id}",
                                        "name": [{"text": name}]})


def clinician_care_plan(rec: ClinicianPlanRecord, patient_ref: str, practitioner_ref: str) -> CarePlan:
    """A clinician's plan version: the plan's CarePlan with its author and the change's reason."""
    base = care_plan(rec.plan, rec.version, rec.created_at, patient_ref)
    data = base.model_dump(by_alias=True, exclude_none=True)
    data["status"] = "active" if rec.current else "revoked"
    data["author"] = {"reference": practitioner_ref, "display": rec.author_name}
    data["note"] = [{"text": f"Plan version {rec.version} by {rec.author_name}: {rec.reason}",
                     "authorReference": {"reference": practitioner_ref}}, *data.get("note", [])]
    return CarePlan.model_validate(data)


def communication(rec: NoteRecord, patient_ref: str, practitioner_ref: str, parent_ref: str | None) -> Communication:
    """A note as a Communication from the runner to the clinician or back."""
    me, them = (patient_ref, practitioner_ref) if rec.from_runner else (practitioner_ref, patient_ref)
    data: dict[str, Any] = {
        "resourceType": "Communication", "id": f"note-{rec.note_id}", "status": "completed",
        "subject": {"reference": patient_ref}, "sent": _when(rec.created_at),
        "sender": {"reference": me}, "recipient": [{"reference": them}],
        "payload": [{"contentString": rec.body}],
        "note": [{"text": "A note in kneecoach between a runner and their clinician. " + NOT_A_DIAGNOSIS}],
    }
    if parent_ref:
        data["inResponseTo"] = [{"reference": parent_ref}]
    return Communication.model_validate(data)


def build_bundle(*, patient_key: str, display_name: str, scale: KujalaScale, kujala: Sequence[KujalaRecord],
                 plan: tuple[int, datetime, Plan] | None, referrals: Sequence[ReferralRecord],
                 clinician_plans: Sequence[ClinicianPlanRecord] = (), notes: Sequence[NoteRecord] = ()) -> Bundle:
    """A ``collection`` Bundle: Patient, Questionnaire, responses, CarePlans, ServiceRequests,
    Practitioners and Communications."""
    patient_url = _urn("patient", patient_key)
    patient = Patient.model_validate({"resourceType": "Patient", "id": patient_key, "name": [{"text": display_name}]})
    resources: list[tuple[str, Any]] = [(patient_url, patient), (QUESTIONNAIRE_URL, kujala_questionnaire(scale))]
    for rec in kujala:
        resources.append((_urn("kujala", patient_key, rec.record_id), kujala_response(scale, rec, patient_url)))
    people = {c.author_id: c.author_name for c in clinician_plans} | {n.clinician_id: n.clinician_name for n in notes}
    prac_url = {cid: _urn("practitioner", patient_key, cid) for cid in people}
    for cid, name in people.items():
        resources.append((prac_url[cid], practitioner(cid, name)))
    authored = {c.version for c in clinician_plans}
    for c in clinician_plans:
        resources.append((_urn("plan", patient_key, c.version),
                          clinician_care_plan(c, patient_url, prac_url[c.author_id])))
    if plan is not None and plan[0] not in authored:
        version, created, p = plan
        resources.append((_urn("plan", patient_key, version), care_plan(p, version, created, patient_url)))
    note_url = {n.note_id: _urn("note", patient_key, n.note_id) for n in notes}
    for n in notes:
        resources.append((note_url[n.note_id], communication(n, patient_url, prac_url[n.clinician_id],
                                                             note_url.get(n.parent_id) if n.parent_id else None)))
    for ref in referrals:
        resources.append((_urn("referral", patient_key, ref.record_id), referral_request(ref, patient_url)))
    return Bundle.model_validate({
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(_NS, f"bundle/{patient_key}")),
        "type": "collection",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "entry": [{"fullUrl": url, "resource": r.model_dump(by_alias=True, exclude_none=True)} for url, r in resources],
    })


def _stored_referral(data: dict[str, Any]) -> tuple[str, str, list[str]] | None:
    """(urgency, message, reasons) of a stored assessment's referral, in the runner's words, or None.

    A red flag's reasons say which answers raised it; a triage pathway (suspected bone stress, an
    acute injury) refers with its reason and the answers that fit the pattern while its plan holds
    running.
    """
    ref = data.get("referral")
    if ref:
        reasons = [
            " ".join(x for x in (r.get("reason", ""), "Raised by: " + "; ".join(r["raised_by"]) + "." if r.get("raised_by") else "") if x)
            for r in ref.get("reasons", [])
        ]
        return ref.get("urgency", "soon"), ref.get("message", ""), reasons
    examine = ((data.get("pathway") or {}).get("referral")) or None
    if examine:
        because = examine.get("raised_by") or []
        reasons = [examine.get("reason", "")] + (["Because of the answers: " + "; ".join(because) + "."] if because else [])
        return examine.get("urgency", "soon"), f"{examine.get('reason', '')} {examine.get('action', '')}".strip(), reasons
    return None


def bundle_for_owner(db: Any, owner_id: int) -> Bundle:
    """Gather one runner's stored scores, plan and referrals (through the owner-scoped repo) into a Bundle."""
    from kneecoach.engine import load_kb
    from kneecoach.store import repo
    from kneecoach.store.models import User

    owner = db.get(User, owner_id)
    if owner is None:
        raise LookupError(f"no user with id {owner_id}")
    rows = repo.assessments_with_profiles(db, owner_id)
    kujala: list[KujalaRecord] = []
    referrals: list[ReferralRecord] = []
    for assessment, profile in rows:
        score = (assessment.data or {}).get("kujala")
        answers = (profile.data or {}).get("kujala") or {}
        if score and answers:
            kujala.append(KujalaRecord(assessment.created_at, dict(answers), score.get("score"), assessment.id))
        ref = _stored_referral(assessment.data or {})
        if ref:
            referrals.append(ReferralRecord(assessment.created_at, ref[0], ref[1], ref[2], assessment.id))
    latest = repo.latest_plan(db, owner_id)
    plan = None
    if latest is not None:
        history = repo.plan_history(db, owner_id)
        created = next((r.created_at for r in history if r.version == latest[0]), datetime.now(timezone.utc))
        plan = (latest[0], created, latest[1])
    # Only the latest assessment's referral is still a live proposal.
    live = referrals[-1:] if rows and _stored_referral(rows[-1][0].data or {}) else []
    from kneecoach.plan.models import Plan as PlanModel

    latest_version = latest[0] if latest is not None else None
    clinician_plans = [
        ClinicianPlanRecord(r.version, r.created_at, PlanModel.model_validate(r.data), r.author_id, r.author_name or "",
                            r.reason, r.version == latest_version)
        for r in (repo.plan_history(db, owner_id) if latest is not None else []) if r.author_id is not None
    ]
    return build_bundle(patient_key=f"kneecoach-{owner_id}", display_name=owner.display_name,
                        scale=load_kb().kujala, kujala=kujala, plan=plan, referrals=live,
                        clinician_plans=clinician_plans, notes=_notes(db, owner_id))


def _notes(db: Any, owner_id: int) -> list[NoteRecord]:
    """The runner's notes with their clinicians, oldest first (names of erased accounts left generic)."""
    from sqlalchemy import select

    from kneecoach.store.models import CareNote, User

    names = dict(db.execute(select(User.id, User.display_name).where(
        User.id.in_(select(CareNote.clinician_id).where(CareNote.owner_id == owner_id)))).all())
    rows = db.scalars(select(CareNote).where(CareNote.owner_id == owner_id).order_by(CareNote.id))
    return [NoteRecord(n.id, n.created_at, n.clinician_id, names.get(n.clinician_id, "clinician"),
                       n.author_id == owner_id, n.body, n.parent_id) for n in rows]
