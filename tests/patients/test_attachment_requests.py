"""Requests of attachment: a person (or a registrar for them) asks a polyclinic, which
decides; accepted, the card moves with its history, and the polyclinic left is told."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from notifications.consumers import _targets
from notifications.texts import STAFF, render
from outbox.kinds import ATTACHMENT_DECLINED, ATTACHMENT_MOVED
from outbox.models import Event
from patients.models import (
    Attachment,
    AttachmentGround,
    AttachmentRequest,
    AttachmentRequestStatus,
)
from patients.selectors import ATTACHMENT_REQUEST_OBJECT
from patients.services import (
    break_the_glass,
    decide_attachment_request,
    request_attachment,
)
from registry.models import FacilityKind, StaffRecord
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OWN, MOVED = AttachmentGround.OWN_CHOICE, AttachmentGround.MOVED_HOUSE


@pytest.fixture
def old_polyclinic(db):
    return FacilityFactory(name="Old polyclinic")


@pytest.fixture
def polyclinic(db):
    return FacilityFactory(name="New polyclinic")


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


def _head(facility):
    head = staff_at(facility, Role.CLINICIAN)
    StaffRecord.objects.filter(user=head).update(is_head=True)
    return head


@pytest.fixture
def old_doctor(old_polyclinic):
    return staff_at(old_polyclinic, Role.CLINICIAN)


@pytest.fixture
def card(old_polyclinic, old_doctor, make_user):
    """A person attached to the old polyclinic, outside the new one's scope."""
    card = CardFactory(last_name="Yusupova", first_name="Malika", registered_at=old_polyclinic,
                       family_doctor=old_doctor, user=make_user(Role.PATIENT))
    Attachment.objects.create(card=card, facility=old_polyclinic, family_doctor=old_doctor,
                              reason="Registered")
    return card


def _request(actor, card, facility, ground=OWN, **more):
    return request_attachment(actor=actor, med_id=card.med_id, facility=facility,
                              ground=ground, **more)


@pytest.mark.django_db
def test_the_outside_scope_page_offers_a_request_instead_of_a_new_card(client, registrar,
                                                                     card):
    client.force_login(registrar)
    page = client.get("/patients/", {"q": card.med_id}, **EN).content.decode()
    assert 'data-testid="attachment-request"' in page
    assert f"/patients/{card.med_id}/attachment-request/" in page
    assert 'data-testid="register-new"' not in page
    page = client.get(f"/patients/{card.med_id}/", **EN)
    assert page.status_code == 403
    assert 'data-testid="attachment-request"' in page.content.decode()
    # Clinicians break the glass; requests are the registry's.
    client.force_login(staff_at(registrar.staff_records.get().facility, Role.CLINICIAN))
    page = client.get("/patients/", {"q": card.med_id}, **EN).content.decode()
    assert 'data-testid="attachment-request"' not in page


@pytest.mark.django_db
def test_a_registrar_records_the_request_and_the_polyclinic_accepts_it(
        client, registrar, polyclinic, old_polyclinic, old_doctor, card):
    old_head = _head(old_polyclinic)
    new_doctor = staff_at(polyclinic, Role.CLINICIAN)
    client.force_login(registrar)
    answer = client.post(f"/patients/{card.med_id}/attachment-request/",
                         {"ground": OWN, "applied_on": "2026-12-01"}, **EN)
    assert answer.status_code == 302
    request = AttachmentRequest.objects.get(card=card)
    assert (request.status, request.from_facility, request.requested_by) == (
        AttachmentRequestStatus.PENDING, old_polyclinic, registrar)
    assert AuditEvent.objects.filter(object_type=ATTACHMENT_REQUEST_OBJECT, action="create",
                                     actor=registrar, patient_med_id=card.med_id).exists()

    page = client.get("/attachment-requests/", **EN).content.decode()
    assert "Yusupova Malika" in page and "Old polyclinic" in page
    answer = client.post(f"/attachment-requests/{request.public_id}/", {
        f"{request.public_id}-decision": "accept",
        f"{request.public_id}-family_doctor": new_doctor.pk}, **EN)
    assert answer.status_code == 302

    card.refresh_from_db()
    assert (card.attached_facility, card.family_doctor) == (polyclinic, new_doctor)
    history = list(Attachment.objects.filter(card=card).order_by("started_at"))
    assert [a.facility for a in history] == [old_polyclinic, polyclinic]
    assert history[0].ended_at is not None and history[1].ended_at is None
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (AttachmentRequestStatus.ACCEPTED, registrar)

    event = Event.objects.get(kind=ATTACHMENT_MOVED)
    assert event.payload["med_id"] == card.med_id
    assert sorted(event.payload["old_polyclinic_staff"]) == sorted([old_doctor.pk, old_head.pk])
    targets = _targets(event)
    assert str(card.user_id) in targets and f"{old_doctor.pk}:{STAFF}" in targets
    told = render(event.kind, event.payload, "en", STAFF)
    assert "Y.M." in told and "New polyclinic" in told and "Malika" not in told
    assert "New polyclinic" in render(event.kind, event.payload, "en")
    # The card is now the new polyclinic's: its registrar opens it.
    assert client.get(f"/patients/{card.med_id}/", **EN).status_code == 200
    client.force_login(card.user)
    log = client.get("/me/card/access/", **EN).content.decode()
    assert "recorded a request of attachment" in log
    assert "decided on a request of attachment" in log


@pytest.mark.django_db
def test_a_declined_request_leaves_the_card_and_tells_the_patient_why(registrar, polyclinic,
                                                                     old_polyclinic, card):
    request = _request(registrar, card, polyclinic)
    with pytest.raises(ValidationError) as refused:
        decide_attachment_request(actor=registrar, request_id=request.public_id, accept=False)
    assert "note" in refused.value.message_dict
    decide_attachment_request(actor=registrar, request_id=request.public_id, accept=False,
                              note="The district is served by another polyclinic")
    card.refresh_from_db()
    assert card.attached_facility == old_polyclinic
    event = Event.objects.get(kind=ATTACHMENT_DECLINED)
    assert "served by another polyclinic" in render(event.kind, event.payload, "en")
    assert not Event.objects.filter(kind=ATTACHMENT_MOVED).exists()
    with pytest.raises(ValidationError):  # decided once
        decide_attachment_request(actor=registrar, request_id=request.public_id, accept=True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE, Role.LAB_TECHNICIAN,
                                  Role.PHARMACIST])
def test_other_roles_record_no_request(client, polyclinic, card, role):
    actor = staff_at(polyclinic, role)
    with pytest.raises(PermissionDenied):
        _request(actor, card, polyclinic)
    client.force_login(actor)
    answer = client.post(f"/patients/{card.med_id}/attachment-request/", {"ground": OWN})
    assert answer.status_code == 403
    assert not AttachmentRequest.objects.exists()


@pytest.mark.django_db
def test_a_registrar_asks_for_their_own_polyclinic_only(registrar, old_polyclinic, card):
    with pytest.raises(PermissionDenied):
        _request(registrar, card, FacilityFactory())
    hospital_registrar = staff_at(FacilityFactory(kind=FacilityKind.HOSPITAL), Role.REGISTRAR)
    with pytest.raises(ValidationError) as refused:
        _request(hospital_registrar, card,
                 hospital_registrar.staff_records.get().facility)
    assert "facility" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:  # attached there already
        _request(staff_at(old_polyclinic, Role.REGISTRAR), card, old_polyclinic)
    assert "facility" in refused.value.message_dict


@pytest.mark.django_db
def test_bad_input_is_refused_per_field_and_nothing_is_written(client, registrar, polyclinic,
                                                                card):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        _request(registrar, card, polyclinic, MOVED, applied_on=tomorrow)
    assert set(refused.value.message_dict) == {"new_address", "applied_on"}
    with pytest.raises(ValidationError) as refused:
        _request(registrar, card, polyclinic, "whim")
    assert set(refused.value.message_dict) == {"ground"}
    client.force_login(registrar)
    answer = client.post(f"/patients/{card.med_id}/attachment-request/",
                         {"ground": MOVED, "applied_on": "2026-12-01"}, **EN)
    assert answer.status_code == 400
    assert "After a move, give the new address." in answer.content.decode()
    assert not AttachmentRequest.objects.exists()


@pytest.mark.django_db
def test_one_request_at_a_time_in_the_service_and_the_database(registrar, polyclinic, card):
    request = _request(registrar, card, polyclinic)
    other = staff_at(FacilityFactory(), Role.REGISTRAR)
    with pytest.raises(ValidationError) as refused:
        _request(other, card, other.staff_records.get().facility)
    assert "awaits a decision" in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttachmentRequest.objects.create(card=card, facility=other.staff_records.get().facility,
                                         ground=OWN, requested_by=other)
    assert AttachmentRequest.objects.get() == request
    # What the database holds of a decision: who decided, and why a decline.
    for broken in ({"status": AttachmentRequestStatus.DECLINED, "decided_by": registrar,
                    "decided_at": timezone.now()},
                   {"status": AttachmentRequestStatus.ACCEPTED},
                   {"ground": MOVED}):
        with pytest.raises(IntegrityError), transaction.atomic():
            AttachmentRequest.objects.filter(pk=request.pk).update(**broken)


@pytest.mark.django_db
def test_own_choice_once_a_year_unless_the_person_moved_house(registrar, polyclinic,
                                                             old_polyclinic, card, settings):
    request = _request(registrar, card, polyclinic)
    decide_attachment_request(actor=registrar, request_id=request.public_id, accept=True)
    back = staff_at(old_polyclinic, Role.REGISTRAR)
    with pytest.raises(ValidationError) as refused:
        _request(back, card, old_polyclinic)
    allowed = timezone.localdate() + datetime.timedelta(days=365)
    assert allowed.strftime("%d.%m.%Y") in refused.value.message_dict["ground"][0]
    moved = _request(back, card, old_polyclinic, MOVED, new_address="Yunusobod 4-12")
    assert moved.status == AttachmentRequestStatus.PENDING
    decide_attachment_request(actor=back, request_id=moved.public_id, accept=False,
                              note="Not our district")
    # The rule is a setting: after the interval an own choice is possible again.
    settings.ATTACHMENT_CHANGE_INTERVAL_DAYS = 0
    assert _request(back, card, old_polyclinic).status == AttachmentRequestStatus.PENDING


@pytest.mark.django_db
def test_only_the_polyclinic_asked_decides_by_its_head_or_registrar(registrar, polyclinic,
                                                                    old_polyclinic, card):
    request = _request(registrar, card, polyclinic)
    elsewhere = staff_at(old_polyclinic, Role.REGISTRAR)
    for outsider in (elsewhere, _head(old_polyclinic)):
        with pytest.raises(Http404):
            decide_attachment_request(actor=outsider, request_id=request.public_id,
                                      accept=True)
    assert AuditEvent.objects.filter(object_type=ATTACHMENT_REQUEST_OBJECT, allowed=False,
                                     actor=elsewhere).exists()
    with pytest.raises(PermissionDenied):  # a clinician who is not the head
        decide_attachment_request(actor=staff_at(polyclinic, Role.CLINICIAN),
                                  request_id=request.public_id, accept=True)
    with pytest.raises(ValidationError) as refused:  # a family doctor of another polyclinic
        decide_attachment_request(actor=registrar, request_id=request.public_id, accept=True,
                                  family_doctor=staff_at(old_polyclinic, Role.CLINICIAN))
    assert "family_doctor" in refused.value.message_dict
    decide_attachment_request(actor=_head(polyclinic), request_id=request.public_id,
                              accept=True)
    card.refresh_from_db()
    assert card.attached_facility == polyclinic and card.family_doctor is None


@pytest.mark.django_db
def test_the_queue_refuses_others_and_a_failed_decision_answers_per_field(
        client, registrar, polyclinic, card):
    request = _request(registrar, card, polyclinic)
    client.force_login(staff_at(polyclinic, Role.CLINICIAN))
    assert client.get("/attachment-requests/").status_code == 403
    client.force_login(staff_at(FacilityFactory(), Role.REGISTRAR))
    assert client.post(f"/attachment-requests/{request.public_id}/", {
        f"{request.public_id}-decision": "accept"}).status_code == 404
    client.force_login(registrar)
    answer = client.post(f"/attachment-requests/{request.public_id}/", {
        f"{request.public_id}-decision": "decline"}, **EN)
    assert answer.status_code == 400
    assert "Say why the request is declined." in answer.content.decode()
    request.refresh_from_db()
    assert request.status == AttachmentRequestStatus.PENDING


@pytest.mark.django_db
def test_the_queue_reads_a_fixed_number_of_queries(client, registrar, polyclinic):
    staff_at(polyclinic, Role.CLINICIAN)  # a family doctor to choose, in every form
    client.force_login(registrar)
    counts = []
    for size in (2, 12):
        while AttachmentRequest.objects.count() < size:
            _request(registrar, CardFactory(), polyclinic)
        with CaptureQueriesContext(connection) as context:
            page = client.get("/attachment-requests/", **EN)
        assert page.content.decode().count('data-testid="attachment-request-item"') == size
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_a_patient_asks_from_their_phone_for_their_own_card_only(client, polyclinic, card,
                                                                make_user):
    client.force_login(card.user)
    page = client.get("/me/card/attachment/", **EN).content.decode()
    assert "Old polyclinic" in page
    answer = client.post("/me/card/attachment/", {
        "facility": polyclinic.pk, "ground": MOVED, "applied_on": "2026-12-01"}, **EN)
    assert answer.status_code == 400 and "give the new address" in answer.content.decode()
    answer = client.post("/me/card/attachment/", {
        "facility": polyclinic.pk, "ground": MOVED, "new_address": "Yunusobod 4-12",
        "applied_on": "2026-12-01"}, **EN)
    assert answer.status_code == 302
    assert AttachmentRequest.objects.get().requested_by == card.user
    page = client.get("/me/card/attachment/", **EN).content.decode()
    assert "New polyclinic: awaiting decision" in page
    with pytest.raises(Http404):  # another person's card does not exist for them
        _request(make_user(Role.PATIENT), CardFactory(), polyclinic)
    client.force_login(card.user)
    log = client.get("/me/card/access/", **EN).content.decode()
    assert "recorded a request of attachment" not in log  # their own act is not listed


@pytest.mark.django_db
def test_home_pages_show_the_heads_review_and_the_requests_to_decide(client, registrar,
                                                                     polyclinic, card):
    _request(registrar, card, polyclinic)
    head = _head(polyclinic)
    break_the_glass(actor=staff_at(polyclinic, Role.CLINICIAN), med_id=card.med_id,
                    reason="Collapsed in the waiting room")
    client.force_login(head)
    page = client.get("/", **EN).content.decode()
    assert 'data-testid="panel-break-glass"' in page and "Collapsed in the waiting room" in page
    assert 'data-testid="panel-attachment-requests"' in page and "Yusupova Malika" in page
    client.force_login(registrar)
    page = client.get("/", **EN).content.decode()
    assert 'data-testid="panel-attachment-requests"' in page
    assert 'data-testid="panel-break-glass"' not in page
    client.force_login(staff_at(polyclinic, Role.CLINICIAN))  # neither head nor registrar
    page = client.get("/", **EN).content.decode()
    assert "panel-break-glass" not in page and "panel-attachment-requests" not in page
    assert client.get("/home/panels/break-glass/").status_code in (403, 404)
