"""Reminders 24 h and 2 h before an appointment, raised from the appointment rows by a
beat task, once each, and read by the patient in their language."""

from datetime import timedelta

from django.utils import timezone, translation

from notifications.texts import render
from outbox.kinds import APPOINTMENT_REMINDER
from outbox.models import Event
from queues import selectors, services


def _slot(point, days_ahead, index=40):
    day = timezone.localdate() + timedelta(days=days_ahead)
    return selectors.slots(point, day)[index].starts_at


def _reminders():
    return sorted(Event.objects.filter(kind=APPOINTMENT_REMINDER)
                  .values_list("payload__hours_before", flat=True))


def test_each_reminder_is_raised_once_when_its_time_comes(room, card, patient_user):
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=_slot(room, 3))
    starts = appointment.starts_at

    assert services.send_appointment_reminders(now=starts - timedelta(hours=25)) == 0
    day_before = starts - timedelta(hours=24) + timedelta(minutes=1)
    assert services.send_appointment_reminders(now=day_before) == 1
    services.send_appointment_reminders(now=day_before + timedelta(minutes=1))  # next run
    assert _reminders() == [24]

    two_hours = starts - timedelta(hours=2)
    services.send_appointment_reminders(now=two_hours)
    services.send_appointment_reminders(now=two_hours + timedelta(minutes=5))
    assert _reminders() == [2, 24]
    event = Event.objects.get(kind=APPOINTMENT_REMINDER, payload__hours_before=2)
    assert event.payload["med_id"] == card.med_id
    with translation.override("en"):
        assert render(event.kind, event.payload, "ru").startswith("DMED: через два часа")


def test_a_late_booking_gets_only_the_reminders_still_ahead(room, card, patient_user):
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=_slot(room, 1))
    type(appointment).objects.filter(pk=appointment.pk).update(
        booked_at=appointment.starts_at - timedelta(hours=5))
    starts = appointment.starts_at
    services.send_appointment_reminders(now=starts - timedelta(hours=24))
    services.send_appointment_reminders(now=starts - timedelta(hours=2))
    assert _reminders() == [2]


def test_a_cancelled_appointment_is_not_reminded(room, card, patient_user):
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=_slot(room, 3))
    services.cancel_appointment(actor=patient_user, appointment_id=appointment.public_id)
    services.send_appointment_reminders(
        now=appointment.starts_at - timedelta(hours=24) + timedelta(minutes=1))
    assert _reminders() == []


def test_the_queues_events_read_in_every_language(room, card, patient_user):
    appointment = services.book_appointment(actor=patient_user, service_point=room,
                                            med_id=card.med_id, starts_at=_slot(room, 3))
    services.cancel_appointment(actor=patient_user, appointment_id=appointment.public_id)
    events = list(Event.objects.filter(payload__med_id=card.med_id))
    assert {e.kind for e in events} == {"appointment.booked", "appointment.cancelled"}
    for event in events:
        texts = {render(event.kind, event.payload, lang) for lang in ["uz", "uz-cyrl", "ru",
                                                                       "en"]}
        assert len(texts) == 4
        local = timezone.localtime(appointment.starts_at).strftime("%d.%m.%Y %H:%M")
        assert all(local in text for text in texts)
