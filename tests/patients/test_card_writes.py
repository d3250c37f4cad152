import pytest

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.models import Allergy, Attachment, ChronicCondition
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/patients/"


@pytest.mark.django_db
def test_attachment_change_needs_a_reason_and_keeps_history(api_client, polyclinic):
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    card = CardFactory(attached_facility=polyclinic)
    Attachment.objects.create(card=card, facility=polyclinic)
    other = FacilityFactory()
    api_client.force_authenticate(registrar)
    url = f"{URL}{card.med_id}/attachment/"
    missing = api_client.post(url, {"facility": other.code}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    pharmacy = FacilityFactory(kind="pharmacy")
    wrong_kind = api_client.post(url, {"facility": pharmacy.code, "reason": "moved"},
                                 format="json")
    assert wrong_kind.status_code == 400 and "facility" in wrong_kind.json()["fields"]

    response = api_client.post(url, {"facility": other.code, "reason": "Moved to Yunusobod"},
                               format="json")
    assert response.status_code == 201
    assert response.json()["attached_facility"] == other.code
    history = list(card.attachments.order_by("started_at").values_list("facility", "ended_at"))
    assert [facility for facility, _ in history] == [polyclinic.pk, other.pk]
    assert history[0][1] is not None and history[1][1] is None
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, reason="Moved to Yunusobod",
                                     patient_med_id=card.med_id).exists()
    # The card has left this polyclinic: the registrar's scope no longer covers it.
    again = api_client.post(url, {"facility": polyclinic.code, "reason": "back"}, format="json")
    assert again.status_code == 403


@pytest.mark.django_db
def test_clinician_records_allergies_and_conditions(api_client, polyclinic):
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    card = CardFactory(attached_facility=polyclinic)
    api_client.force_authenticate(doctor)
    allergy = api_client.post(f"{URL}{card.med_id}/allergies/",
                              {"substance": "Penicillin", "reaction": "Urticaria",
                               "severity": "moderate"}, format="json")
    assert allergy.status_code == 201
    bad = api_client.post(f"{URL}{card.med_id}/chronic-conditions/",
                          {"icd10_code": "hypertension", "text": "x"}, format="json")
    assert bad.status_code == 400 and "icd10_code" in bad.json()["fields"]
    good = api_client.post(f"{URL}{card.med_id}/chronic-conditions/",
                           {"icd10_code": "E11.9", "text": "Type 2 diabetes",
                            "since": "2015-06-01"}, format="json")
    assert good.status_code == 201
    assert (Allergy.objects.count(), ChronicCondition.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_a_refused_write_is_audited_and_writes_nothing(api_client, polyclinic):
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    foreign = CardFactory()
    api_client.force_authenticate(doctor)
    response = api_client.post(f"{URL}{foreign.med_id}/allergies/",
                               {"substance": "Pollen", "severity": "mild"}, format="json")
    assert response.status_code == 403
    assert not Allergy.objects.exists()
    refusal = AuditEvent.objects.get(patient_med_id=foreign.med_id)
    assert (refusal.action, refusal.allowed) == (AuditAction.UPDATE, False)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.PATIENT])
def test_only_caring_staff_record_the_clinical_summary(api_client, polyclinic, role):
    user = staff_at(polyclinic, role) if role == Role.REGISTRAR else UserFactory(role=role)
    card = CardFactory(attached_facility=polyclinic,
                       user=user if role == Role.PATIENT else None)
    api_client.force_authenticate(user)
    response = api_client.post(f"{URL}{card.med_id}/allergies/",
                               {"substance": "Pollen", "severity": "mild"}, format="json")
    assert response.status_code == 403
    assert not Allergy.objects.exists()


@pytest.mark.django_db
def test_patch_corrects_identity_and_audits_inside_the_write(api_client, polyclinic):
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    card = CardFactory(attached_facility=polyclinic)
    api_client.force_authenticate(registrar)
    response = api_client.patch(f"{URL}{card.med_id}/", {"last_name": "Каримов"},
                                format="json")
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.search_name.startswith("karimov")
    bad = api_client.patch(f"{URL}{card.med_id}/", {"pinfl": "31203852640019"}, format="json")
    assert bad.status_code == 400
    updates = AuditEvent.objects.filter(action=AuditAction.UPDATE, patient_med_id=card.med_id)
    assert updates.count() == 1


@pytest.mark.django_db
def test_temporary_card_at_once_scoped_to_the_registering_facility(api_client, client):
    hospital = FacilityFactory(kind="hospital")
    doctor = staff_at(hospital, Role.CLINICIAN)
    api_client.force_authenticate(doctor)
    response = api_client.post(f"{URL}temporary/", {"sex": "male", "notes": "Blue jacket"},
                               format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "temporary" and body["attached_facility"] is None
    assert body["identification_notes"] == "Blue jacket"
    assert api_client.get(f"{URL}{body['med_id']}/").status_code == 200
    elsewhere = staff_at(FacilityFactory(), Role.CLINICIAN)
    api_client.force_authenticate(elsewhere)
    assert api_client.get(f"{URL}{body['med_id']}/").status_code == 403

    client.force_login(doctor)
    page = client.post("/patients/new/temporary/")
    assert page.status_code == 302
    assert temporary_cards() == 2


def temporary_cards() -> int:
    from patients.models import CardStatus, PatientCard

    return PatientCard.objects.filter(status=CardStatus.TEMPORARY).count()


@pytest.mark.django_db
def test_registrar_links_a_parent_who_then_sees_the_childs_card(api_client, polyclinic):
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    parent = UserFactory(role=Role.PATIENT, username="ona")
    child = CardFactory(attached_facility=polyclinic)
    api_client.force_authenticate(registrar)
    url = f"{URL}{child.med_id}/representatives/"
    bad = api_client.post(url, {"representative": registrar.username, "basis": ""},
                          format="json")
    assert bad.status_code == 400 and "basis" in bad.json()["fields"]
    wrong = api_client.post(url, {"representative": registrar.username, "basis": "mother"},
                            format="json")
    assert wrong.status_code == 400 and "representative" in wrong.json()["fields"]
    ok = api_client.post(url, {"representative": "ona", "basis": "mother"}, format="json")
    assert ok.status_code == 201
    api_client.force_authenticate(parent)
    assert api_client.get(f"{URL}{child.med_id}/").status_code == 200
