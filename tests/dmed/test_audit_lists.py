"""Lists of patients' records leave an event per patient shown, so each patient's access log
says their record appeared in someone's search or worklist; refusals are recorded too."""

import pytest

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.prescriptions.conftest import drug

pytestmark = pytest.mark.django_db


def test_a_search_records_each_card_it_showed_and_the_patient_reads_it(api_client):
    polyclinic = FacilityFactory()
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    patient = UserFactory(role=Role.PATIENT)
    shown = [CardFactory(last_name="Qodirova", attached_facility=polyclinic, user=patient),
             CardFactory(last_name="Qodirov", attached_facility=polyclinic)]
    hidden = CardFactory(last_name="Qodirov")  # not in the doctor's scope: not shown
    api_client.force_authenticate(doctor)
    response = api_client.get("/api/v1/patients/", {"search": "Qodirov"})
    assert {c["med_id"] for c in response.json()["results"]} == {c.med_id for c in shown}
    events = AuditEvent.objects.filter(actor=doctor, action=AuditAction.SEARCH)
    assert sorted(events.values_list("patient_med_id", flat=True)) == sorted(
        c.med_id for c in shown)
    assert {e.reason for e in events} == {"Qodirov"}
    assert not AuditEvent.objects.filter(patient_med_id=hidden.med_id).exists()

    api_client.force_authenticate(patient)
    log = api_client.get(f"/api/v1/patients/{shown[0].med_id}/access-log/").json()["results"]
    assert [(e["who"], e["action"]) for e in log] == [(doctor.full_name, "search")]


def test_a_search_that_shows_nothing_is_still_recorded(api_client):
    doctor = staff_at(FacilityFactory(), Role.CLINICIAN)
    api_client.force_authenticate(doctor)
    api_client.get("/api/v1/patients/", {"search": "Nobody"})
    [event] = AuditEvent.objects.filter(actor=doctor, action=AuditAction.SEARCH)
    assert (event.patient_med_id, event.reason) == ("", "Nobody")


def test_the_patients_own_prescription_list_names_the_card(client):
    from prescriptions.services import issue_prescription

    polyclinic = FacilityFactory()
    patient = UserFactory(role=Role.PATIENT)
    card = CardFactory(user=patient, attached_facility=polyclinic)
    issue_prescription(actor=staff_at(polyclinic, Role.CLINICIAN), patient=card.med_id,
                       diagnosis="J06.9", items=[{
                           "drug": drug("Amoxicillin").pk, "quantity": 20,
                           "dosage": "1 tablet", "frequency": "2 times a day", "route": "oral",
                           "duration_days": 5, "instructions": ""}])
    client.force_login(patient)
    assert client.get("/me/prescriptions/").status_code == 200
    [event] = AuditEvent.objects.filter(actor=patient, action=AuditAction.LIST,
                                        object_type="prescriptions.prescription")
    assert event.patient_med_id == card.med_id


def test_a_refused_read_of_the_access_log_is_recorded(api_client):
    polyclinic = FacilityFactory()
    card = CardFactory(attached_facility=polyclinic)
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    api_client.force_authenticate(doctor)
    assert api_client.get(f"/api/v1/patients/{card.med_id}/access-log/").status_code == 403
    [event] = AuditEvent.objects.filter(actor=doctor, object_type="patients.access_log")
    assert (event.allowed, event.object_id) == (False, card.med_id)
