"""The nurse's route and the visit form over HTTP: walking order, overdue flags, query
counts pinned, the offline queue's JSON answers (replay, per-field refusals), refusals."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from patronage.models import HomeVisit, PlannedVisit, Reason
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db
ROUTE = "/patronage/"
# Session and user, the acting post, the visits with their cards and records, the audit rows.
QUERIES = 5
QUEUED = {"HTTP_X_PATRONAGE_QUEUE": "1"}


@pytest.fixture
def nurse(polyclinic):
    return staff_at(polyclinic, Role.NURSE)


def _plan(polyclinic, nurse, street, days_ago=0, reason=Reason.BEDRIDDEN):
    due = timezone.localdate() - timedelta(days=days_ago)
    return PlannedVisit.objects.create(
        card=CardFactory(attached_facility=polyclinic, street=street), reason=reason,
        due_on=due, overdue_after=due + timedelta(days=2), facility=polyclinic, nurse=nurse)


def _url(visit):
    return f"/patronage/visits/{visit.public_id}/"


def test_route_in_walking_order_with_overdue_flagged(client, polyclinic, nurse):
    twelve = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 12")
    nine = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 9", days_ago=5)
    first = _plan(polyclinic, nurse, "Amir Temur ko‘chasi, 40")
    _plan(polyclinic, nurse, "Amir Temur ko‘chasi, 1", days_ago=-1)  # tomorrow: not today
    _plan(polyclinic, staff_at(polyclinic, Role.NURSE), "Navoiy ko‘chasi, 1")  # a colleague's
    client.force_login(nurse)
    page = client.get(ROUTE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    order = [page.index(str(visit.public_id)) for visit in (first, nine, twelve)]
    assert order == sorted(order)
    assert page.count('data-testid="route-line"') == 3
    assert page.count('data-testid="overdue"') == 1
    assert "overdue by 3 days" in page
    assert AuditEvent.objects.filter(object_type="patronage.visit", action="list").count() == 3


@pytest.mark.parametrize("rows", [1, 30])
def test_route_query_count_is_flat(client, polyclinic, nurse, django_assert_max_num_queries,
                                   rows):
    for number in range(rows):
        _plan(polyclinic, nurse, f"Navoiy ko‘chasi, {number + 1}", days_ago=number % 3)
    client.force_login(nurse)
    client.get(ROUTE)  # the session's first request reads the acting post
    with django_assert_max_num_queries(QUERIES):
        response = client.get(ROUTE)
    assert response.content.decode().count('data-testid="route-line"') == rows


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.REGISTRAR])
def test_other_staff_are_refused_the_route_and_the_visit(client, polyclinic, nurse, role):
    visit = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 1")
    client.force_login(staff_at(polyclinic, role))
    assert client.get(ROUTE).status_code == 403
    assert client.get(_url(visit)).status_code == 403
    refused = AuditEvent.objects.filter(allowed=False, object_type__startswith="patronage")
    assert refused.count() == 2


def test_patients_and_other_polyclinics_are_refused(client, polyclinic, nurse):
    visit = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 1")
    client.force_login(UserFactory(role=Role.PATIENT))
    assert client.get(ROUTE).status_code == 404
    assert client.get(_url(visit)).status_code == 404
    client.force_login(staff_at(FacilityFactory(), Role.NURSE))
    assert client.get(_url(visit)).status_code == 403
    assert client.post(_url(visit), {"idempotency_key": uuid.uuid4()}, **QUEUED).status_code == 403
    assert not HomeVisit.objects.exists()


def test_the_form_opens_audited_and_records_once_by_its_key(client, polyclinic, nurse):
    visit = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 1", reason=Reason.NEWBORN)
    client.force_login(nurse)
    page = client.get(_url(visit), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="feeding"' in page and 'value="jaundice"' not in page  # signs by pk
    assert AuditEvent.objects.filter(object_type="patronage.visit", action="view",
                                     object_id=str(visit.public_id)).exists()
    data = {"idempotency_key": str(uuid.uuid4()), "systolic": "", "diastolic": "",
            "pulse": "130", "temperature": "36.9", "weight_kg": "4.10", "feeding": "breast",
            "advice": "Keep warm", "notes": ""}
    first = client.post(_url(visit), data, **QUEUED)
    assert first.status_code == 201
    again = client.post(_url(visit), data, **QUEUED)
    assert again.status_code == 200
    assert again.json()["visit"] == first.json()["visit"]
    assert HomeVisit.objects.count() == 1
    route = client.get(ROUTE).content.decode()
    assert 'data-testid="done"' in route


def test_bad_input_answers_400_per_field(client, polyclinic, nurse):
    visit = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 1")
    client.force_login(nurse)
    answer = client.post(_url(visit), {"idempotency_key": str(uuid.uuid4()), "systolic": "80",
                                       "diastolic": "95", "pulse": "500"}, **QUEUED,
                         HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"pulse"}
    answer = client.post(_url(visit), {"idempotency_key": str(uuid.uuid4()), "systolic": "80",
                                       "diastolic": "95"}, **QUEUED, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"systolic"}
    page = client.post(_url(visit), {"idempotency_key": "not-a-key"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert not HomeVisit.objects.exists()


def test_the_service_worker_is_served_for_its_scope(client):
    answer = client.get("/patronage/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert "importScripts(" in answer.content.decode()


def test_the_nurse_hands_a_visit_over_to_a_colleague(client, polyclinic, nurse):
    visit = _plan(polyclinic, nurse, "Navoiy ko‘chasi, 1")
    colleague = staff_at(polyclinic, Role.NURSE)
    outsider = staff_at(FacilityFactory(), Role.NURSE)
    client.force_login(nurse)
    page = client.get(_url(visit)).content.decode()
    assert f'value="{colleague.pk}"' in page and f'value="{outsider.pk}"' not in page
    refused = client.post(f"{_url(visit)}hand-over/", {"nurse": outsider.pk},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert client.post(f"{_url(visit)}hand-over/", {"nurse": colleague.pk}).status_code == 302
    visit.refresh_from_db()
    assert (visit.nurse_id, visit.assigned_by_hand) == (colleague.pk, True)
    client.force_login(staff_at(polyclinic, Role.REGISTRAR))
    assert client.post(f"{_url(visit)}hand-over/", {"nurse": nurse.pk}).status_code == 403
    visit.refresh_from_db()
    assert visit.nurse_id == colleague.pk
