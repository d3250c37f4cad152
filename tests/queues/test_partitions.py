"""Tickets partitioned by the month of their day (queue 0007): the months made ahead across
a month's end, a ticket sent on into the next month, the keys that name the day, the
conversion of a table that holds tickets, and "sent on once" across the months (queue
0008's side table)."""

from datetime import date, timedelta

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation

from dmed.partitions import maintain_partitions
from queues import services
from queues.models import AppointmentStatus, Ticket, TicketStatus, TicketTransfer
from tests.patients.factories import CardFactory
from tests.queues.test_scope_and_tasks import _appointment, _ticket

BEFORE = [("queue", "0006_ticket_counter_label")]
ONCE_PER_DAY = [("queue", "0007_tickets_partitioned_by_month")]


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
    # Sent on once, the same day or any other, even written past transfer().
    assert TicketTransfer.objects.get(transferred_from=stale).ticket == moved
    for day in (today, today + timedelta(days=1), today + timedelta(days=40)):
        with pytest.raises(IntegrityError, match="ticket_transferred_once"), \
                transaction.atomic():
            Ticket.objects.create(service_point=room, day=day, number=90, prefix="A",
                                  queued_for=timezone.now(), transferred_from=stale,
                                  transferred_from_day=last_month)
    # Nor pointed at it afterwards.
    other = _ticket(room, card)
    with pytest.raises(IntegrityError, match="ticket_transferred_once"), transaction.atomic():
        Ticket.objects.filter(pk=other.pk).update(transferred_from=stale,
                                                  transferred_from_day=last_month)


@pytest.mark.django_db
def test_a_ticket_sent_on_is_refused_again_by_the_database_past_the_status(
        doctor, room, desk_point, card):
    yesterday = timezone.localdate() - timedelta(days=1)
    stale = _ticket(room, card, day=yesterday)
    moved = services.transfer(actor=doctor, ticket_id=stale.public_id, to=desk_point)
    Ticket.objects.filter(pk=moved.pk).update(status=TicketStatus.CLOSED)  # out of the line
    # Reopened behind transfer()'s back: its check passes, the database refuses.
    Ticket.objects.filter(pk=stale.pk).update(status=TicketStatus.WAITING)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.transfer(actor=doctor, ticket_id=stale.public_id, to=desk_point)
    assert refused.value.message_dict == {"status": ["This ticket is transferred."]}
    assert list(Ticket.objects.filter(transferred_from=stale)) == [moved]

    # A ticket deleted takes its row along: the one it came from may be sent on again.
    Ticket.objects.filter(pk=moved.pk).delete()
    check_keys_now()
    assert not TicketTransfer.objects.exists()
    again = services.transfer(actor=doctor, ticket_id=stale.public_id, to=desk_point)
    assert TicketTransfer.objects.get(transferred_from=stale).ticket == again


@pytest.mark.django_db
def test_a_booking_has_one_ticket_on_its_own_day(room, registrar, doctor):
    patient = CardFactory()
    # Starting now, not in a while: after 23:00 in Tashkent a while from now is tomorrow.
    appointment = _appointment(room, patient, registrar, timezone.now())
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
    appointment = _appointment(room, patient, registrar, timezone.now(),
                               status=AppointmentStatus.CHECKED_IN)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("queue", "Ticket")
    today = appointment.day
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


@pytest.mark.django_db
def test_a_ticket_sent_on_before_its_month_was_made_moves_in_with_its_transfer(
        settings, room, desk_point, card):
    settings.PARTITION_MONTHS_AHEAD = 0
    stale = _ticket(room, card, day=date(2032, 7, 2), status=TicketStatus.CLOSED)
    sent_on = Ticket.objects.create(service_point=desk_point, day=date(2032, 7, 3), number=1,
                                    prefix="B", queued_for=timezone.now(),
                                    transferred_from=stale, transferred_from_day=stale.day)
    assert partition_of(sent_on) == "queue_ticket_default"

    assert "queue_ticket_203207" in maintain_partitions(today=date(2032, 7, 1)).created
    check_keys_now()
    assert partition_of(sent_on) == "queue_ticket_203207"
    # Moved without its triggers: the transfer stays, and still refuses a second one.
    assert TicketTransfer.objects.get(transferred_from=stale).ticket == sent_on
    with pytest.raises(IntegrityError, match="ticket_transferred_once"), transaction.atomic():
        Ticket.objects.create(service_point=room, day=date(2032, 7, 4), number=2, prefix="A",
                              queued_for=timezone.now(), transferred_from=stale,
                              transferred_from_day=stale.day)


@pytest.mark.django_db(transaction=True)
def test_the_application_role_keeps_the_transfers_through_the_triggers(committed_db, room,
                                                                       desk_point):
    role = django_settings.DATABASE_APP_ROLE
    assert role, "make test sets DATABASE_APP_ROLE (scripts/devservices.py)"
    today = timezone.localdate()
    stale = _ticket(room, None, status=TicketStatus.TRANSFERRED)
    first, second = (_ticket(desk_point, None) for _ in range(2))
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(user=role, password=django_settings.DATABASE_APP_PASSWORD)
    point_at = "UPDATE queue_ticket SET transferred_from_id = %s, transferred_from_day = %s " \
               "WHERE id = %s"
    with psycopg.connect(**params) as app:
        app.execute(point_at, [stale.pk, today, first.pk])
        app.commit()
        with pytest.raises(psycopg.errors.UniqueViolation, match="ticket_transferred_once"):
            with app.transaction():
                app.execute(point_at, [stale.pk, today, second.pk])
        assert TicketTransfer.objects.get(transferred_from=stale).ticket == first
        app.execute("DELETE FROM queue_ticket WHERE id = %s", [first.pk])
        app.commit()
    assert not TicketTransfer.objects.exists()


def constraints_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s)",
                       [table])
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_sent_on_once_moves_to_its_side_table_and_back(committed_db, room, desk_point):
    executor = MigrationExecutor(connection)
    executor.migrate(ONCE_PER_DAY)
    old = executor.loader.project_state(ONCE_PER_DAY).apps.get_model("queue", "Ticket")
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    stale = old.objects.create(service_point_id=room.pk, day=yesterday, number=1, prefix="A",
                               queued_for=timezone.now(), status=TicketStatus.TRANSFERRED)
    sent_on = old.objects.create(service_point_id=desk_point.pk, day=today, number=1,
                                 prefix="B", queued_for=timezone.now(), transferred_from=stale,
                                 transferred_from_day=yesterday)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # The transfer made before is in the side table, and holds on another day.
    assert TicketTransfer.objects.get(transferred_from_id=stale.pk).ticket_id == sent_on.pk
    assert "ticket_transferred_once" not in constraints_of("queue_ticket")
    with pytest.raises(IntegrityError, match="ticket_transferred_once"), transaction.atomic():
        Ticket.objects.create(service_point=room, day=today + timedelta(days=1), number=1,
                              prefix="A", queued_for=timezone.now(), transferred_from_id=stale.pk,
                              transferred_from_day=yesterday)

    executor = MigrationExecutor(connection)
    executor.migrate(ONCE_PER_DAY)
    assert "ticket_transferred_once" in constraints_of("queue_ticket")
    month = f"queue_ticket_{today:%Y%m}"
    assert f"{month}_ticket_transferred_once" in constraints_of(month)
    assert "queue_ticket_transfer" not in connection.introspection.table_names()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert TicketTransfer.objects.get(transferred_from_id=stale.pk).ticket_id == sent_on.pk
