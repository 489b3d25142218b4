"""FHIR R4 export: every resource is built and re-validated by ``fhir.resources`` (R4B = the R4 line)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from kneecoach.engine import assess, load_kb
from kneecoach.intake.profile import Profile
from kneecoach.render import fhir
from kneecoach.store import repo
from kneecoach.store.db import make_engine, make_session_factory, transaction
from kneecoach.store.migrate import upgrade

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WHEN = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


def _profile(name: str) -> Profile:
    return Profile.model_validate(yaml.safe_load((EXAMPLES / name).read_text()))


def _by_type(bundle: Bundle) -> dict[str, list]:
    out: dict[str, list] = {}
    for e in bundle.entry:
        out.setdefault(e.resource.get_resource_type(), []).append(e.resource)
    return out


def test_kujala_questionnaire_matches_the_knowledge_base() -> None:
    scale = load_kb().kujala
    q = fhir.kujala_questionnaire(scale)
    again = Questionnaire.model_validate_json(q.model_dump_json(by_alias=True, exclude_none=True))
    assert len(again.item) == 14 and again.item[-1].linkId == "total" and again.item[-1].readOnly
    best = sum(max(o.extension[0].valueDecimal for o in item.answerOption) for item in again.item[:13])
    assert best == 100  # the ordinal values are the published points
    assert "not a diagnosis" in again.description


def test_full_bundle_round_trips_through_the_library() -> None:
    kb = load_kb()
    profile = _profile("runners_knee_004.yaml")
    a = assess(profile, kb)
    assert a.kujala is not None and a.plan is not None
    rec = fhir.KujalaRecord(WHEN, dict(profile.kujala), a.kujala.score, 7)
    bundle = fhir.build_bundle(patient_key="kneecoach-1", display_name="Rita", scale=kb.kujala, kujala=[rec],
                               plan=(2, WHEN, a.plan), referrals=[])
    parsed = Bundle.model_validate_json(bundle.model_dump_json(by_alias=True, exclude_none=True))
    kinds = _by_type(parsed)
    assert set(kinds) == {"Patient", "Questionnaire", "QuestionnaireResponse", "CarePlan"}
    qr = kinds["QuestionnaireResponse"][0]
    assert qr.status == "completed" and qr.questionnaire == fhir.QUESTIONNAIRE_URL
    assert qr.item[-1].answer[0].valueInteger == a.kujala.score
    patient_url = parsed.entry[0].fullUrl
    assert qr.subject.reference == patient_url and kinds["CarePlan"][0].subject.reference == patient_url
    plan = kinds["CarePlan"][0]
    n_ex = sum(len(p.exercises) for p in a.plan.phases)
    assert len(plan.activity) == n_ex + len(a.plan.mileage_ramp)
    assert plan.status == "active" and plan.intent == "plan"


def test_partial_kujala_is_in_progress_without_total() -> None:
    scale = load_kb().kujala
    rec = fhir.KujalaRecord(WHEN, {"limp": "a", "stairs": "b"}, None, 3)
    qr = QuestionnaireResponse.model_validate(
        fhir.kujala_response(scale, rec, "urn:uuid:x").model_dump(by_alias=True, exclude_none=True))
    assert qr.status == "in-progress" and [i.linkId for i in qr.item] == ["limp", "stairs"]


def test_referral_is_a_proposed_service_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    profile = _profile("red_flag_locking.yaml")
    a = assess(profile)
    assert a.referral is not None and a.plan is None
    with transaction(factory) as s:
        owner = repo.create_user(s, "r@example.org", "Red").id
        other = repo.create_user(s, "o@example.org", "Other").id
        repo.save_assessment_and_plan(s, owner, profile, a)
        repo.save_assessment_and_plan(s, other, _profile("runners_knee_004.yaml"), assess(_profile("runners_knee_004.yaml")))
        bundle = fhir.bundle_for_owner(s, owner)
    kinds = _by_type(Bundle.model_validate_json(bundle.model_dump_json(by_alias=True, exclude_none=True)))
    assert "CarePlan" not in kinds  # no plan with a red flag, and nothing of the other runner's
    sr: ServiceRequest = kinds["ServiceRequest"][0]
    assert sr.intent == "proposal" and sr.status == "active"
    assert sr.priority == {"emergency": "stat", "urgent": "urgent", "soon": "routine"}[a.referral.urgency]
    assert [c.text for c in sr.reasonCode] == [r.reason for r in a.referral.reasons]


def test_the_library_really_validates() -> None:
    """The guard these tests rely on: a malformed resource is refused by the models."""
    with pytest.raises(ValidationError):
        CarePlan.model_validate({"resourceType": "CarePlan", "intent": "plan", "subject": {"reference": "x"}})
    with pytest.raises(ValidationError):
        CarePlan.model_validate({"resourceType": "CarePlan", "status": "active", "intent": "plan",
                                 "subject": {"reference": "x"}, "created": "yesterday"})


@pytest.mark.parametrize("example", ["bone_stress_marathoner.yaml", "red_flag_kujala_limp.yaml"])
def test_triage_referral_states_its_reason_in_the_service_request(tmp_path: Path, example: str) -> None:
    """An examine-first pathway (plan without running) and a flag raised from answers both reach FHIR with the reason."""
    url = f"sqlite:///{tmp_path / 't.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    profile = _profile(example)
    a = assess(profile)
    with transaction(factory) as s:
        owner = repo.create_user(s, "t@example.org", "Triage").id
        repo.save_assessment_and_plan(s, owner, profile, a)
        bundle = fhir.bundle_for_owner(s, owner)
    kinds = _by_type(Bundle.model_validate_json(bundle.model_dump_json(by_alias=True, exclude_none=True)))
    sr: ServiceRequest = kinds["ServiceRequest"][0]
    reasons = " ".join(c.text for c in sr.reasonCode)
    if a.referral is not None:  # the adolescent: a red flag raised by the Kujala limp answer
        assert "CarePlan" not in kinds
        assert "Raised by" in reasons and "Do you limp?" in reasons
    else:  # bone stress: a plan without running, and the referral beside it
        assert a.pathway.referral is not None
        assert sr.priority == "urgent" and a.pathway.referral.reason in reasons
        plan = kinds["CarePlan"][0]
        assert "Running is on hold" in plan.description
        assert {act.detail.status for act in plan.activity if act.detail.code.text.startswith("Running")} == {"on-hold"}
