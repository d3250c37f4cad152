"""seed_demo gives the demo polyclinic schedules and a queue in progress, once."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from queues.models import Appointment, ServicePoint, Ticket, TicketStatus, WorkingHours


@pytest.mark.django_db
def test_seed_demo_builds_schedules_and_a_day_in_progress_idempotently(settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    counts = (ServicePoint.objects.count(), WorkingHours.objects.count(),
              Ticket.objects.count(), Appointment.objects.count())
    call_command("seed_demo")
    assert (ServicePoint.objects.count(), WorkingHours.objects.count(),
            Ticket.objects.count(), Appointment.objects.count()) == counts

    room = ServicePoint.objects.get(facility__code="TSH-CHL-P12", ticket_prefix="A")
    assert room.practitioner.username == "doctor"
    today = Ticket.objects.filter(day=timezone.localdate())
    assert today.filter(status=TicketStatus.WAITING).count() >= 10
    assert today.filter(status=TicketStatus.CALLED).count() == 2
    # The doctor's room has no one waiting: the demo patient's own check-in comes first.
    assert not today.filter(service_point=room, status=TicketStatus.WAITING).exists()
    assert not today.filter(card__user__username="patient").exists()
