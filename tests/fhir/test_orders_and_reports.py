"""DiagnosticReport (a lab order's released results, with the versions corrected since) and
ServiceRequest (ordered lab tests and referrals): per patient, audited as the card's
results, lab orders and referrals; a laboratory's system reads its own orders."""

from decimal import Decimal

import pytest
from django.utils import timezone

from clinics.labs import services as labs
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from clinics.referrals import services as referrals
from clinics.referrals.models import ReferralTarget
from clinics.referrals.services import REFERRAL_OBJECT
from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import mapping
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db


def _ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def order(world, card):
    """Glucose and creatinine ordered; glucose released, then corrected and released."""
    placed = labs.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                  laboratory=world.laboratory, tests=["GLU", "CREA"])
    first = labs.enter_result(actor=world.technician, order_id=placed.public_id,
                              test_code="GLU", value=Decimal("5.1"), sampled_at=timezone.now())
    first = labs.release_result(actor=world.second_technician, result_id=first.public_id)
    return placed, first


def test_a_partly_released_order_reads_as_a_partial_report_then_corrected(fhir, world, card,
                                                                         order):
    placed, first = order
    report = fhir.get(f"DiagnosticReport/{placed.public_id}").json()
    assert report["status"] == "partial"
    assert report["result"] == [{"reference": f"Observation/lab-{first.public_id}"}]
    assert report["performer"][0]["reference"] == f"Organization/{world.laboratory.code}"
    assert {ref["reference"] for ref in report["basedOn"]} == {
        f"ServiceRequest/{placed.public_id}.GLU", f"ServiceRequest/{placed.public_id}.CREA"}
    correction = labs.correct_result(actor=world.technician, result_id=first.public_id,
                                     value=Decimal("6.1"), reason="Transcription error")
    labs.release_result(actor=world.second_technician, result_id=correction.public_id)
    corrected = fhir.get("DiagnosticReport", {"patient": card.med_id}).json()
    assert _ids(corrected) == [str(placed.public_id)]
    report = corrected["entry"][0]["resource"]
    assert report["status"] == "corrected"
    assert report["result"] == [{"reference": f"Observation/lab-{correction.public_id}"}]
    assert report["supportingInfo"][0]["reference"] == {
        "reference": f"Observation/lab-{first.public_id}"}
    assert fhir.get(f"Observation/lab-{first.public_id}").status_code == 200
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, object_type=RESULT_OBJECT,
                                     action="list").exists()


def test_an_order_with_nothing_released_has_no_report(fhir, world, card):
    placed = labs.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                  laboratory=world.laboratory, tests=["GLU"])
    assert fhir.get(f"DiagnosticReport/{placed.public_id}").status_code == 404
    assert _ids(fhir.get("DiagnosticReport", {"patient": card.med_id}).json()) == []
    assert fhir.get("DiagnosticReport/not-a-uuid").status_code == 404


def test_ordered_tests_and_referrals_are_service_requests(fhir, world, card, order):
    placed, _first = order
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL)
    cardiologist = staff_at(hospital, Role.CLINICIAN)
    referral = referrals.refer(actor=world.doctor, med_id=card.med_id,
                               target=ReferralTarget.SPECIALIST, reason="Chest pain",
                               diagnosis_code="I10", to_clinician=cardiologist)
    bundle = fhir.get("ServiceRequest", {"patient": card.med_id}).json()
    assert set(_ids(bundle)) == {f"referral-{referral.public_id}",
                                 f"{placed.public_id}.GLU", f"{placed.public_id}.CREA"}
    glucose = fhir.get(f"ServiceRequest/{placed.public_id}.GLU").json()
    assert glucose["status"] == "completed"
    assert glucose["requisition"] == {"value": str(placed.public_id)}
    coding = glucose["code"]["concept"]["coding"][0]
    assert (coding["system"], coding["code"]) == (mapping.LOINC, "1558-6")
    creatinine = fhir.get(f"ServiceRequest/{placed.public_id}.CREA").json()
    assert creatinine["status"] == "active"
    sent = fhir.get(f"ServiceRequest/referral-{referral.public_id}").json()
    assert sent["performer"][0]["reference"] == f"Practitioner/{cardiologist.public_id.hex}"
    assert sent["reason"][1]["concept"]["coding"][0]["code"] == "I10"
    only_referrals = fhir.get("ServiceRequest", {
        "patient": card.med_id, "category": f"{mapping.SNOMED}|3457005"}).json()
    assert _ids(only_referrals) == [f"referral-{referral.public_id}"]
    assert fhir.get("ServiceRequest", {"patient": card.med_id,
                                       "category": "12345"}).status_code == 400
    kinds = set(AuditEvent.objects.filter(patient_med_id=card.med_id, action="list")
                .values_list("object_type", flat=True))
    assert {ORDER_OBJECT, REFERRAL_OBJECT} <= kinds


def test_a_laboratorys_system_reads_its_own_orders_and_no_other(world, card, order):
    placed, _first = order
    laboratory = make_system_client(role=Role.LAB_TECHNICIAN, facility=world.laboratory)
    fhir = Fhir(token_for(laboratory))
    assert fhir.get(f"ServiceRequest/{placed.public_id}.GLU").status_code == 200
    other_lab = FacilityFactory(kind=FacilityKind.LABORATORY)
    other = Fhir(token_for(make_system_client(role=Role.LAB_TECHNICIAN, facility=other_lab)))
    assert other.get(f"ServiceRequest/{placed.public_id}.GLU").status_code == 404
    # Neither reaches the card itself, nor its other records.
    assert fhir.get("ServiceRequest", {"patient": card.med_id}).status_code == 404
    assert fhir.get(f"DiagnosticReport/{placed.public_id}").status_code == 404
