"""A patient books online the service an active referral sends them to, and only that."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinics.referrals import services as referral_services
from clinics.referrals.models import Referral, ReferralTarget, Urgency
from dmed.models import AuditEvent
from dmed.roles import Role
from outbox.models import Event
from queues import selectors, services
from queues.models import Appointment, AppointmentStatus, ServicePointKind
from registry.models import FacilityKind
from tests.factories import DepartmentFactory, FacilityFactory, staff_at
from tests.queues.factories import ServicePointFactory, weekly_hours


@pytest.fixture
def hospital(db):
    return FacilityFactory(kind=FacilityKind.HOSPITAL, name="Shahar shifoxonasi")


@pytest.fixture
def cardiologist(hospital):
    return staff_at(hospital, Role.CLINICIAN)


@pytest.fixture
def cardiology_room(hospital, cardiologist):
    point = ServicePointFactory(facility=hospital, kind=ServicePointKind.DOCTOR_ROOM,
                                practitioner=cardiologist, name="Kardiolog", ticket_prefix="K")
    weekly_hours(point)
    return point


@pytest.fixture
def laboratory(db):
    return FacilityFactory(kind=FacilityKind.LABORATORY, name="Diagnostika laboratoriyasi")


@pytest.fixture
def lab_point(laboratory):
    point = ServicePointFactory(facility=laboratory, kind=ServicePointKind.LABORATORY,
                                name="Qon olish", ticket_prefix="L")
    weekly_hours(point)
    return point


def refer(doctor, card, **target):
    return referral_services.refer(actor=doctor, med_id=card.med_id, reason="Hypertension",
                                   diagnosis_code="I10", **target)


def book(actor, card, point, *, in_days=1):
    starts_at = selectors.slots(point, timezone.localdate() + timedelta(days=in_days))[40]\
        .starts_at
    return services.book_appointment(actor=actor, service_point=point,
                                     med_id=card.med_id, starts_at=starts_at)


def end_referral(referral, how, *, doctor, cardiologist):
    if how == "declined":
        referral_services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                          accept=False, reason="Seen last week")
    else:
        referral_services.cancel_referral(actor=doctor, referral_id=referral.public_id,
                                          reason="Treated at home")


def test_a_referral_to_a_specialist_books_their_room_and_nothing_else_there(
        doctor, card, patient_user, cardiologist, cardiology_room, hospital, room):
    with pytest.raises(PermissionDenied):
        book(patient_user, card, cardiology_room)
    colleague_room = ServicePointFactory(facility=hospital, kind=ServicePointKind.DOCTOR_ROOM,
                                         practitioner=staff_at(hospital), ticket_prefix="N")
    weekly_hours(colleague_room)
    refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)

    assert book(patient_user, card, cardiology_room).card == card
    with pytest.raises(PermissionDenied):
        book(patient_user, card, colleague_room)
    assert {p.ticket_prefix for p in selectors.bookable_points(patient_user, card)} == {
        room.ticket_prefix, "K"}  # the family doctor's room stays bookable


def test_a_referral_to_a_laboratory_books_its_laboratory_points(doctor, card, patient_user,
                                                                laboratory, lab_point):
    registry = ServicePointFactory(facility=laboratory, ticket_prefix="R")  # not a lab point
    refer(doctor, card, target=ReferralTarget.LABORATORY, to_facility=laboratory)
    assert lab_point in selectors.bookable_points(patient_user, card)
    assert registry not in selectors.bookable_points(patient_user, card)
    assert book(patient_user, card, lab_point).service_point == lab_point


def test_a_department_referral_is_an_admission_and_books_no_queue(
        doctor, card, patient_user, hospital, cardiologist, cardiology_room):
    refer(doctor, card, target=ReferralTarget.DEPARTMENT,
          to_department=DepartmentFactory(facility=hospital))
    assert cardiology_room not in selectors.bookable_points(patient_user, card)


@pytest.mark.parametrize("ending", ["declined", "cancelled", "expired"])
def test_a_referral_that_ended_books_nothing(doctor, card, patient_user, cardiologist,
                                             cardiology_room, ending):
    referral = refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)
    if ending == "expired":
        Referral.objects.filter(pk=referral.pk).update(
            valid_until=timezone.localdate() - timedelta(days=1))
    else:
        end_referral(referral, ending, doctor=doctor, cardiologist=cardiologist)
    with pytest.raises(PermissionDenied):
        book(patient_user, card, cardiology_room)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("how", ["declined", "cancelled"])
def test_appointments_booked_on_a_referral_are_withdrawn_with_it(
        doctor, card, patient_user, cardiologist, cardiology_room, room, how):
    referral = refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)
    referred = book(patient_user, card, cardiology_room)
    own_doctor = book(patient_user, card, room)
    assert (referred.referral, own_doctor.referral) == (referral, None)

    end_referral(referral, how, doctor=doctor, cardiologist=cardiologist)

    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {referred.pk: AppointmentStatus.CANCELLED,
                        own_doctor.pk: AppointmentStatus.BOOKED}
    actor = cardiologist if how == "declined" else doctor
    assert AuditEvent.objects.filter(actor=actor, object_id=str(referred.public_id),
                                     reason="cancelled with its referral").count() == 1
    # The patient hears of it as of any cancelled appointment.
    assert list(Event.objects.filter(kind="appointment.cancelled")
                .values_list("payload__appointment", flat=True)) == [str(referred.public_id)]


def test_a_checked_in_patient_stays_in_line_when_the_referral_is_cancelled(
        doctor, card, patient_user, cardiologist, cardiology_room):
    referral = refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)
    referral_services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                      accept=True)
    appointment = book(patient_user, card, cardiology_room)
    # Checked in: the patient is in the building (check-in itself is tested elsewhere; its
    # one-hour window would tie this test to the clock).
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CHECKED_IN)
    end_referral(referral, "cancelled", doctor=doctor, cardiologist=cardiologist)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert not Event.objects.filter(kind="appointment.cancelled").exists()


def test_an_accepted_referral_still_books(doctor, card, patient_user, cardiologist,
                                          cardiology_room):
    referral = refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)
    referral_services.decide_referral(actor=cardiologist, referral_id=referral.public_id,
                                      accept=True)
    assert book(patient_user, card, cardiology_room).card == card


def test_the_booking_page_offers_the_referred_room_with_its_facility(
        client, doctor, card, patient_user, cardiologist, cardiology_room,
        django_assert_max_num_queries):
    refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist)
    client.force_login(patient_user)
    with django_assert_max_num_queries(12):
        page = client.get("/me/queue/book/").content.decode()
    assert "Shahar shifoxonasi: K · Kardiolog" in page


def test_a_booking_on_a_referral_falls_within_its_validity(
        doctor, card, patient_user, cardiologist, cardiology_room, hospital):
    # An emergency referral is for today and tomorrow.
    referral = refer(doctor, card, target=ReferralTarget.SPECIALIST, to_clinician=cardiologist,
                     urgency=Urgency.EMERGENCY)
    valid_until = referral.valid_until.strftime("%d.%m.%Y")
    with pytest.raises(ValidationError) as refused:
        book(patient_user, card, cardiology_room, in_days=3)
    assert refused.value.message_dict == {"starts_at": [
        f"Your referral is valid until {valid_until}; choose a day by then."]}
    appointment = book(patient_user, card, cardiology_room, in_days=1)
    assert appointment.referral == referral

    later = selectors.slots(cardiology_room, timezone.localdate() + timedelta(days=3))[40]
    with pytest.raises(ValidationError, match="valid until"):
        services.move_appointment(actor=patient_user, appointment_id=appointment.public_id,
                                  starts_at=later.starts_at)
    # The registry may book past it; that booking rests on no referral, so withdrawing the
    # referral leaves it.
    registrar = staff_at(hospital, Role.REGISTRAR)
    moved = services.move_appointment(actor=registrar, appointment_id=appointment.public_id,
                                      starts_at=later.starts_at)
    assert moved.referral is None
    referral_services.cancel_referral(actor=doctor, referral_id=referral.public_id,
                                      reason="Seen at the emergency room")
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.BOOKED
