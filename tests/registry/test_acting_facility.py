"""A doctor who works at two polyclinics chooses the one they act for: in the header for the
browser session, with X-DMED-Facility for an integration; scope and audit follow it."""

import datetime

import pytest

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from tests.factories import FacilityFactory, StaffRecordFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_places():
    first, second = FacilityFactory(), FacilityFactory()
    doctor = staff_at(first, Role.CLINICIAN)
    # The second post began later: without a choice the first (earliest) one is acted for.
    StaffRecordFactory(user=doctor, facility=second, active_from=datetime.date(2025, 1, 1))
    return doctor, first, second


def card_reads(doctor, card):
    return AuditEvent.objects.filter(actor=doctor, action=AuditAction.VIEW,
                                     patient_med_id=card.med_id)


def test_the_doctor_chooses_the_facility_in_the_header_and_scope_and_audit_follow(
        client, two_places):
    doctor, first, second = two_places
    card = CardFactory(attached_facility=second)
    client.force_login(doctor)
    home = client.get("/").content.decode()
    assert 'data-testid="acting-facility"' in home
    assert first.name in home and second.name in home
    assert client.get(f"/patients/{card.med_id}/").status_code == 403

    answer = client.post("/acting-facility/", {"facility": second.code, "next": "/patients/"})
    assert answer.status_code == 302 and answer["Location"] == "/patients/"
    assert client.get(f"/patients/{card.med_id}/").status_code == 200
    [read] = card_reads(doctor, card).filter(allowed=True)
    assert read.facility_code == second.code
    assert card_reads(doctor, card).get(allowed=False).facility_code == first.code


def test_a_facility_the_doctor_does_not_work_at_is_refused(client, two_places):
    doctor, first, _second = two_places
    elsewhere = FacilityFactory()
    client.force_login(doctor)
    answer = client.post("/acting-facility/", {"facility": elsewhere.code,
                                               "next": "https://evil.example/"}, follow=True)
    assert answer.redirect_chain[-1][0] == "/"
    assert "Siz bu muassasada ishlamaysiz." in answer.content.decode()
    client.get("/")
    assert client.session.get("dmed_acting_facility") is None


def test_staff_of_one_facility_see_no_choice(client):
    client.force_login(staff_at(FacilityFactory(), Role.CLINICIAN))
    assert 'data-testid="acting-facility"' not in client.get("/").content.decode()


def test_an_integration_chooses_per_request_with_a_header(api_client, two_places):
    doctor, first, second = two_places
    card = CardFactory(attached_facility=second)
    api_client.force_authenticate(doctor)
    assert api_client.get("/api/v1/auth/me/").json()["facility"] == first.code
    assert api_client.get("/api/v1/auth/me/", HTTP_X_DMED_FACILITY=second.code
                          ).json()["facility"] == second.code
    assert api_client.get(f"/api/v1/patients/{card.med_id}/",
                          HTTP_X_DMED_FACILITY=second.code).status_code == 200
    assert card_reads(doctor, card).get(allowed=True).facility_code == second.code
    # A facility the doctor does not work at is no choice: the default one acts.
    assert api_client.get("/api/v1/auth/me/", HTTP_X_DMED_FACILITY=FacilityFactory().code
                          ).json()["facility"] == first.code
