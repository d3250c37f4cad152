"""Integrators keep the clinical summary as clinicians do on the card: allergies and
chronic conditions are recorded, corrected and ended through the API, audited, refused
outside the caller's scope, and answered per field."""

import pytest

from dmed.models import AuditEvent
from dmed.roles import Role
from patients import services
from patients.models import Allergy, ChronicCondition
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/patients/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic)


@pytest.fixture
def suspected(doctor, card):
    return services.record_allergy(actor=doctor, med_id=card.med_id, substance="Penicillin",
                                   severity="moderate", reaction="Rash")


def test_an_allergy_is_corrected_then_ended_and_stays_as_history(api_client, doctor, card,
                                                                 suspected):
    api_client.force_authenticate(doctor)
    url = f"{URL}{card.med_id}/allergies/{suspected.public_id}/"
    corrected = api_client.put(url, {"substance": "Penicillin", "severity": "severe",
                                     "reaction": "Anaphylaxis", "verification": "verified"},
                               format="json")
    assert corrected.status_code == 200, corrected.json()
    assert (corrected.json()["severity"], corrected.json()["verification"]) == (
        "severe", "verified")
    unsaid = api_client.post(f"{url}end/", {"reason": ""}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert unsaid.status_code == 400 and "reason" in unsaid.json()["fields"]
    ended = api_client.post(f"{url}end/", {"reason": "Recorded in error"}, format="json",
                            HTTP_ACCEPT_LANGUAGE="en")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "Recorded in error"
    again = api_client.post(f"{url}end/", {"reason": "twice"}, format="json")
    assert again.status_code == 400
    allergy = Allergy.objects.get()
    assert allergy.ended_at is not None and allergy.changed_by == doctor
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, actor=doctor,
                                     reason__startswith="Allergy ended").count() == 1


def test_a_condition_is_corrected_to_resolved(api_client, doctor, card):
    condition = services.record_chronic_condition(actor=doctor, med_id=card.med_id,
                                                  icd10_code="I10")
    api_client.force_authenticate(doctor)
    url = f"{URL}{card.med_id}/chronic-conditions/{condition.public_id}/"
    bad = api_client.put(url, {"icd10_code": "I10", "status": "cured-by-magic"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    done = api_client.put(url, {"icd10_code": "I10", "status": "resolved"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="ru")
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert "гипертенз" in done.json()["name"].lower()  # the catalogue's title, in Russian
    assert ChronicCondition.objects.get().status == "resolved"


def test_another_facilitys_doctor_and_a_registrar_are_refused_and_nothing_changes(
        api_client, polyclinic, card, suspected):
    url = f"{URL}{card.med_id}/allergies/{suspected.public_id}/"
    for outsider in (staff_at(FacilityFactory(), Role.CLINICIAN),
                     staff_at(polyclinic, Role.REGISTRAR)):
        api_client.force_authenticate(outsider)
        assert api_client.post(f"{url}end/", {"reason": "no"}, format="json"
                               ).status_code == 403
        assert api_client.put(url, {"substance": "Latex", "severity": "mild"},
                              format="json").status_code == 403
        assert AuditEvent.objects.filter(actor=outsider, allowed=False).exists()
    suspected.refresh_from_db()
    assert suspected.is_active and suspected.substance == "Penicillin"


def test_an_allergy_of_another_card_is_not_found(api_client, doctor, polyclinic, suspected):
    other = CardFactory(attached_facility=polyclinic)
    api_client.force_authenticate(doctor)
    response = api_client.post(f"{URL}{other.med_id}/allergies/{suspected.public_id}/end/",
                               {"reason": "wrong card"}, format="json")
    assert response.status_code == 404
    assert api_client.post(f"{URL}{other.med_id}/allergies/not-a-uuid/end/",
                           {"reason": "x"}, format="json").status_code == 404
