"""The admin's lists and pages of patients' records are audited as the portal's pages are:
one event per row shown, naming its patient, one per record opened; a refused visitor
leaves none and sees nothing."""

import pytest
from django.contrib import admin
from django.db.models import ForeignKey
from django.utils import translation

from dmed.audited_admin import PatientRecordAdmin
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.models import PatientCard
from patients.selectors import ACCESS_LOG_WORDS, card_access_log
from tests.clinics.factories import VisitFactory
from tests.factories import UserFactory
from tests.patients.factories import CardFactory

VISITS = "/admin/clinics/visit/"


def _shows_cards(model) -> bool:
    return model is PatientCard or any(
        isinstance(field, ForeignKey) and field.related_model is PatientCard
        for field in model._meta.get_fields())


def test_every_admin_of_records_that_name_a_patient_is_audited():
    """A new admin of a model that points at a card must say how it is audited."""
    unaudited = [model.__name__ for model, model_admin in admin.site._registry.items()
                 if _shows_cards(model) and not isinstance(model_admin, PatientRecordAdmin)]
    assert unaudited == []


@pytest.mark.parametrize("model_admin", [
    model_admin for model_admin in admin.site._registry.values()
    if isinstance(model_admin, PatientRecordAdmin)], ids=lambda a: a.model.__name__)
def test_the_patient_reads_each_admin_event_in_words(model_admin):
    kind = model_admin.audit_object_type
    assert kind
    for action in (AuditAction.LIST, AuditAction.VIEW):
        assert (kind, action) in ACCESS_LOG_WORDS, (kind, action)


@pytest.mark.django_db
def test_a_list_records_each_row_shown_with_its_patient(client, administrator,
                                                        django_assert_max_num_queries):
    visits = VisitFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        response = client.get(VISITS)
    assert response.status_code == 200
    events = AuditEvent.objects.filter(actor=administrator, object_type="clinics.visit")
    assert sorted(events.values_list("object_id", "patient_med_id", "action")) == sorted(
        (str(v.public_id), v.card.med_id, AuditAction.LIST) for v in visits)


@pytest.mark.django_db
def test_a_searched_list_records_what_was_typed_and_only_what_it_showed(client,
                                                                         administrator):
    wanted, other = VisitFactory(), VisitFactory()
    response = client.get(VISITS, {"q": wanted.card.med_id})
    assert list(response.context["cl"].result_list) == [wanted]
    event = AuditEvent.objects.get(actor=administrator, object_type="clinics.visit")
    assert (event.patient_med_id, event.reason) == (wanted.card.med_id, wanted.card.med_id)
    assert not AuditEvent.objects.filter(patient_med_id=other.card.med_id).exists()


@pytest.mark.django_db
def test_an_empty_list_is_recorded_once(client, administrator):
    assert client.get(VISITS).status_code == 200
    event = AuditEvent.objects.get(actor=administrator, object_type="clinics.visit")
    assert (event.action, event.object_id, event.patient_med_id) == (AuditAction.LIST,
                                                                     "admin", "")


@pytest.mark.django_db
def test_opening_a_record_is_recorded_and_its_patient_reads_it(client, administrator):
    visit = VisitFactory()
    response = client.get(f"{VISITS}{visit.pk}/change/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(actor=administrator, object_type="clinics.visit")
    assert (event.action, event.object_id, event.patient_med_id) == (
        AuditAction.VIEW, str(visit.public_id), visit.card.med_id)

    patient = UserFactory(role=Role.PATIENT)
    PatientCard.objects.filter(pk=visit.card.pk).update(user=patient)
    with translation.override("en"):
        log = card_access_log(patient, visit.card.med_id)
    assert [entry.what for entry in log] == ["read a visit"]


@pytest.mark.django_db
def test_an_unknown_record_is_not_recorded(client, administrator):
    assert client.get(f"{VISITS}999999/change/").status_code == 302  # back to the list
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.REGISTRAR])
def test_staff_without_the_admin_see_nothing_and_leave_no_read(client, role):
    visit = VisitFactory()
    client.force_login(UserFactory(role=role))
    for url in (VISITS, f"{VISITS}{visit.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not AuditEvent.objects.filter(patient_med_id=visit.card.med_id).exists()


@pytest.mark.django_db
def test_a_staff_member_without_the_view_permission_is_refused(client):
    visit = VisitFactory()
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_staff=True))
    assert client.get(VISITS).status_code == 403
    assert client.get(f"{VISITS}{visit.pk}/change/").status_code in (302, 403)
    assert not AuditEvent.objects.filter(patient_med_id=visit.card.med_id).exists()


@pytest.mark.django_db
def test_a_ticket_without_a_card_names_no_patient(client, administrator):
    from tests.queues.factories import ServicePointFactory
    from tests.queues.test_scope_and_tasks import _ticket

    point = ServicePointFactory()
    anonymous, named = _ticket(point, None), _ticket(point, CardFactory())
    assert client.get("/admin/queue/ticket/").status_code == 200
    assert dict(AuditEvent.objects.filter(object_type="queue.ticket").values_list(
        "object_id", "patient_med_id")) == {str(anonymous.public_id): "",
                                            str(named.public_id): named.card.med_id}


@pytest.mark.django_db
def test_the_patient_reads_a_list_of_their_visits_as_one_line_with_its_count(client,
                                                                            administrator):
    patient = UserFactory(role=Role.PATIENT)
    card = CardFactory(user=patient)
    VisitFactory.create_batch(6, card=card, facility=card.attached_facility)
    client.get(VISITS)
    client.get(f"{VISITS}{card.visits.first().pk}/change/")

    client.force_login(patient)
    with translation.override("en"):
        page = client.get("/me/card/access/", HTTP_ACCEPT_LANGUAGE="en")
    lines = page.context["lines"]
    assert [(line.what, line.times) for line in lines] == [("read a visit", 1),
                                                           ("listed the visits", 6)]
    assert "6 records" in page.content.decode()


@pytest.mark.django_db
def test_a_line_gathers_only_the_same_reader_saying_the_same_in_one_minute():
    from datetime import timedelta

    from django.utils import timezone

    from patients.selectors import access_log_lines

    reader, other = UserFactory(), UserFactory()
    now = timezone.localtime().replace(second=30)

    def entry(actor, what="listed the visits", seconds=0, break_glass=False):
        event = AuditEvent(actor=actor, actor_role=actor.role, facility_code="F1",
                           occurred_at=now - timedelta(seconds=seconds),
                           break_glass=break_glass)
        event.what = what
        return event

    events = [entry(reader), entry(reader, seconds=10), entry(other, seconds=11),
              entry(reader, seconds=12), entry(reader, what="read a visit", seconds=13),
              entry(reader, seconds=45), entry(reader, break_glass=True, seconds=46),
              entry(reader, break_glass=True, seconds=47)]
    assert [line.times for line in access_log_lines(events)] == [2, 1, 1, 1, 1, 1, 1]
