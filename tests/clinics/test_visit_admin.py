"""The admin's visit page keeps need-to-know: an administrator sees when, where and with whom
a visit was, not its clinical record nor its diagnoses; a clinician with the admin sees
them, as on the portal's pages."""

import pytest

from clinics.visits import services
from dmed.roles import Role
from tests.clinics.factories import VisitFactory
from tests.factories import UserFactory
from tests.patients.factories import CardFactory


@pytest.fixture
def visit(doctor, polyclinic):
    card = CardFactory(attached_facility=polyclinic)
    visit = VisitFactory(card=card, facility=polyclinic, clinician=doctor)
    services.record_visit(doctor, visit.public_id, complaints="Bosh og‘rig‘i uch kundan beri",
                          examination="Qorin yumshoq", pulse=93,
                          diagnoses=[{"code": "I10", "kind": "primary", "note": "Birinchi marta"}])
    services.close_visit(doctor, visit.public_id)
    services.add_addendum(doctor, visit.public_id, text="Tahlil natijasi qo‘shildi")
    return visit


CLINICAL = ["Bosh og‘rig‘i", "Qorin yumshoq", "field-pulse", "I10", "Birinchi marta",
            "Tahlil natijasi"]


def page_of(client, user, visit) -> str:
    client.force_login(user)
    response = client.get(f"/admin/clinics/visit/{visit.pk}/change/",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_an_administrator_sees_the_visit_but_not_its_record(client, visit):
    page = page_of(client, UserFactory(role=Role.ADMINISTRATOR, is_staff=True,
                                       is_superuser=True), visit)
    assert visit.facility.name in page and visit.card.med_id in page
    for text in CLINICAL:
        assert text not in page


def test_a_clinician_with_the_admin_sees_the_record(client, visit):
    page = page_of(client, UserFactory(role=Role.CLINICIAN, is_staff=True, is_superuser=True),
                   visit)
    for text in CLINICAL:
        assert text in page
