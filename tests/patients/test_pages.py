import datetime

import pytest

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.models import Allergy, ChronicCondition, PatientCard
from tests.factories import UserFactory, staff_at
from tests.patients.factories import CardFactory


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


@pytest.mark.django_db
def test_search_page_finds_by_cyrillic_name_with_flat_queries(client, doctor, polyclinic,
                                                              django_assert_max_num_queries):
    CardFactory.create_batch(30, attached_facility=polyclinic)
    client.force_login(doctor)
    with django_assert_max_num_queries(12):
        response = client.get("/patients/", {"q": "Каримов"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('href="/patients/') >= 25
    assert "cursor=" in page


@pytest.mark.django_db
def test_card_page_shows_the_summary_with_flat_queries(client, doctor, polyclinic,
                                                       django_assert_max_num_queries):
    card = CardFactory(attached_facility=polyclinic)
    for index in range(10):
        Allergy.objects.create(card=card, substance=f"Substance {index}", severity="mild")
        ChronicCondition.objects.create(card=card, icd10_code=f"I1{index}", text="x")
    client.force_login(doctor)
    # 14, the attachment history, and the conditions' catalogue titles (banner and list).
    with django_assert_max_num_queries(17):
        response = client.get(f"/patients/{card.med_id}/")
    assert response.status_code == 200
    assert "Substance 9" in response.content.decode()


@pytest.mark.django_db
def test_foreign_card_page_is_403_and_offers_break_the_glass(client, doctor):
    card = CardFactory()
    client.force_login(doctor)
    response = client.get(f"/patients/{card.med_id}/")
    assert response.status_code == 403
    assert 'data-testid="break-glass"' in response.content.decode()
    assert card.last_name not in response.content.decode()

    short = client.post(f"/patients/{card.med_id}/break-glass/", {"reason": "why"})
    assert short.status_code == 400
    response = client.post(f"/patients/{card.med_id}/break-glass/",
                           {"reason": "Unconscious at the emergency desk"}, follow=True)
    assert response.status_code == 200
    assert card.last_name in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, break_glass=True,
                                     patient_med_id=card.med_id).exists()


@pytest.mark.django_db
def test_registrar_registers_through_the_form(client, registrar, polyclinic):
    client.force_login(registrar)
    form = {"last_name": "Saidova", "first_name": "Madina", "birth_date": "2001-09-30",
            "sex": "female", "phone": "90 555 44 33", "document_kind": "uz_id_card",
            "document_number": "AD7654321"}
    response = client.post("/patients/new/", form)
    assert response.status_code == 302
    card = PatientCard.objects.get()
    assert response["Location"] == f"/patients/{card.med_id}/"
    assert card.attached_facility == polyclinic and card.phone == "+998905554433"

    again = client.post("/patients/new/", {**form, "document_kind": "", "document_number": ""},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    assert 'data-testid="candidates"' in again.content.decode()
    assert PatientCard.objects.count() == 1


@pytest.mark.django_db
def test_registration_form_shows_field_errors(client, registrar):
    client.force_login(registrar)
    response = client.post("/patients/new/", {"last_name": "X", "first_name": "Y",
                                               "birth_date": "1990-01-01", "sex": "male",
                                               "pinfl": "12345678901234", "phone": "123"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid Uzbek phone number" in page
    assert not PatientCard.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.LAB_TECHNICIAN, Role.PATIENT])
def test_search_and_registration_pages_refuse_others(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/patients/").status_code == 403
    assert client.get("/patients/new/").status_code == 403


@pytest.mark.django_db
def test_patient_sees_own_card_and_who_opened_it_and_nothing_else(client, doctor, polyclinic):
    patient = UserFactory(role=Role.PATIENT)
    card = CardFactory(user=patient, attached_facility=polyclinic)
    other = CardFactory(attached_facility=polyclinic)
    client.force_login(doctor)
    client.get(f"/patients/{card.med_id}/")

    client.force_login(patient)
    assert card.first_name in client.get("/me/card/").content.decode()
    log = client.get("/me/card/access/").content.decode()
    assert doctor.full_name in log
    assert client.get(f"/patients/{other.med_id}/").status_code == 404
    assert client.get(f"/patients/{other.med_id}/print/").status_code == 404


@pytest.mark.django_db
def test_staff_without_a_card_of_their_own_get_403_on_my_card(client, doctor):
    client.force_login(doctor)
    assert client.get("/me/card/").status_code == 403


@pytest.mark.django_db
def test_printable_card_has_the_med_id_as_text_and_qr(client, doctor, polyclinic):
    card = CardFactory(attached_facility=polyclinic, birth_date=datetime.date(1990, 5, 6))
    client.force_login(doctor)
    response = client.get(f"/patients/{card.med_id}/print/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and card.med_id[:3] in page
    assert AuditEvent.objects.filter(action=AuditAction.PRINT,
                                     patient_med_id=card.med_id).exists()


@pytest.mark.django_db
def test_parent_sees_the_childs_card_from_their_own_page(client):
    from patients.models import Representation

    parent = UserFactory(role=Role.PATIENT)
    CardFactory(user=parent)
    child = CardFactory(first_name="Laylo", birth_date=datetime.date(2018, 2, 3))
    expired = CardFactory(first_name="Sobiq")
    Representation.objects.create(representative=parent, card=child, basis="mother")
    Representation.objects.create(representative=parent, card=expired, basis="guardian",
                                  valid_from=datetime.date(2010, 1, 1),
                                  valid_to=datetime.date(2020, 1, 1))
    client.force_login(parent)
    page = client.get("/me/card/").content.decode()
    assert "Laylo" in page and "Sobiq" not in page
    assert client.get(f"/patients/{child.med_id}/").status_code == 200
    assert client.get(f"/patients/{expired.med_id}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "whose", "expected"),
    [
        (Role.CLINICIAN, "attached", 200), (Role.CLINICIAN, "treated", 200),
        (Role.CLINICIAN, "foreign", 403),
        (Role.NURSE, "attached", 200), (Role.NURSE, "foreign", 403),
        (Role.REGISTRAR, "attached", 200), (Role.REGISTRAR, "foreign", 403),
        (Role.PATIENT, "own", 200), (Role.PATIENT, "foreign", 404),
        (Role.PHARMACIST, "foreign", 404), (Role.LAB_TECHNICIAN, "foreign", 404),
        (Role.ADMINISTRATOR, "foreign", 200),
    ],
)
def test_card_page_scope_matrix(client, polyclinic, role, whose, expected):
    user = staff_at(polyclinic, role) if role in (Role.CLINICIAN, Role.NURSE, Role.REGISTRAR,
                                                  Role.PHARMACIST, Role.LAB_TECHNICIAN) \
        else UserFactory(role=role)
    card = {
        "attached": lambda: CardFactory(attached_facility=polyclinic),
        # The family doctor treats the patient wherever the card is attached.
        "treated": lambda: CardFactory(family_doctor=user),
        "own": lambda: CardFactory(user=user),
        "foreign": lambda: CardFactory(),
    }[whose]()
    client.force_login(user)
    assert client.get(f"/patients/{card.med_id}/").status_code == expected
    event = AuditEvent.objects.get(patient_med_id=card.med_id)
    assert event.allowed == (expected == 200)
