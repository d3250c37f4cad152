"""Each prescription event is raised once, in the transaction of the change it reports."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outbox.models import Event
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.services import (
    cancel_prescription,
    dispense,
    expire_prescriptions,
    warn_expiring,
)
from prescriptions.tasks import expire_prescriptions as expire_task

pytestmark = pytest.mark.django_db


def kinds(code):
    return list(Event.objects.filter(payload__code=code).order_by("id")
                .values_list("kind", flat=True))


def test_issue_dispense_and_cancel_raise_their_events(write, doctor, card, at_pharmacy,
                                                      patient_check):
    given = write(("Amoxicillin", 20))
    dispense(by=at_pharmacy, code=given.code, patient_check=patient_check,
             items=[{"item": 1, "quantity": 5}])
    assert kinds(given.code) == ["prescription.issued", "prescription.dispensed"]
    event = Event.objects.get(kind="prescription.dispensed")
    assert event.payload["med_id"] == card.med_id and event.payload["quantity"] == 5
    assert "district" in event.payload  # the card's, for pharmacy_sync
    assert event.payload["district"] == card.district_id
    assert event.payload["pharmacy"] == at_pharmacy.pharmacy.name
    assert "Amoxicillin" in event.payload["drug"]
    cancelled = write(("Ibuprofen", 10))
    cancel_prescription(actor=doctor, code=cancelled.code, reason="Duplicate")
    assert kinds(cancelled.code) == ["prescription.issued", "prescription.cancelled"]


def test_a_refused_change_raises_no_event(write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20))
    with pytest.raises(PrescriptionConflict):
        dispense(by=at_pharmacy, code=prescription.code, patient_check=patient_check,
                 items=[{"item": 1, "quantity": 21}])
    assert kinds(prescription.code) == ["prescription.issued"]


def test_expiring_soon_and_expired_are_told_once(write):
    prescription = write(("Amoxicillin", 20))
    three_days_before = prescription.valid_until - timedelta(days=3)
    assert warn_expiring(today=three_days_before) == 1
    warn_expiring(today=three_days_before)
    expire_prescriptions(today=prescription.valid_until + timedelta(days=1))
    assert kinds(prescription.code) == ["prescription.issued", "prescription.expiring",
                                        "prescription.expired"]


def test_the_beat_task_runs_the_sweep(write):
    prescription = write(("Amoxicillin", 20))
    assert expire_task() == 0
    assert prescription.valid_until >= timezone.localdate()


def test_the_task_is_scheduled_and_registered(settings):
    from dmed.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["expire-prescriptions"]
    assert entry["task"] in app.tasks
