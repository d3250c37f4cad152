"""Parents are reminded of a child's next dose a few days before it falls due and once
it is overdue: raised from the stored next doses by a daily task, once each, and sent
to the representatives through their own channels by notifications."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from mch import services
from mch.models import ImmunisationStatus
from notifications.models import Message
from notifications.texts import template_for
from outbox.kinds import IMMUNISATION_DUE, IMMUNISATION_OVERDUE
from outbox.models import Event
from patients.models import Representation
from tests.factories import UserFactory
from tests.inbox.helpers import deliver_all
from tests.mch.factories import child
from tests.mch.test_services import vaccinate

pytestmark = pytest.mark.django_db


def reminders():
    return list(Event.objects.filter(kind__in=[IMMUNISATION_DUE, IMMUNISATION_OVERDUE])
                .order_by("pk").values_list("kind", "payload__due_on"))


def test_each_reminder_is_raised_once_and_reaches_the_parent(doctor, polyclinic, settings):
    settings.NOTIFY_QUIET_HOURS = (24, 0)  # never quiet: the test does not hang on the clock
    mother = UserFactory(role=Role.PATIENT, language="en", email="ona@example.uz")
    baby = child(polyclinic, doctor, days_old=58, first_name="Laylo")
    Representation.objects.create(representative=mother, card=baby, basis="mother")
    for vaccine, age in (("hepb", 0), ("bcg", 2)):
        vaccinate(doctor, baby, vaccine, 1, baby.birth_date + timedelta(days=age))
    due_on = ImmunisationStatus.objects.get(card=baby).next_due_on  # the two-month doses
    today = timezone.localdate()
    assert due_on == today + timedelta(days=3)
    assert services.send_immunisation_reminders(today=today - timedelta(days=1)) == 0
    services.send_immunisation_reminders(today=today)
    services.send_immunisation_reminders(today=today + timedelta(days=1))  # the next run
    assert reminders() == [(IMMUNISATION_DUE, due_on.isoformat())]
    event = Event.objects.get(kind=IMMUNISATION_DUE)
    assert event.payload["representatives"] == [mother.pk]
    deliver_all()
    message = Message.objects.get(recipient=mother, kind=IMMUNISATION_DUE)
    assert "Laylo" in message.text and due_on.strftime("%d.%m.%Y") in message.text
    # Not urgent: like appointment reminders, it waits out quiet hours.
    assert not template_for(IMMUNISATION_DUE, event.payload).urgent

    late = due_on + timedelta(days=31)
    services.send_immunisation_reminders(today=late)
    services.send_immunisation_reminders(today=late + timedelta(days=1))
    assert reminders() == [(IMMUNISATION_DUE, due_on.isoformat()),
                           (IMMUNISATION_OVERDUE, due_on.isoformat())]


def test_children_long_overdue_or_far_off_are_not_reminded(doctor, polyclinic):
    long_late = child(polyclinic, doctor, days_old=200)
    vaccinate(doctor, long_late, "hepb", 1, long_late.birth_date)
    far_off = child(polyclinic, doctor, days_old=10)
    for vaccine, age in (("hepb", 0), ("bcg", 2)):
        vaccinate(doctor, far_off, vaccine, 1, far_off.birth_date + timedelta(days=age))
    assert services.send_immunisation_reminders() == 0
    assert reminders() == []



def test_a_night_after_raises_only_what_is_new(doctor, polyclinic,
                                               django_assert_max_num_queries):
    """The status keeps the last reminder, so the next nights skip it without writing;
    the next dose falling due the same day is a new reminder."""
    babies = [child(polyclinic, doctor, days_old=62) for _ in range(3)]
    for baby in babies:
        vaccinate(doctor, baby, "hepb", 1, baby.birth_date)
        vaccinate(doctor, baby, "bcg", 1, baby.birth_date + timedelta(days=2))
    today = timezone.localdate()
    assert services.send_immunisation_reminders(today=today) == 3
    with django_assert_max_num_queries(2):  # one empty read per window
        assert services.send_immunisation_reminders(today=today + timedelta(days=1)) == 0
    first = ImmunisationStatus.objects.get(card=babies[0])
    assert (first.reminded_dose.vaccine.code, first.reminded_due_on,
            first.reminded_overdue) == ("opv", first.next_due_on, False)
    due_on = first.next_due_on
    vaccinate(doctor, babies[0], "opv", 1, today)  # PCV, due the same day, is next
    assert services.send_immunisation_reminders(today=today + timedelta(days=1)) == 1
    assert [kind for kind, _due in reminders()].count(IMMUNISATION_DUE) == 4
    assert ImmunisationStatus.objects.get(card=babies[0]).reminded_due_on == due_on
