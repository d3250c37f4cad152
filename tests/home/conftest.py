"""Two polyclinics, a hospital, a laboratory and a pharmacy, with their staff: the home
pages must show each person their own facility's work and nothing of the other's."""

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dmed.models import User
from dmed.roles import Role
from queues.models import (
    Appointment,
    AppointmentStatus,
    ServicePoint,
    ServicePointKind,
    Ticket,
    TicketStatus,
)
from registry.models import Facility, FacilityKind
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory


@dataclass
class World:
    polyclinic: Facility
    other: Facility
    doctor: User
    other_doctor: User
    room: ServicePoint
    other_room: ServicePoint


@pytest.fixture
def world(db) -> World:
    polyclinic = FacilityFactory(kind=FacilityKind.POLYCLINIC)
    other = FacilityFactory(kind=FacilityKind.POLYCLINIC)
    doctor, other_doctor = staff_at(polyclinic), staff_at(other)
    room = ServicePointFactory(facility=polyclinic, kind=ServicePointKind.DOCTOR_ROOM,
                               practitioner=doctor, name="Oilaviy shifokor")
    other_room = ServicePointFactory(facility=other, kind=ServicePointKind.DOCTOR_ROOM,
                                     practitioner=other_doctor, name="Boshqa xona")
    return World(polyclinic, other, doctor, other_doctor, room, other_room)


def patient_at(facility, **fields):
    return CardFactory(attached_facility=facility, registered_at=facility, **fields)


def appointment(point, card, *, minutes: int = 0, status=AppointmentStatus.BOOKED, day=None):
    """An appointment at the point, `minutes` after the start of today (or of `day`)."""
    day = day or timezone.localdate()
    starts = timezone.make_aware(datetime.combine(day, time.min)) + timedelta(minutes=minutes)
    return Appointment.objects.create(service_point=point, card=card, starts_at=starts,
                                      ends_at=starts + timedelta(minutes=5), day=day,
                                      status=status, booked_by=UserFactory())


def ticket(point, card, number: int, *, status=TicketStatus.WAITING, appointment=None):
    now = timezone.now()
    return Ticket.objects.create(
        service_point=point, day=timezone.localdate(), number=number,
        prefix=point.ticket_prefix, card=card, appointment=appointment, status=status,
        queued_for=now, called_at=now if status != TicketStatus.WAITING else None)


def patient_user(facility, **fields):
    user = UserFactory(role=Role.PATIENT, username=f"p-{uuid.uuid4().hex[:8]}")
    card = patient_at(facility, user=user, **fields)
    return user, card


def home_page(client, user):
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def home_queries(client, user) -> int:
    """Queries of one home page in a new session (so the queue's line is audited anew)."""
    client.logout()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)
