"""Completing a ticket at a doctor's room opens the clinician's visit: service, page, API."""

from clinics.visits import services as visit_services
from clinics.visits.models import Visit, VisitStatus
from dmed.models import AuditEvent
from dmed.roles import Role
from queues import services
from queues.models import TicketStatus
from tests.factories import staff_at
from tests.patients.factories import CardFactory


def called_ticket(registrar, doctor, point, card=None):
    services.issue_ticket(actor=registrar, service_point=point,
                          med_id=card.med_id if card else None)
    return services.call_next(actor=doctor, service_point=point)


def test_completing_at_a_doctors_room_opens_the_clinicians_visit(registrar, doctor, room,
                                                                 card):
    ticket = called_ticket(registrar, doctor, room, card)
    done = services.complete(actor=doctor, ticket_id=ticket.public_id)
    visit = Visit.objects.get()
    assert done.status == TicketStatus.COMPLETED and done.visit == visit
    assert (visit.card, visit.clinician, visit.facility, visit.status) == (
        card, doctor, room.facility, VisitStatus.OPEN)
    done.refresh_from_db()
    assert done.visit_id == visit.pk
    assert AuditEvent.objects.filter(object_type="clinics.visit", action="create",
                                     object_id=str(visit.public_id),
                                     patient_med_id=card.med_id).exists()


def test_an_open_visit_is_reused_also_when_the_patient_comes_back(registrar, doctor, room,
                                                                  card):
    opened = visit_services.open_visit(doctor, card)  # from the card page, before the call
    first = services.complete(actor=doctor,
                              ticket_id=called_ticket(registrar, doctor, room, card).public_id)
    # Back the same day with results: a new ticket, the visit still open.
    second = services.complete(actor=doctor,
                               ticket_id=called_ticket(registrar, doctor, room, card).public_id)
    assert first.visit == second.visit == opened
    assert Visit.objects.count() == 1


def test_no_visit_at_other_points_for_nameless_tickets_or_for_a_nurse(
        registrar, doctor, room, desk_point, card, polyclinic):
    at_desk = services.complete(
        actor=doctor, ticket_id=called_ticket(registrar, doctor, desk_point, card).public_id)
    nameless = services.complete(
        actor=doctor, ticket_id=called_ticket(registrar, doctor, room).public_id)
    nurse = staff_at(polyclinic, Role.NURSE)
    by_nurse = services.complete(
        actor=nurse, ticket_id=called_ticket(registrar, nurse, room,
                                             CardFactory(attached_facility=polyclinic)
                                             ).public_id)
    assert all(t.status == TicketStatus.COMPLETED and t.visit is None
               for t in (at_desk, nameless, by_nurse))
    assert not Visit.objects.exists()


def test_the_desk_sends_the_clinician_to_the_visit(client, registrar, doctor, room, desk_point,
                                                   card):
    ticket = called_ticket(registrar, doctor, room, card)
    client.force_login(doctor)
    response = client.post(f"/queue/tickets/{ticket.public_id}/complete/")
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/visits/{visit.public_id}/edit/"
    assert client.get(response["Location"]).status_code == 200

    at_desk = called_ticket(registrar, doctor, desk_point, card)
    response = client.post(f"/queue/tickets/{at_desk.public_id}/complete/")
    assert response["Location"] == f"/queue/desk/{desk_point.public_id}/"


def test_the_api_answers_the_visit_id(api_client, registrar, doctor, room, desk_point, card):
    api_client.force_authenticate(doctor)
    ticket = called_ticket(registrar, doctor, room, card)
    response = api_client.post(f"/api/v1/queue/tickets/{ticket.public_id}/complete/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed" and body["number"] == ticket.display_number
    assert body["visit"] == str(Visit.objects.get().public_id)

    at_desk = called_ticket(registrar, doctor, desk_point, card)
    response = api_client.post(f"/api/v1/queue/tickets/{at_desk.public_id}/complete/")
    assert response.status_code == 200 and response.json()["visit"] is None
