"""Booking, cancelling and moving appointments: who may, until when, and the slot rule."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from outbox.models import Event
from queues import selectors, services
from queues.models import Appointment, AppointmentStatus, Ticket
from tests.concurrency import raised, run_at_once
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory, weekly_hours


def tomorrow_slot(point, index=40):
    day = timezone.localdate() + timedelta(days=1)
    return selectors.slots(point, day)[index].starts_at


def test_patient_books_their_family_doctor_and_the_slot_is_then_taken(room, card,
                                                                      patient_user):
    starts_at = tomorrow_slot(room)
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=starts_at)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=15)
    slot = next(s for s in selectors.slots(room, appointment.day) if s.starts_at == starts_at)
    assert not slot.free
    event = AuditEvent.objects.get(object_type="queue.appointment", action="create")
    assert event.patient_med_id == card.med_id and event.actor == patient_user
    booked = Event.objects.get(kind="appointment.booked")
    assert booked.payload["med_id"] == card.med_id
    assert booked.payload["starts_at"] == starts_at.isoformat()
    assert booked.payload["doctor"] == room.practitioner.get_full_name()

    other = CardFactory(attached_facility=room.facility, family_doctor=room.practitioner,
                        user=UserFactory(role=Role.PATIENT))
    with pytest.raises(services.SlotTaken):
        services.book_appointment(actor=other.user, service_point=room, med_id=other.med_id,
                                  starts_at=starts_at)


def test_patient_cannot_book_another_doctor_nor_for_someone_else(room, card, patient_user,
                                                                 polyclinic):
    other_room = ServicePointFactory(facility=polyclinic, kind="doctor_room",
                                     practitioner=staff_at(polyclinic), ticket_prefix="B")
    weekly_hours(other_room)
    with pytest.raises(PermissionDenied):
        services.book_appointment(actor=patient_user, service_point=other_room,
                                  med_id=card.med_id, starts_at=tomorrow_slot(other_room))
    stranger = CardFactory(attached_facility=polyclinic, family_doctor=room.practitioner)
    with pytest.raises(Http404):
        services.book_appointment(actor=patient_user, service_point=room,
                                  med_id=stranger.med_id, starts_at=tomorrow_slot(room))
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.filter(object_type="queue.appointment", allowed=False).exists()


def test_registrar_books_for_anyone_in_scope_but_not_outside_it(room, registrar, polyclinic):
    attached = CardFactory(attached_facility=polyclinic)
    appointment = services.book_appointment(actor=registrar, service_point=room,
                                            med_id=attached.med_id,
                                            starts_at=tomorrow_slot(room))
    assert appointment.booked_by == registrar
    elsewhere = CardFactory()
    with pytest.raises(PermissionDenied):
        services.book_appointment(actor=registrar, service_point=room, med_id=elsewhere.med_id,
                                  starts_at=tomorrow_slot(room, 41))
    foreign_registrar = staff_at(FacilityFactory(), Role.REGISTRAR)
    with pytest.raises(PermissionDenied):
        services.book_appointment(actor=foreign_registrar, service_point=room,
                                  med_id=attached.med_id, starts_at=tomorrow_slot(room, 42))


def test_a_time_that_is_no_slot_or_past_or_too_far_is_refused(room, card, patient_user):
    def book(starts_at):
        return services.book_appointment(actor=patient_user, service_point=room,
                                         med_id=card.med_id, starts_at=starts_at)

    with pytest.raises(ValidationError, match="no slot"):
        book(tomorrow_slot(room) + timedelta(minutes=5))
    with pytest.raises(ValidationError, match="passed"):
        book(timezone.now() - timedelta(hours=1))
    far = timezone.localdate() + timedelta(days=30)
    with pytest.raises(ValidationError, match="days ahead"):
        book(selectors.slots(room, far)[0].starts_at)
    book(tomorrow_slot(room))
    with pytest.raises(ValidationError, match="already has an appointment"):
        book(tomorrow_slot(room, 41))


def _appointment(room, card, user, starts_in):
    starts_at = timezone.now() + starts_in
    return Appointment.objects.create(service_point=room, card=card, starts_at=starts_at,
                                      ends_at=starts_at + timedelta(minutes=15),
                                      day=timezone.localtime(starts_at).date(), booked_by=user)


def test_patient_cancels_and_moves_until_the_cutoff_staff_until_the_start(
        room, card, patient_user, registrar):
    later = _appointment(room, card, patient_user, timedelta(days=2))
    moved = services.move_appointment(actor=patient_user, appointment_id=later.public_id,
                                      starts_at=tomorrow_slot(room))
    assert moved.starts_at == tomorrow_slot(room) and moved.day == timezone.localdate() + \
        timedelta(days=1)
    services.cancel_appointment(actor=patient_user, appointment_id=later.public_id)
    assert Event.objects.filter(kind="appointment.cancelled",
                                payload__appointment=str(later.public_id)).count() == 1
    later.refresh_from_db()
    assert later.status == AppointmentStatus.CANCELLED
    # The cancelled slot is free again.
    assert next(s for s in selectors.slots(room, later.day)
                if s.starts_at == later.starts_at).free

    soon = _appointment(room, card, patient_user, services.CHANGE_CUTOFF - timedelta(minutes=5))
    with pytest.raises(ValidationError, match="too late"):
        services.cancel_appointment(actor=patient_user, appointment_id=soon.public_id)
    with pytest.raises(ValidationError, match="too late"):
        services.move_appointment(actor=patient_user, appointment_id=soon.public_id,
                                  starts_at=tomorrow_slot(room, 50))
    services.cancel_appointment(actor=registrar, appointment_id=soon.public_id)


def test_someone_elses_appointment_does_not_exist_for_a_patient(room, card, patient_user):
    appointment = _appointment(room, card, patient_user, timedelta(days=2))
    intruder = CardFactory(user=UserFactory(role=Role.PATIENT)).user
    with pytest.raises(Http404):
        services.cancel_appointment(actor=intruder, appointment_id=appointment.public_id)
    with pytest.raises(Http404):
        services.cancel_appointment(actor=staff_at(FacilityFactory(), Role.REGISTRAR),
                                    appointment_id=appointment.public_id)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_check_in_turns_the_appointment_into_a_ticket_in_line_for_its_time(
        room, card, patient_user):
    starts_in = timedelta(minutes=20)
    if timezone.localtime(timezone.now() + starts_in).date() != timezone.localdate():
        starts_in = -starts_in  # twenty minutes from now is tomorrow: a late patient, then
    appointment = _appointment(room, card, patient_user, starts_in)
    ticket = services.check_in(actor=patient_user, appointment_id=appointment.public_id)
    assert ticket.display_number == "A-001" and ticket.queued_for == appointment.starts_at
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    with pytest.raises(ValidationError):
        services.check_in(actor=patient_user, appointment_id=appointment.public_id)


def test_patient_cannot_check_in_long_before_nor_claim_a_priority(room, card, patient_user):
    early = _appointment(room, card, patient_user, timedelta(hours=3))
    if early.day != timezone.localdate():
        pytest.skip("three hours from now is tomorrow")
    with pytest.raises(ValidationError, match="opens an hour before"):
        services.check_in(actor=patient_user, appointment_id=early.public_id)
    early.starts_at = timezone.now() + timedelta(minutes=10)
    early.save()
    with pytest.raises(ValidationError, match="registry set a priority"):
        services.check_in(actor=patient_user, appointment_id=early.public_id, priority=0)
    assert not Ticket.objects.exists()


def test_the_database_itself_refuses_a_second_appointment_in_a_slot(room, card, patient_user):
    first = _appointment(room, card, patient_user, timedelta(days=1))
    other = CardFactory()
    with pytest.raises(IntegrityError, match="appointment_one_per_slot"):
        Appointment.objects.create(service_point=room, card=other, starts_at=first.starts_at,
                                   ends_at=first.ends_at, day=first.day, booked_by=patient_user)


def test_eight_patients_pressing_at_once_get_one_appointment_and_seven_refusals(committed_db):
    facility = FacilityFactory()
    doctor = staff_at(facility)
    room = ServicePointFactory(facility=facility, kind="doctor_room", practitioner=doctor)
    weekly_hours(room)
    patients = [CardFactory(attached_facility=facility, family_doctor=doctor,
                            user=UserFactory(role=Role.PATIENT)) for _ in range(8)]
    starts_at = tomorrow_slot(room)
    # A thread may lose at the free-slot check or at the INSERT; either way one wins.
    outcomes = run_at_once(lambda i: services.book_appointment(
        actor=patients[i].user, service_point=room, med_id=patients[i].med_id,
        starts_at=starts_at), 8)
    errors = raised(outcomes)
    assert Appointment.objects.filter(starts_at=starts_at).count() == 1
    assert len(outcomes) - len(errors) == 1
    assert len(errors) == 7 and all(isinstance(e, services.SlotTaken) for e in errors)
