"""Provenance: who signed a closed visit and a prescription, and when; a prescription's
carries the prescriber's signature, which verifies against their published key."""

import base64

import pytest

from clinics.visits.models import VisitDiagnosis
from clinics.visits.services import close_visit
from prescriptions import signing
from prescriptions.models import Drug
from prescriptions.selectors import canonical_content
from prescriptions.services import issue_prescription
from tests.clinics.factories import VisitFactory

pytestmark = pytest.mark.django_db


def test_signatures_of_a_closed_visit_and_a_prescription(fhir, world, card):
    closed = VisitFactory(card=card, clinician=world.doctor, facility=world.polyclinic)
    VisitDiagnosis.objects.create(visit=closed, code_id="I10", kind="primary")
    close_visit(world.doctor, closed.public_id)
    still_open = VisitFactory(card=card)
    drug = Drug.objects.order_by("pk").first()
    prescription = issue_prescription(actor=world.doctor, patient=card.med_id, diagnosis="I10",
                                      items=[{"drug": drug.pk, "quantity": 2, "dosage": "1"}])
    bundle = fhir.get("Provenance", {"patient": card.med_id}).json()
    ids = {e["resource"]["id"] for e in bundle["entry"]}
    assert ids == {f"visit-{closed.public_id}", f"rx-{prescription.code}"}
    visit = fhir.get(f"Provenance/visit-{closed.public_id}").json()
    assert visit["target"] == [{"reference": f"Encounter/visit-{closed.public_id}"}]
    assert visit["agent"][0]["who"]["reference"] == f"Practitioner/{world.doctor.public_id.hex}"
    signed = fhir.get(f"Provenance/rx-{prescription.code}").json()
    assert signed["target"] == [{"reference": f"MedicationRequest/{prescription.code}.1"}]
    signature = base64.b64decode(signed["signature"][0]["data"])
    content = signing.canonical(canonical_content(prescription))
    assert signing.verify(bytes(prescription.signing_key.public_key), signature, content)
    assert fhir.get(f"Provenance/visit-{still_open.public_id}").status_code == 404
    assert fhir.get("Provenance/rx-AAAAAAAAA").status_code == 404
