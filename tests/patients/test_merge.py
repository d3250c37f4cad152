import datetime

import pytest

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.models import (
    Allergy,
    Attachment,
    CardStatus,
    ChronicCondition,
    IdentityDocument,
    PatientCard,
)
from patients.services import merge_cards, register_temporary_card
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/patients/"


@pytest.fixture
def hospital(db):
    return FacilityFactory(kind="hospital")


@pytest.fixture
def er_doctor(hospital):
    return staff_at(hospital, Role.CLINICIAN)


@pytest.mark.django_db
def test_temporary_card_is_merged_into_the_identified_one(api_client, er_doctor):
    temporary = register_temporary_card(actor=er_doctor, sex="male")
    assert temporary.status == CardStatus.TEMPORARY and temporary.last_name == ""
    Allergy.objects.create(card=temporary, substance="Penicillin", severity="severe")
    real = CardFactory(pinfl="", phone="")
    Attachment.objects.create(card=real, facility=real.attached_facility)
    api_client.force_authenticate(er_doctor)
    response = api_client.post(f"{URL}{temporary.med_id}/merge/", {"into": real.med_id},
                               format="json")
    assert response.status_code == 200, response.json()
    temporary.refresh_from_db()
    assert (temporary.status, temporary.merged_into) == (CardStatus.MERGED, real)
    assert Allergy.objects.get().card == real
    # The old MED-ID still answers, for the card it was merged into.
    api_client.force_authenticate(UserFactory(role=Role.ADMINISTRATOR))
    assert api_client.get(f"{URL}{temporary.med_id}/").json()["med_id"] == real.med_id
    assert AuditEvent.objects.filter(patient_med_id=temporary.med_id, action="update").exists()


@pytest.mark.django_db
def test_staff_cannot_merge_identified_cards_or_others_temporary_cards(api_client, er_doctor):
    first, second = CardFactory(), CardFactory()
    api_client.force_authenticate(er_doctor)
    response = api_client.post(f"{URL}{first.med_id}/merge/", {"into": second.med_id},
                               format="json")
    assert response.status_code == 403
    elsewhere = PatientCard.objects.create(med_id="1000000003", status=CardStatus.TEMPORARY,
                                           registered_at=FacilityFactory())
    response = api_client.post(f"{URL}{elsewhere.med_id}/merge/", {"into": second.med_id},
                               format="json")
    assert response.status_code == 403
    assert not PatientCard.objects.filter(status=CardStatus.MERGED).exists()


@pytest.mark.django_db
def test_administrator_merge_keeps_every_record_and_moves_identity():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    patient = UserFactory(role=Role.PATIENT)
    keep = CardFactory(pinfl="")
    drop = CardFactory(pinfl="31203852640011", user=patient)
    IdentityDocument.objects.create(card=drop, kind="uz_id_card", number="AD1234567")
    ChronicCondition.objects.create(card=drop, icd10_code="I10", text="Hypertension")
    Attachment.objects.create(card=keep, facility=keep.attached_facility)
    Attachment.objects.create(card=drop, facility=drop.attached_facility)

    merge_cards(actor=admin, source_med_id=drop.med_id, target_med_id=keep.med_id)

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.pinfl == "31203852640011" and drop.pinfl == ""
    assert keep.user == patient
    assert keep.documents.count() == 1 and keep.chronic_conditions.count() == 1
    assert keep.attachments.count() == 2
    assert keep.attachments.filter(ended_at__isnull=True).count() == 1
    assert drop.med_id and drop.status == CardStatus.MERGED


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["itself", "already merged"])
def test_merge_refuses_nonsense(case):
    admin = UserFactory(role=Role.ADMINISTRATOR)
    first, second = CardFactory(), CardFactory()
    if case == "itself":
        target = first
    else:
        merge_cards(actor=admin, source_med_id=second.med_id, target_med_id=first.med_id)
        target = second
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        merge_cards(actor=admin, source_med_id=first.med_id, target_med_id=target.med_id)


@pytest.mark.django_db
def test_admin_action_merges_two_selected_cards(client):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    older = CardFactory(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    newer = CardFactory()
    client.force_login(admin)
    response = client.post("/admin/patients/patientcard/", {
        "action": "merge_duplicates", "_selected_action": [older.pk, newer.pk]})
    assert response.status_code == 302
    newer.refresh_from_db()
    assert newer.merged_into == older
