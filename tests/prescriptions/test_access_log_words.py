"""The patient's access log after a pharmacy system dispensed: who, where, what, in words."""

import pytest
from django.utils import translation

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.selectors import card_access_log
from prescriptions.selectors import prescription_for_pharmacy
from prescriptions.services import PharmacyActor, create_pharmacy_api_key, dispense


@pytest.mark.django_db
def test_a_pharmacy_systems_read_and_dispensing_name_the_pharmacy_and_the_medicine(
        write, pharmacy, card, patient_check, make_user):
    prescription = write(("Amoxicillin", 20))
    key, _plain = create_pharmacy_api_key(pharmacy=pharmacy, name="till")
    system = PharmacyActor(pharmacy=pharmacy, api_key=key)
    prescription_for_pharmacy(by=system, code=prescription.code, patient_check=patient_check)
    dispense(by=system, code=prescription.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 20}])
    assert not AuditEvent.objects.filter(patient_med_id=card.med_id, facility_code="").exists()

    patient = make_user(Role.PATIENT)
    card.user = patient
    card.save(update_fields=["user"])
    with translation.override("en"):
        entries = [(e.who, e.facility_name, e.what)
                   for e in card_access_log(patient, card.med_id) if e.actor_id is None]
    drug = prescription.items.get().drug
    assert entries == [
        ("the pharmacy's system", "Shifo-Farm dorixonasi",
         f"dispensed {drug.inn} {drug.strength} × 20"),
        ("the pharmacy's system", "Shifo-Farm dorixonasi", "read a prescription"),
    ]


@pytest.mark.django_db
def test_the_access_log_page_has_no_blank_entry(client, write, at_pharmacy, pharmacy, card,
                                                 patient_check, make_user, doctor):
    prescription = write(("Amoxicillin", 20))
    dispense(by=at_pharmacy, code=prescription.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 5}])
    patient = make_user(Role.PATIENT)
    card.user = patient
    card.save(update_fields=["user"])
    client.force_login(patient)
    page = client.get("/me/card/access/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "wrote a prescription" in page and doctor.full_name in page
    assert "dispensed Amoxicillin" in page and "× 5" in page and "Shifo-Farm dorixonasi" in page
    assert "<strong data-testid=\"who\"></strong>" not in page
