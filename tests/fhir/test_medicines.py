"""Medication (the drug registry, ATC), MedicationRequest (prescription items) and
MedicationDispense (what pharmacies gave out): read and searched per patient as the card's
prescriptions list reads them, audited as that list."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import mapping
from prescriptions.models import Drug, Prescription
from prescriptions.selectors import PRESCRIPTION_OBJECT
from prescriptions.services import (
    cancel_prescription,
    dispense,
    issue_prescription,
    pharmacist_actor,
)
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at

pytestmark = pytest.mark.django_db


def _drug(inn: str) -> Drug:
    return Drug.objects.filter(inn=inn).order_by("pk").first()


@pytest.fixture
def prescribe(world, card):
    def issue(*inns, diagnosis="I10"):
        items = [{"drug": _drug(inn).pk, "quantity": 20, "dosage": "1 tablet",
                  "frequency": "2 times a day", "route": "oral", "duration_days": 10,
                  "instructions": "Ovqatdan keyin"} for inn in inns]
        return issue_prescription(actor=world.doctor, patient=card.med_id,
                                  diagnosis=diagnosis, items=items)
    return issue


def _ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_the_drug_registry_reads_as_medications_by_atc_code(fhir):
    drug = _drug("Amlodipine")
    medication = fhir.get(f"Medication/{drug.pk}").json()
    assert medication["code"]["coding"] == [{"system": mapping.ATC, "code": drug.atc_code}]
    assert medication["ingredient"][0]["item"]["concept"]["text"] == "Amlodipine"
    assert medication["status"] == "active"
    group = fhir.get("Medication", {"code": f"{mapping.ATC}|{drug.atc_code[:4]}",
                                    "_count": "100"}).json()
    found = _ids(group)
    assert str(drug.pk) in found
    assert all(e["resource"]["code"]["coding"][0]["code"].startswith(drug.atc_code[:4])
               for e in group["entry"])
    Drug.objects.filter(pk=drug.pk).update(is_active=False)
    inactive = fhir.get("Medication", {"code": drug.atc_code, "status": "inactive"}).json()
    assert _ids(inactive) == [str(drug.pk)]
    assert fhir.get("Medication/999999999").status_code == 404
    assert fhir.get("Medication/abc").status_code == 404


def test_a_medication_search_refuses_another_code_system_and_status(fhir):
    other = fhir.get("Medication", {"code": "http://snomed.info/sct|387517004"})
    assert other.status_code == 400
    assert other.json()["issue"][0]["expression"] == ["code"]
    assert fhir.get("Medication", {"status": "retired"}).status_code == 400


def test_prescription_items_are_medication_requests_with_their_medication_included(
        fhir, card, prescribe):
    first = prescribe("Amlodipine", "Metformin")
    Prescription.objects.filter(pk=first.pk).update(issued_at=timezone.now() - timedelta(hours=1))
    second = prescribe("Paracetamol", diagnosis="J06.9")
    bundle = fhir.get("MedicationRequest", {"patient": f"Patient/{card.med_id}",
                                            "_include": "MedicationRequest:medication"}).json()
    assert _ids(bundle) == [f"{second.code}.1", f"{first.code}.1", f"{first.code}.2"]
    request = bundle["entry"][1]["resource"]
    assert request["status"] == "active" and request["intent"] == "order"
    assert request["groupIdentifier"] == {"value": first.code}
    assert request["reason"][0]["concept"]["coding"][0]["code"] == "I10"
    assert request["subject"] == {"reference": f"Patient/{card.med_id}"}
    included = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert included == {str(_drug(inn).pk) for inn in ("Amlodipine", "Metformin", "Paracetamol")}
    assert {e["resource"]["medication"]["reference"]["reference"] for e in bundle["entry"]
            if e["search"]["mode"] == "match"} == {f"Medication/{pk}" for pk in included}
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, action="list",
                                     object_type=PRESCRIPTION_OBJECT).exists()
    read = fhir.get(f"MedicationRequest/{first.code}.2").json()
    assert read["medication"]["reference"]["reference"] == f"Medication/{_drug('Metformin').pk}"
    assert fhir.get(f"MedicationRequest/{first.code}.9").status_code == 404


def test_medication_requests_by_status_and_date_in_keyset_pages(fhir, world, card, prescribe):
    older = prescribe("Amlodipine")
    Prescription.objects.filter(pk=older.pk).update(
        issued_at=timezone.now() - timedelta(days=40))
    newer = prescribe("Metformin")
    Prescription.objects.filter(pk=newer.pk).update(issued_at=timezone.now() - timedelta(hours=1))
    cancelled = prescribe("Paracetamol")
    cancel_prescription(actor=world.doctor, code=cancelled.code, reason="wrong drug")
    active = fhir.get("MedicationRequest", {"patient": card.med_id, "status": "active"}).json()
    assert _ids(active) == [f"{newer.code}.1", f"{older.code}.1"]
    ended = fhir.get("MedicationRequest", {"patient": card.med_id,
                                           "status": "cancelled,completed"}).json()
    assert _ids(ended) == [f"{cancelled.code}.1"]
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    recent = fhir.get("MedicationRequest", {"patient": card.med_id,
                                            "authoredon": f"ge{since}"}).json()
    assert f"{older.code}.1" not in _ids(recent) and len(_ids(recent)) == 2
    seen, params = [], {"patient": card.med_id, "_count": "1"}
    while True:
        page = fhir.get("MedicationRequest", params).json()
        seen += _ids(page)
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            break
        params = {key: values[0] for key, values in parse_qs(urlsplit(following[0]).query).items()}
    assert seen == [f"{cancelled.code}.1", f"{newer.code}.1", f"{older.code}.1"]
    bad = fhir.get("MedicationRequest", {"patient": card.med_id, "status": "on-hold"})
    assert bad.status_code == 400
    include = fhir.get("MedicationRequest", {"patient": card.med_id,
                                             "_include": "MedicationRequest:patient"})
    assert include.status_code == 400


def test_what_a_pharmacy_gave_out_reads_as_medication_dispenses(fhir, card, prescribe):
    prescription = prescribe("Amlodipine", "Metformin")
    pharmacy = FacilityFactory(kind=FacilityKind.PHARMACY)
    pharmacist = staff_at(pharmacy, Role.PHARMACIST)
    dispensing, _new = dispense(by=pharmacist_actor(pharmacist), code=prescription.code,
                                patient_check=card.pinfl[-4:],
                                items=[{"item": 1, "quantity": 20}, {"item": 2, "quantity": 5}])
    bundle = fhir.get("MedicationDispense", {"patient": card.med_id}).json()
    assert sorted(_ids(bundle)) == [f"{dispensing.public_id}.1", f"{dispensing.public_id}.2"]
    one = fhir.get(f"MedicationDispense/{dispensing.public_id}.2").json()
    assert one["quantity"] == {"value": 5}
    assert one["authorizingPrescription"] == [
        {"reference": f"MedicationRequest/{prescription.code}.2"}]
    assert one["performer"][0]["actor"]["reference"] == f"Organization/{pharmacy.code}"
    request = fhir.get(f"MedicationRequest/{prescription.code}.1").json()
    assert request["status"] == "completed"
    assert fhir.get(f"MedicationDispense/{dispensing.public_id}.7").status_code == 404
    assert fhir.get("MedicationDispense/not-a-uuid.1").status_code == 404


def test_a_page_of_prescriptions_keeps_its_query_count(
        fhir, card, prescribe, django_assert_max_num_queries):
    for _ in range(6):
        prescribe("Amlodipine", "Metformin", "Paracetamol")
    params = {"patient": card.med_id, "_include": "MedicationRequest:medication"}
    with django_assert_max_num_queries(10):
        assert len(_ids(fhir.get("MedicationRequest", params).json())) == 18
