"""The visit and ward pages: what a clinician sees and types, refusals and bad input."""

import pytest
from django.urls import reverse

from clinics.models import Icd10Code, Visit
from clinics.stays import services as stay_services
from clinics.visits import services
from dmed.models import AuditEvent
from dmed.roles import Role
from tests.clinics.factories import BedFactory, VisitFactory, WardFactory
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic)


def test_the_card_page_starts_a_visit_and_the_form_saves_and_closes(client, doctor, card):
    client.force_login(doctor)
    page = client.get(reverse("patients:card", args=[card.med_id])).content.decode()
    assert reverse("clinics:visit-start", args=[card.med_id]) in page
    assert reverse("clinics:card-visits", args=[card.med_id]) in page
    response = client.post(reverse("clinics:visit-start", args=[card.med_id]))
    visit = Visit.objects.get(card=card)
    assert response.url == reverse("clinics:visit-edit", args=[visit.public_id])
    form = client.get(response.url)
    assert form.status_code == 200 and 'data-icd10="primary"' in form.content.decode()
    response = client.post(response.url, {
        "complaints": "Bosh og‘rig‘i", "bp_systolic": "160", "bp_diastolic": "100",
        "pulse": "80", "temperature": "36,6", "weight": "90", "height": "175",
        "primary_diagnosis": "I10", "secondary_diagnoses": "E11.9, E66.9", "close": "1"})
    # Saved, then what will be sealed is shown for confirmation: nothing is sealed yet.
    assert response.status_code == 200, response.content.decode()[:3000]
    assert 'data-testid="confirm-seal"' in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "open" and visit.complaints == "Bosh og‘rig‘i"
    response = client.post(reverse("clinics:visit-close", args=[visit.public_id]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "closed" and visit.bmi is not None
    assert list(visit.diagnoses.values_list("code", flat=True)) == ["I10", "E11.9", "E66.9"]
    page = client.get(reverse("clinics:visit", args=[visit.public_id])).content.decode()
    # An Uzbek page reads the Russian title where the catalogue has no Uzbek one.
    assert Icd10Code.objects.get(pk="I10").title_ru in page
    # The protocol of the primary diagnosis is shown with its suggested tests.
    assert 'data-testid="protocol"' in page
    client.post(reverse("clinics:visit-addendum", args=[visit.public_id]),
                {"text": "Potassium normal."})
    assert "Potassium normal." in client.get(
        reverse("clinics:visit", args=[visit.public_id])).content.decode()


def test_bad_vitals_and_diagnoses_come_back_per_field(client, doctor, card):
    visit = services.open_visit(doctor, card)
    client.force_login(doctor)
    response = client.post(reverse("clinics:visit-edit", args=[visit.public_id]), {
        "complaints": "kept in the form", "pulse": "900", "temperature": "abc",
        "spo2": "120", "primary_diagnosis": "Q99.99"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("pulse", "temperature", "spo2", "primary_diagnosis"):
        assert f'data-testid="error-{field}"' in page
    assert "kept in the form" in page
    visit.refresh_from_db()
    assert visit.complaints == "" and visit.pulse is None
    response = client.post(reverse("clinics:visit-edit", args=[visit.public_id]),
                           {"close": "1"})
    assert 'data-testid="error-primary_diagnosis"' in response.content.decode()


def test_visit_pages_refuse_outsiders(client, card):
    visit = VisitFactory(card=card)
    outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
    client.force_login(outsider)
    assert client.get(reverse("clinics:visit", args=[visit.public_id])).status_code == 403
    assert client.post(reverse("clinics:visit-start", args=[card.med_id])).status_code == 403
    assert AuditEvent.objects.filter(actor=outsider, allowed=False).count() == 2
    assert client.get(reverse("clinics:card-visits", args=[card.med_id])).status_code == 403


def test_visit_lists_are_flat_in_queries(client, doctor, card, polyclinic,
                                         django_assert_max_num_queries):
    for _ in range(22):
        visit = VisitFactory(card=card, facility=polyclinic, clinician=doctor)
        services.record_visit(doctor, visit.public_id,
                              diagnoses=[{"code": "J06.9", "kind": "primary"}])
        services.close_visit(doctor, visit.public_id)
    client.force_login(doctor)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("clinics:visits"))
    assert page.content.decode().count("J06.9") == 22
    with django_assert_max_num_queries(14):
        page = client.get(reverse("clinics:card-visits", args=[card.med_id]))
    assert page.content.decode().count("J06.9") == 22


def test_wards_board_admission_transfer_and_discharge_pages(client,
                                                            django_assert_max_num_queries):
    ward = WardFactory()
    hospital = ward.department.facility
    doctor = staff_at(hospital, Role.CLINICIAN)
    beds = [BedFactory(ward=ward, code=str(n)) for n in range(1, 25)]
    for bed in beds[:21]:
        stay_services.admit(doctor, CardFactory(attached_facility=hospital), bed=bed,
                            admitting_diagnosis="I10")
    client.force_login(doctor)
    assert "21" in client.get(reverse("clinics:wards")).content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(reverse("clinics:ward-board", args=[ward.department.code]))
    assert page.content.decode().count('data-testid="bed"') == 24
    card = CardFactory(attached_facility=hospital)
    response = client.post(reverse("clinics:stay-admit"), {
        "card": card.med_id, "bed": str(beds[21].public_id), "admitting_diagnosis": "XX"})
    assert response.status_code == 400
    assert 'data-testid="error-admitting_diagnosis"' in response.content.decode()
    response = client.post(reverse("clinics:stay-admit"), {
        "card": card.med_id, "bed": str(beds[21].public_id), "admitting_diagnosis": "J18.9"})
    assert response.status_code == 302
    stay_url = response.url
    public_id = stay_url.rstrip("/").split("/")[-1]
    client.post(reverse("clinics:stay-transfer", args=[public_id]),
                {"bed": str(beds[22].public_id)})
    client.post(reverse("clinics:stay-note", args=[public_id]), {"text": "Afebrile."})
    response = client.post(reverse("clinics:stay-discharge", args=[public_id]),
                           {"summary": "", "primary_diagnosis": ""})
    assert response.status_code == 400
    response = client.post(reverse("clinics:stay-discharge", args=[public_id]),
                           {"summary": "Recovered.", "primary_diagnosis": "J18.9"})
    assert response.status_code == 302
    page = client.get(stay_url).content.decode()
    assert "Afebrile." in page and "Recovered." in page
    assert "J18.9" in client.get(
        reverse("clinics:card-stays", args=[card.med_id])).content.decode()


@pytest.mark.parametrize("role", [Role.PATIENT, Role.PHARMACIST, Role.LAB_TECHNICIAN])
def test_wards_are_for_hospital_staff(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("clinics:wards")).status_code == 403
