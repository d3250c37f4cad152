"""Patients in a queue come into the facility's care; beat tasks close the day."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.access import CardAccessDenied, card_for, visible_cards
from queues import services, tasks
from queues.models import Appointment, AppointmentStatus, Ticket, TicketStatus
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory, weekly_hours


def _ticket(point, card, day=None, status=TicketStatus.WAITING):
    day = day or timezone.localdate()
    number = Ticket.objects.filter(service_point=point, day=day).count() + 1
    called_at = None if status in (TicketStatus.WAITING, TicketStatus.CLOSED) else timezone.now()
    return Ticket.objects.create(service_point=point, day=day, number=number, prefix="A",
                                 card=card, status=status, queued_for=timezone.now(),
                                 called_at=called_at)


def _appointment(point, card, booked_by, starts_at, status=AppointmentStatus.BOOKED):
    return Appointment.objects.create(
        service_point=point, card=card, starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=15), day=timezone.localtime(starts_at).date(),
        booked_by=booked_by, status=status)


def test_a_ticket_here_today_brings_a_patient_from_elsewhere_into_scope(doctor, room):
    visitor = CardFactory()  # attached to another polyclinic
    with pytest.raises(CardAccessDenied):
        card_for(doctor, visitor.med_id)
    _ticket(room, visitor)
    assert card_for(doctor, visitor.med_id).break_glass is False
    assert visible_cards(doctor).filter(pk=visitor.pk).exists()
    # Staff of a third facility still cannot open it.
    with pytest.raises(CardAccessDenied):
        card_for(staff_at(FacilityFactory()), visitor.med_id)


def test_yesterdays_ticket_and_a_cancelled_appointment_give_no_access(doctor, room, registrar):
    visitor = CardFactory()
    _ticket(room, visitor, day=timezone.localdate() - timedelta(days=1),
            status=TicketStatus.COMPLETED)
    _appointment(room, visitor, registrar, timezone.now() + timedelta(days=1),
                 status=AppointmentStatus.CANCELLED)
    with pytest.raises(CardAccessDenied):
        card_for(doctor, visitor.med_id)
    assert not visible_cards(doctor).filter(pk=visitor.pk).exists()


def test_an_upcoming_appointment_here_brings_the_patient_into_scope(registrar, room):
    visitor = CardFactory()
    _appointment(room, visitor, registrar, timezone.now() + timedelta(days=3))
    assert card_for(registrar, visitor.med_id).card == visitor


def test_no_show_task_marks_appointments_past_the_grace_period(room, registrar, polyclinic):
    now = timezone.now()
    missed = _appointment(room, CardFactory(attached_facility=polyclinic), registrar,
                          now - services.NO_SHOW_GRACE - timedelta(minutes=1))
    within_grace = _appointment(room, CardFactory(attached_facility=polyclinic), registrar,
                                now - services.NO_SHOW_GRACE + timedelta(minutes=5))
    arrived = _appointment(room, CardFactory(attached_facility=polyclinic), registrar,
                           now - timedelta(hours=2), status=AppointmentStatus.CHECKED_IN)
    assert tasks.mark_missed_appointments() == 1
    for appointment, status in [(missed, AppointmentStatus.NO_SHOW),
                                (within_grace, AppointmentStatus.BOOKED),
                                (arrived, AppointmentStatus.CHECKED_IN)]:
        appointment.refresh_from_db()
        assert appointment.status == status
    assert tasks.mark_missed_appointments() == 0  # running twice changes nothing


def test_closing_task_closes_tickets_left_open_after_closing_time(polyclinic):
    today = timezone.localdate()
    # The closing run at noon today, whatever the hour the test runs at: this point closed
    # at eleven; the other is open all day.
    noon = datetime.combine(today, time(12, 0), tzinfo=timezone.get_current_timezone())
    closed_point = ServicePointFactory(facility=polyclinic)
    weekly_hours(closed_point, opens=time(8, 0), closes=time(11, 0))
    open_point = ServicePointFactory(facility=polyclinic)
    weekly_hours(open_point)
    left = _ticket(closed_point, None)
    called = _ticket(closed_point, None, status=TicketStatus.CALLED)
    still_open = _ticket(open_point, None)
    yesterday = _ticket(open_point, None, day=today - timedelta(days=1))
    done = _ticket(closed_point, None, status=TicketStatus.CLOSED)

    assert services.close_stale_tickets(now=noon) == 3
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses[left.pk] == statuses[called.pk] == statuses[yesterday.pk] == "closed"
    assert statuses[still_open.pk] == "waiting" and statuses[done.pk] == "closed"
    assert tasks.close_stale_tickets() == 0


def test_beat_runs_both_queue_tasks(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"queues.tasks.close_stale_tickets", "queues.tasks.mark_missed_appointments"} <= \
        scheduled


def test_registrar_role_is_enough_for_care_scope(polyclinic, room):
    nurse = staff_at(polyclinic, Role.NURSE)
    visitor = CardFactory()
    _ticket(room, visitor)
    assert card_for(nurse, visitor.med_id).card == visitor


def test_a_merged_card_takes_its_tickets_and_appointments_along(room, registrar, polyclinic):
    from patients.models import CardStatus
    from patients.services import merge_cards

    temporary = CardFactory(attached_facility=None, registered_at=polyclinic,
                            status=CardStatus.TEMPORARY)
    identified = CardFactory(attached_facility=polyclinic)
    ticket = _ticket(room, temporary)
    appointment = _appointment(room, temporary, registrar, timezone.now() + timedelta(days=1))
    merge_cards(actor=registrar, source_med_id=temporary.med_id,
                target_med_id=identified.med_id)
    ticket.refresh_from_db()
    appointment.refresh_from_db()
    assert ticket.card == identified and appointment.card == identified


def _merge_temporary_into_identified(registrar, polyclinic):
    from patients.models import CardStatus
    from patients.services import merge_cards

    temporary = CardFactory(attached_facility=None, registered_at=polyclinic,
                            status=CardStatus.TEMPORARY)
    identified = CardFactory(attached_facility=polyclinic)

    def merge():
        merge_cards(actor=registrar, source_med_id=temporary.med_id,
                    target_med_id=identified.med_id)

    return temporary, identified, merge


def test_a_merge_keeps_one_place_in_a_line_both_cards_waited_in(room, desk_point, registrar,
                                                                polyclinic, doctor):
    temporary, identified, merge = _merge_temporary_into_identified(registrar, polyclinic)
    earlier = _ticket(room, temporary)  # the merged-away card came first: its place stays
    later = _ticket(room, identified)
    elsewhere = _ticket(desk_point, temporary)
    merge()
    for ticket in (earlier, later, elsewhere):
        ticket.refresh_from_db()
    assert (earlier.card, earlier.status) == (identified, TicketStatus.WAITING)
    assert (later.card, later.status) == (identified, TicketStatus.MERGED)
    assert later.finished_at is not None
    assert (elsewhere.card, elsewhere.status) == (identified, TicketStatus.WAITING)
    event = AuditEvent.objects.get(object_type="queue.ticket", object_id=str(later.public_id))
    assert event.actor == registrar and event.patient_med_id == identified.med_id
    assert event.reason == (f"card {temporary.med_id} merged into {identified.med_id}, "
                            f"{earlier.display_number} stays")
    # The line holds the person once, and calls them once.
    assert services.call_next(actor=doctor, service_point=room) == earlier
    services.complete(actor=doctor, ticket_id=earlier.public_id)
    assert services.call_next(actor=doctor, service_point=room) is None


def test_a_merge_keeps_the_ticket_being_served_and_the_checked_in_booking(
        room, registrar, polyclinic):
    temporary, identified, merge = _merge_temporary_into_identified(registrar, polyclinic)
    waiting = _ticket(room, temporary)
    Ticket.objects.filter(pk=waiting.pk).update(priority=0)  # even an emergency waits
    serving = _ticket(room, identified, status=TicketStatus.CALLED)
    soon = timezone.now() + timedelta(hours=1)
    booked = _appointment(room, temporary, registrar, soon)
    checked_in = _appointment(room, identified, registrar, soon + timedelta(minutes=15),
                              status=AppointmentStatus.CHECKED_IN)
    if booked.day != checked_in.day:
        pytest.skip("the two bookings fall on either side of midnight")
    elsewhere_later = _appointment(room, temporary, registrar, soon + timedelta(days=1))
    merge()
    for row in (waiting, serving, booked, checked_in, elsewhere_later):
        row.refresh_from_db()
    assert serving.status == TicketStatus.CALLED and waiting.status == TicketStatus.MERGED
    assert booked.status == AppointmentStatus.CANCELLED  # its slot is free again
    assert checked_in.status == AppointmentStatus.CHECKED_IN
    assert elsewhere_later.status == AppointmentStatus.BOOKED
    assert {row.card for row in (waiting, serving, booked, checked_in, elsewhere_later)} == {
        identified}
    assert AuditEvent.objects.filter(object_type="queue.appointment",
                                     object_id=str(booked.public_id), actor=registrar).exists()


def test_a_registrar_issues_todays_ticket_to_a_card_outside_scope(registrar, doctor, room):
    visitor = CardFactory()  # found by its MED-ID at the desk: outside scope until now
    with pytest.raises(CardAccessDenied):
        card_for(registrar, visitor.med_id)
    ticket = services.issue_ticket(actor=registrar, service_point=room, med_id=visitor.med_id)
    assert ticket.card == visitor
    assert card_for(doctor, visitor.med_id).break_glass is False
    assert AuditEvent.objects.filter(actor=registrar, object_type="queue.ticket",
                                     patient_med_id=visitor.med_id, action="create").exists()
    # Clinicians still need the glass: the desk's reach is the registrar's.
    other = CardFactory()
    with pytest.raises(CardAccessDenied):
        services.issue_ticket(actor=doctor, service_point=room, med_id=other.med_id)
