"""Prescribing from a visit: the visit page links to the form, the visit's primary
diagnosis is filled in, and the prescription records the visit; a visit of another card
is refused, in the form and in the API."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from clinics.visits import services as visits
from dmed.models import AuditEvent
from dmed.roles import Role
from prescriptions.models import Prescription
from tests.factories import staff_at
from tests.patients.factories import CardFactory
from tests.prescriptions.conftest import drug
from tests.prescriptions.test_pages import EN, write_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(doctor, card):
    opened = visits.open_visit(doctor, card)
    visits.record_visit(doctor, opened.public_id, complaints="Bosh og'rig'i",
                        diagnoses=[{"code": "I10", "kind": "primary"},
                                   {"code": "E11.9", "kind": "secondary"}])
    return opened


@pytest.fixture
def other_visit(doctor, polyclinic):
    return visits.open_visit(doctor, CardFactory(attached_facility=polyclinic,
                                                 registered_at=polyclinic))


def write_url(card, visit) -> str:
    return f"{reverse('prescriptions:write', args=[card.med_id])}?visit={visit.public_id}"


def test_the_visit_pages_lead_clinicians_to_the_form(client, doctor, polyclinic, card, visit):
    client.force_login(doctor)
    link = write_url(card, visit)
    # On the form, the visit is saved first: the prescription reads the diagnosis typed.
    saved = client.post(reverse("clinics:visit-edit", args=[visit.public_id]), {
        "complaints": "Bosh og'rig'i", "primary_diagnosis": "I11.9", "prescribe": ""})
    assert saved.status_code == 302 and saved.url == link
    assert 'name="diagnosis" value="I11.9"' in client.get(link).content.decode()
    visits.close_visit(doctor, visit.public_id)
    assert link in client.get(reverse("clinics:visit", args=[visit.public_id])
                              ).content.decode()
    client.force_login(staff_at(polyclinic, Role.NURSE))
    page = client.get(reverse("clinics:visit", args=[visit.public_id])).content.decode()
    assert 'data-testid="prescribe-from-visit"' not in page


def test_the_form_takes_the_primary_diagnosis_and_the_prescription_the_visit(
        client, doctor, card, visit):
    visits.close_visit(doctor, visit.public_id)  # just closed: still the visit it came from
    client.force_login(doctor)
    url = write_url(card, visit)
    page = client.get(url, **EN).content.decode()
    assert 'data-testid="from-visit"' in page
    assert 'name="diagnosis" value="I10"' in page
    answer = client.post(url, write_form(diagnosis="I10"))
    prescription = Prescription.objects.get()
    assert answer.status_code == 302
    assert (prescription.visit, prescription.diagnosis_id) == (visit, "I10")
    detail = client.get(answer["Location"]).content.decode()
    assert reverse("clinics:visit", args=[visit.public_id]) in detail


def test_without_a_visit_nothing_is_filled_in_or_recorded(client, doctor, card):
    client.force_login(doctor)
    url = reverse("prescriptions:write", args=[card.med_id])
    page = client.get(url).content.decode()
    assert 'data-testid="from-visit"' not in page and 'name="diagnosis" value=' not in page
    client.post(url, write_form())
    assert Prescription.objects.get().visit is None


def test_a_visit_of_another_card_is_not_followed(client, doctor, card, other_visit):
    client.force_login(doctor)
    assert client.get(write_url(card, other_visit)).status_code == 404
    assert client.post(write_url(card, other_visit), write_form()).status_code == 404
    # Refused before the visit is read: no view of the other patient's visit is recorded.
    assert not AuditEvent.objects.filter(object_type="clinics.visit", action="view",
                                         object_id=str(other_visit.public_id)).exists()
    assert client.get(f"{reverse('prescriptions:write', args=[card.med_id])}?visit=nonsense"
                      ).status_code == 404
    assert not Prescription.objects.exists()


def test_the_service_refuses_a_foreign_or_unknown_visit_per_field(write, other_visit):
    for visit in (other_visit.public_id, uuid.uuid4(), "nonsense"):
        with pytest.raises(ValidationError) as refused:
            write(("Amoxicillin", 20), visit=visit)
        assert set(refused.value.message_dict) == {"visit"}
    assert not Prescription.objects.exists()


def test_the_api_accepts_a_visit_and_refuses_another_cards(doctor, card, visit, other_visit):
    client = APIClient()
    client.force_authenticate(doctor)
    body = {"patient": card.med_id, "diagnosis": "I10",
            "items": [{"drug": drug("Amlodipine", "5 mg").pk, "quantity": 30,
                       "dosage": "1 tablet"}]}
    made = client.post(reverse("api-prescriptions"), {**body, "visit": str(visit.public_id)},
                       format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["visit"] == str(visit.public_id)
    read = client.get(reverse("api-prescription", args=[made.json()["code"]])).json()
    assert read["visit"] == str(visit.public_id)
    for foreign in (str(other_visit.public_id), str(uuid.uuid4()), "nonsense"):
        refused = client.post(reverse("api-prescriptions"), {**body, "visit": foreign},
                              format="json")
        assert refused.status_code == 400 and set(refused.json()["fields"]) == {"visit"}
    plain = client.post(reverse("api-prescriptions"), body, format="json").json()
    assert plain["visit"] is None
    assert Prescription.objects.count() == 2
