"""Tickets partitioned by the month of their day (queue 0007): the months made ahead across
a month's end, a ticket sent on into the next month, the keys that name the day, and the
conversion of a table that holds tickets."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from dmed.partitions import maintain_partitions
from queues import services
from queues.models import AppointmentStatus, Ticket, TicketStatus
from tests.patients.factories import CardFactory
from tests.queues.test_scope_and_tasks import _appointment, _ticket

BEFORE = [("queue", "0006_ticket_counter_label")]


def partition_of(ticket) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM queue_ticket WHERE id = %s",
                       [ticket.pk])
        return cursor.fetchone()[0]


def check_keys_now():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_the_task_at_a_month_end_makes_the_next_months_of_tickets(settings, room, card):
    settings.PARTITION_MONTHS_AHEAD = 1
    report = maintain_partitions(today=date(2031, 1, 31))
    assert {"queue_ticket_203101", "queue_ticket_203102"} <= set(report.created)
    last_of_january = _ticket(room, card, day=date(2031, 1, 31), status=TicketStatus.CLOSED)
    first_of_february = _ticket(room, card, day=date(2031, 2, 1))
    assert partition_of(last_of_january) == "queue_ticket_203101"
    assert partition_of(first_of_february) == "queue_ticket_203102"

    # A day whose month is not made yet waits in the DEFAULT partition, then moves in.
    later = _ticket(room, card, day=date(2031, 3, 2))
    assert partition_of(later) == "queue_ticket_default"
    assert "queue_ticket_203103" in maintain_partitions(today=date(2031, 2, 1)).created
    assert partition_of(later) == "queue_ticket_203103"
    # The UUID stays unique in the month the rows moved into.
    with pytest.raises(IntegrityError, match="queue_ticket_203103_uuid"), transaction.atomic():
        Ticket.objects.create(public_id=later.public_id, service_point=room,
                              day=date(2031, 3, 3), number=1, prefix="A",
                              queued_for=timezone.now())


@pytest.mark.django_db
def test_a_ticket_left_open_last_month_is_sent_on_into_this_month(doctor, room, desk_point,
                                                                   card):
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    maintain_partitions(today=last_month)
    stale = _ticket(room, card, day=last_month)

    moved = services.transfer(actor=doctor, ticket_id=stale.public_id, to=desk_point)
    check_keys_now()
    assert (moved.day, moved.transferred_from_day) == (today, last_month)
    assert partition_of(stale) == f"queue_ticket_{last_month:%Y%m}"
    assert partition_of(moved) == f"queue_ticket_{today:%Y%m}"
    assert Ticket.objects.get(pk=moved.pk).transferred_from == stale
    assert stale.transferred_to == moved

    # The key names the day of the ticket sent on: another day does not reference it.
    with pytest.raises(IntegrityError, match="ticket_transferred_from"), transaction.atomic():
        Ticket.objects.filter(pk=moved.pk).update(transferred_from_day=today)
        check_keys_now()
    # Sent on once (the same day).
    with pytest.raises(IntegrityError, match="ticket_transferred_once"), transaction.atomic():
        Ticket.objects.create(service_point=room, day=today, number=90, prefix="A",
                              queued_for=timezone.now(), transferred_from=stale,
                              transferred_from_day=last_month)


@pytest.mark.django_db
def test_a_booking_has_one_ticket_on_its_own_day(room, registrar, doctor):
    patient = CardFactory()
    appointment = _appointment(room, patient, registrar, timezone.now() + timedelta(minutes=5))
    ticket = services.check_in(actor=registrar, appointment_id=appointment.public_id)
    check_keys_now()
    assert ticket.appointment == appointment and appointment.ticket == ticket
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    with pytest.raises(IntegrityError, match="ticket_one_per_appointment"), transaction.atomic():
        Ticket.objects.create(service_point=room, day=ticket.day, number=91, prefix="A",
                              queued_for=timezone.now(), appointment=appointment)
    # On another day the key into the appointment, (id, day), refuses it.
    with pytest.raises(IntegrityError, match="ticket_appointment"), transaction.atomic():
        Ticket.objects.create(service_point=room, day=ticket.day + timedelta(days=1),
                              number=1, prefix="A", queued_for=timezone.now(),
                              appointment=appointment)
        check_keys_now()


@pytest.mark.django_db(transaction=True)
def test_the_conversion_keeps_the_tickets_and_their_links(committed_db, room, desk_point,
                                                          registrar):
    patient = CardFactory()
    appointment = _appointment(room, patient, registrar, timezone.now() + timedelta(hours=1),
                               status=AppointmentStatus.CHECKED_IN)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("queue", "Ticket")
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)

    def old_ticket(point, day, number, **fields):
        return old.objects.create(service_point_id=point.pk, day=day, number=number,
                                  prefix=point.ticket_prefix, queued_for=timezone.now(),
                                  **fields)

    stale = old_ticket(room, yesterday, 1, status=TicketStatus.TRANSFERRED)
    sent_on = old_ticket(desk_point, today, 1, transferred_from=stale)
    booked = old_ticket(room, today, 1, appointment_id=appointment.pk, card_id=patient.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Ticket.objects.count() == 3
    moved = Ticket.objects.get(pk=sent_on.pk)
    assert (moved.transferred_from_id, moved.transferred_from_day) == (stale.pk, yesterday)
    assert Ticket.objects.get(pk=booked.pk).appointment == appointment
    assert Ticket.objects.get(pk=stale.pk).public_id == stale.public_id
    assert {partition_of(t) for t in (stale, sent_on, booked)} <= {
        f"queue_ticket_{yesterday:%Y%m}", f"queue_ticket_{today:%Y%m}"}
    # New ids go on from where the sequence was.
    assert Ticket.objects.create(service_point=room, day=today, number=2, prefix="A",
                                 queued_for=timezone.now()).pk > booked.pk
