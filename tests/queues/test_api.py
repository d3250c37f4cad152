"""The queue API: the shapes the issue names, scoped, audited, errors in one format."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from queues import selectors, services
from queues.models import Appointment, Ticket, TicketStatus
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory


def test_service_points_of_a_facility(api_client, registrar, room, desk_point):
    ServicePointFactory()  # another facility's
    api_client.force_authenticate(registrar)
    response = api_client.get("/api/v1/queue/service-points/",
                              {"facility": room.facility.code})
    assert response.status_code == 200
    points = response.json()["results"]
    assert [p["ticket_prefix"] for p in points] == ["A", "R"]
    assert points[0] == {"id": str(room.public_id), "facility": room.facility.code,
                         "kind": "doctor_room", "name": room.name, "room": "214",
                         "ticket_prefix": "A",
                         "practitioner": room.practitioner.get_full_name()}
    assert api_client.get("/api/v1/queue/service-points/", {"kind": "nonsense"}
                          ).json()["code"] == "invalid"


def test_issue_a_ticket_then_call_next_until_nobody_waits(api_client, registrar, doctor, room,
                                                          card):
    api_client.force_authenticate(registrar)
    response = api_client.post("/api/v1/queue/tickets/", {
        "service_point": str(room.public_id), "patient": card.med_id, "priority": "elderly"},
        format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "A-001" and body["status"] == "waiting"
    assert body["priority"] == "elderly" and body["patient"] == card.med_id
    anonymous = api_client.post("/api/v1/queue/tickets/", {
        "service_point": str(room.public_id), "patient": None}, format="json")
    assert anonymous.status_code == 201 and anonymous.json()["number"] == "A-002"

    api_client.force_authenticate(doctor)
    url = f"/api/v1/queue/service-points/{room.public_id}/call-next/"
    first = api_client.post(url, {"desk": "214"}, format="json")
    assert first.status_code == 200
    assert first.json()["number"] == "A-001" and first.json()["status"] == "called"
    done = f"/api/v1/queue/tickets/{first.json()['id']}/complete/"
    assert api_client.post(done).status_code == 200
    second = api_client.post(url).json()
    assert second["number"] == "A-002"
    assert api_client.post(f"/api/v1/queue/tickets/{second['id']}/no-show/").status_code == 200
    assert api_client.post(url).status_code == 204


def test_ticket_requests_with_bad_fields_answer_400_per_field(api_client, registrar, room):
    api_client.force_authenticate(registrar)
    response = api_client.post("/api/v1/queue/tickets/", {
        "service_point": "not-a-point", "priority": "royalty"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"service_point", "priority"}
    assert not Ticket.objects.exists()


def test_call_next_is_refused_to_other_facilities_and_patients(api_client, room, card,
                                                               patient_user):
    url = f"/api/v1/queue/service-points/{room.public_id}/call-next/"
    api_client.force_authenticate(staff_at(FacilityFactory()))
    assert api_client.post(url).status_code == 403
    api_client.force_authenticate(patient_user)
    assert api_client.post(url).status_code == 403
    api_client.force_authenticate(None)
    assert api_client.post(url).status_code in (401, 403)


def test_board_needs_no_login_and_shows_no_names(api_client, registrar, doctor, room, card):
    services.issue_ticket(actor=registrar, service_point=room, med_id=card.med_id)
    services.issue_ticket(actor=registrar, service_point=room)
    services.call_next(actor=doctor, service_point=room)
    response = api_client.get(f"/api/v1/queue/service-points/{room.public_id}/board/")
    assert response.status_code == 200
    body = response.json()
    assert [line["number"] for line in body["called"]] == ["A-001"]
    assert body["called"][0]["room"] == "214" and body["next"] == ["A-002"]
    assert card.last_name not in response.content.decode()
    assert card.med_id not in response.content.decode()


def test_slots_and_booking_with_409_when_taken(api_client, room, card, patient_user, polyclinic):
    day = timezone.localdate() + timedelta(days=1)
    api_client.force_authenticate(patient_user)
    slots = api_client.get("/api/v1/queue/slots/", {"service_point": str(room.public_id),
                                                    "date": day.isoformat()})
    assert slots.status_code == 200
    free = slots.json()["results"][40]
    assert free["free"] is True
    booking = {"service_point": str(room.public_id), "patient": card.med_id,
               "starts_at": free["starts_at"]}
    response = api_client.post("/api/v1/queue/appointments/", booking, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "booked"
    assert response.json()["patient"] == card.med_id

    neighbour = CardFactory(attached_facility=polyclinic, family_doctor=room.practitioner,
                            user=UserFactory(role=Role.PATIENT))
    api_client.force_authenticate(neighbour.user)
    taken = api_client.post("/api/v1/queue/appointments/",
                            {**booking, "patient": neighbour.med_id}, format="json")
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_taken" and taken.json()["detail"]
    assert Appointment.objects.count() == 1


def test_appointment_of_someone_else_is_404_and_the_refusal_audited(api_client, room, card,
                                                                    patient_user):
    starts_at = selectors.slots(room, timezone.localdate() + timedelta(days=1))[40].starts_at
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=starts_at)
    intruder = CardFactory(user=UserFactory(role=Role.PATIENT)).user
    api_client.force_authenticate(intruder)
    url = f"/api/v1/queue/appointments/{appointment.public_id}/"
    assert api_client.get(url).status_code == 404
    assert api_client.post(url + "cancel/").status_code == 404
    assert AuditEvent.objects.filter(actor=intruder, allowed=False,
                                     object_type="queue.appointment").exists()
    api_client.force_authenticate(patient_user)
    assert api_client.get(url).status_code == 200
    assert api_client.post(url + "cancel/").json()["status"] == "cancelled"


def test_check_in_and_desk_actions_through_the_api(api_client, room, card, patient_user,
                                                    doctor, desk_point):
    starts_at = timezone.now() + timedelta(minutes=10)
    appointment = Appointment.objects.create(
        service_point=room, card=card, starts_at=starts_at, ends_at=starts_at
        + timedelta(minutes=15), day=timezone.localtime(starts_at).date(),
        booked_by=patient_user)
    if appointment.day != timezone.localdate():
        pytest.skip("ten minutes from now is tomorrow")
    api_client.force_authenticate(patient_user)
    ticket = api_client.post(f"/api/v1/queue/appointments/{appointment.public_id}/check-in/")
    assert ticket.status_code == 201 and ticket.json()["number"] == "A-001"
    ticket_url = f"/api/v1/queue/tickets/{ticket.json()['id']}/"
    assert api_client.get(ticket_url).json()["status"] == "waiting"
    assert api_client.post(ticket_url + "complete/").status_code == 403

    api_client.force_authenticate(doctor)
    api_client.post(f"/api/v1/queue/service-points/{room.public_id}/call-next/")
    assert api_client.post(ticket_url + "recall/").json()["call_count"] == 2
    moved = api_client.post(ticket_url + "transfer/", {"to": str(desk_point.public_id)},
                            format="json")
    assert moved.status_code == 200 and moved.json()["number"] == "R-001"
    assert api_client.post(ticket_url + "complete/").json()["code"] == "invalid"


def test_call_next_while_serving_is_a_400_naming_the_ticket(api_client, registrar, doctor,
                                                             room, polyclinic):
    for _ in range(2):
        services.issue_ticket(actor=registrar, service_point=room,
                              med_id=CardFactory(attached_facility=polyclinic).med_id)
    url = f"/api/v1/queue/service-points/{room.public_id}/call-next/"
    api_client.force_authenticate(doctor)
    assert api_client.post(url).status_code == 200
    response = api_client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "A-001" in response.json()["fields"]["status"][0]
    assert Ticket.objects.filter(status=TicketStatus.CALLED).count() == 1
