"""Walk-in tickets, numbering, call next and the desk's actions."""

from collections import Counter
from datetime import time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from outbox.models import Event
from queues import services
from queues.models import Priority, Ticket, TicketStatus
from tests.concurrency import raised, run_at_once
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory, weekly_hours


def walk_in(registrar, point, card=None, priority=Priority.NORMAL):
    return services.issue_ticket(actor=registrar, service_point=point,
                                 med_id=card.med_id if card else None, priority=priority)


def test_tickets_are_numbered_per_point_and_day_with_the_prefix(registrar, desk_point, room):
    numbers = [walk_in(registrar, desk_point).display_number for _ in range(3)]
    assert numbers == ["R-001", "R-002", "R-003"]
    assert walk_in(registrar, room).display_number == "A-001"
    ticket = Ticket.objects.get(number=2, service_point=desk_point)
    assert ticket.day == timezone.localdate() and ticket.status == TicketStatus.WAITING


def test_the_database_refuses_a_second_ticket_with_one_number(registrar, desk_point):
    ticket = walk_in(registrar, desk_point)
    with pytest.raises(IntegrityError, match="ticket_number_unique_per_day"):
        Ticket.objects.create(service_point=desk_point, day=ticket.day, number=ticket.number,
                              prefix="R", queued_for=timezone.now())


def test_a_patient_waits_once_in_a_queue(registrar, desk_point, card):
    walk_in(registrar, desk_point, card)
    with pytest.raises(ValidationError, match="already in this queue"):
        walk_in(registrar, desk_point, card)


def test_walk_in_is_refused_outside_scope_at_another_facility_and_when_closed(
        registrar, desk_point, polyclinic):
    # A card attached elsewhere: only a registrar's desk reaches it (test_scope_and_tasks).
    with pytest.raises(PermissionDenied):
        walk_in(staff_at(polyclinic, Role.NURSE), desk_point, CardFactory())
    with pytest.raises(PermissionDenied):
        walk_in(staff_at(FacilityFactory(), Role.REGISTRAR), desk_point)
    closed = ServicePointFactory(facility=polyclinic)  # no working hours at all
    with pytest.raises(ValidationError, match="closed now"):
        walk_in(registrar, closed)
    # Hours today that are over (at any hour but the first second of the day).
    finished = ServicePointFactory(facility=polyclinic)
    weekly_hours(finished, closes=time(0, 0, 1))
    with pytest.raises(ValidationError, match="closed now"):
        walk_in(registrar, finished)
    assert not Ticket.objects.exists()


def test_patient_takes_their_own_ticket_at_the_kiosk_page_but_no_priority(
        desk_point, card, patient_user):
    ticket = services.issue_ticket(actor=patient_user, service_point=desk_point,
                                   med_id=card.med_id)
    assert ticket.card == card and ticket.issued_by == patient_user
    with pytest.raises(ValidationError, match="priority"):
        services.issue_ticket(actor=patient_user, service_point=desk_point,
                              med_id=card.med_id, priority=Priority.VETERAN)


def test_call_next_takes_priority_first_then_appointment_time_or_arrival(
        registrar, doctor, room, polyclinic):
    cards = [CardFactory(attached_facility=polyclinic) for _ in range(5)]
    normal_early = walk_in(registrar, room, cards[0])
    normal_late = walk_in(registrar, room, cards[1])
    elderly = walk_in(registrar, room, cards[2], Priority.ELDERLY)
    emergency = walk_in(registrar, room, cards[3], Priority.EMERGENCY)
    # A booking for a time before everyone's arrival goes ahead of the normal walk-ins.
    booked = walk_in(registrar, room, cards[4])
    Ticket.objects.filter(pk=booked.pk).update(queued_for=timezone.now() - timedelta(hours=1))
    order = []
    for _ in range(6):
        order.append(services.call_next(actor=doctor, service_point=room))
        if order[-1]:
            assert order[-1].status == TicketStatus.CALLED and order[-1].called_by == doctor
            services.complete(actor=doctor, ticket_id=order[-1].public_id)
    assert [t.pk if t else None for t in order] == [
        emergency.pk, elderly.pk, booked.pk, normal_early.pk, normal_late.pk, None]
    assert AuditEvent.objects.filter(object_type="queue.ticket", reason="called",
                                     patient_med_id=cards[3].med_id).exists()
    called_event = Event.objects.get(kind="queue.ticket_called", payload__med_id=cards[3].med_id)
    assert called_event.payload["ticket"] == emergency.display_number
    assert called_event.payload["service_point"] == "Oilaviy shifokor, 214"


def test_desk_actions_recall_no_show_transfer_complete(registrar, doctor, room, desk_point,
                                                       polyclinic, card, patient_user):
    first, second, third = (walk_in(registrar, room, c) for c in
                            [card, *(CardFactory(attached_facility=polyclinic) for _ in "ab")])
    called = services.call_next(actor=doctor, service_point=room, desk="214")
    recalled = services.recall(actor=doctor, ticket_id=called.public_id)
    assert recalled.call_count == 2 and recalled.called_at >= called.called_at
    # Each call tells the patient again.
    assert Event.objects.filter(kind="queue.ticket_called", payload__med_id=card.med_id
                                ).count() == 2
    done = services.complete(actor=doctor, ticket_id=called.public_id)
    assert done.status == TicketStatus.COMPLETED and done.finished_at
    with pytest.raises(ValidationError):
        services.complete(actor=doctor, ticket_id=called.public_id)

    services.call_next(actor=doctor, service_point=room)
    missed = services.mark_no_show(actor=doctor, ticket_id=second.public_id)
    assert missed.status == TicketStatus.NO_SHOW

    moved = services.transfer(actor=doctor, ticket_id=third.public_id, to=desk_point)
    third.refresh_from_db()
    assert third.status == TicketStatus.TRANSFERRED
    assert moved.service_point == desk_point and moved.display_number == "R-001"
    assert moved.queued_for == third.queued_for and moved.transferred_from == third
    with pytest.raises(ValidationError):
        services.transfer(actor=doctor, ticket_id=moved.public_id,
                          to=ServicePointFactory())  # another facility's point
    # A patient cannot work the desk, even on their own ticket.
    with pytest.raises(PermissionDenied):
        services.complete(actor=patient_user, ticket_id=first.public_id)
    # Staff of another facility do not learn the ticket exists.
    with pytest.raises(Http404):
        services.recall(actor=staff_at(FacilityFactory()), ticket_id=moved.public_id)


def test_ticket_numbers_stay_unique_and_gapless_when_issued_at_once(committed_db):
    facility = FacilityFactory()
    point = ServicePointFactory(facility=facility)
    weekly_hours(point)
    registrars = [staff_at(facility, Role.REGISTRAR) for _ in range(12)]
    results = run_at_once(lambda i: services.issue_ticket(
        actor=registrars[i], service_point=point), 12)
    assert raised(results) == []
    assert sorted(t.number for t in results) == list(range(1, 13))
    assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1, 13))


def test_twenty_desks_calling_at_once_on_fifty_tickets_call_each_exactly_once(committed_db):
    facility = FacilityFactory()
    point = ServicePointFactory(facility=facility)
    weekly_hours(point)
    registrar = staff_at(facility, Role.REGISTRAR)
    for index in range(50):
        walk_in(registrar, point, priority=[Priority.NORMAL, Priority.ELDERLY][index % 2])
    desks = [staff_at(facility, Role.NURSE) for _ in range(20)]

    def work_the_desk(index):
        called = []
        while (ticket := services.call_next(actor=desks[index], service_point=point,
                                            desk=str(index))) is not None:
            called.append(ticket.pk)
            services.complete(actor=desks[index], ticket_id=ticket.public_id)
        return called

    results = run_at_once(work_the_desk, 20)
    assert raised(results) == []
    calls = Counter(pk for called in results for pk in called)
    assert len(calls) == 50 and set(calls.values()) == {1}
    assert Ticket.objects.filter(status=TicketStatus.COMPLETED, call_count=1).count() == 50
    # More than one desk got work: the calls really ran side by side.
    assert sum(1 for called in results if called) > 1


def test_patient_sees_position_and_estimated_wait(registrar, doctor, room, polyclinic, card,
                                                  patient_user):
    from queues.selectors import ticket_progress

    ahead = [walk_in(registrar, room, CardFactory(attached_facility=polyclinic))
             for _ in range(3)]
    mine = walk_in(registrar, room, card)
    # The room's recent services took 12 minutes each.
    now = timezone.now()
    for ticket in ahead[:2]:
        services.call_next(actor=doctor, service_point=room)
        Ticket.objects.filter(pk=ticket.pk).update(
            status=TicketStatus.COMPLETED, called_at=now - timedelta(minutes=12),
            finished_at=now)
    progress = ticket_progress(patient_user, mine.public_id)
    assert progress.ahead == 1
    assert progress.estimated_wait == timedelta(minutes=12)
    with pytest.raises(Http404):
        ticket_progress(UserFactory(role=Role.PATIENT), mine.public_id)


def test_a_desk_serves_one_ticket_at_a_time(registrar, doctor, room, polyclinic, desk_point):
    first, second = (walk_in(registrar, room, CardFactory(attached_facility=polyclinic))
                     for _ in "ab")
    assert services.call_next(actor=doctor, service_point=room) == first
    with pytest.raises(ValidationError) as refused:
        services.call_next(actor=doctor, service_point=room)
    assert first.display_number in str(refused.value)
    second.refresh_from_db()
    assert second.status == TicketStatus.WAITING
    # Another person's desk at the same point is not held up.
    colleague = staff_at(polyclinic, Role.NURSE)
    assert services.call_next(actor=colleague, service_point=room) == second
    # Once the patient is seen (or did not come), the desk calls again.
    services.mark_no_show(actor=doctor, ticket_id=first.public_id)
    assert services.call_next(actor=doctor, service_point=room) is None


def test_the_database_refuses_two_tickets_served_by_one_desk(registrar, doctor, room,
                                                            polyclinic):
    first, second = (walk_in(registrar, room, CardFactory(attached_facility=polyclinic))
                     for _ in "ab")
    services.call_next(actor=doctor, service_point=room)
    with pytest.raises(IntegrityError):
        Ticket.objects.filter(pk=second.pk).update(status=TicketStatus.CALLED,
                                                   called_at=timezone.now(), called_by=doctor)


def _statements(captured) -> list[str]:
    """What a worker sends, without the savepoints the test's own transaction adds."""
    return [q["sql"] for q in captured
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]


def test_issuing_a_ticket_costs_three_statements(registrar, desk_point):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walk_in(registrar, desk_point)  # the registrar's staff record is read once
    with CaptureQueriesContext(connection) as captured:
        ticket = walk_in(registrar, desk_point)
    # Whether the point is open now, the audit row, and the count with the insert in one
    # statement (the day's counter stays locked from there to the COMMIT only).
    statements = _statements(captured)
    assert len(statements) == 3, statements
    assert statements[-1].startswith("WITH counted AS")
    assert ticket.number == 2 and Ticket.objects.get(pk=ticket.pk).public_id == ticket.public_id
    assert AuditEvent.objects.filter(object_id=str(ticket.public_id), action="create").exists()


def test_calling_next_costs_four_statements_for_a_named_ticket(registrar, doctor, room,
                                                                 card):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = walk_in(registrar, room, card)
    room.facility.name  # noqa: B018 — loaded with the point, as the views load it
    services.call_next(actor=doctor, service_point=room)  # nobody else is waiting
    services.complete(actor=doctor, ticket_id=ticket.public_id)
    second = walk_in(registrar, room, CardFactory(attached_facility=room.facility))
    with CaptureQueriesContext(connection) as captured:
        called = services.call_next(actor=doctor, service_point=room, desk="214")
    # The UPDATE that takes the head of the line, its card (for the audit row and the
    # event), the audit row, the outbox event.
    assert len(_statements(captured)) == 4, _statements(captured)
    assert called.pk == second.pk and called.status == TicketStatus.CALLED
    assert called.called_by == doctor and called.desk == "214" and called.call_count == 1
    assert Event.objects.filter(kind="queue.ticket_called",
                                payload__ticket=called.display_number).exists()
    # Pressing again while serving it names it, and takes nothing.
    third = walk_in(registrar, room)
    with pytest.raises(ValidationError, match=called.display_number):
        services.call_next(actor=doctor, service_point=room)
    assert Ticket.objects.get(pk=third.pk).status == TicketStatus.WAITING
