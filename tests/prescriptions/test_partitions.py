"""Dispensings partitioned by month (prescriptions 0013): a dispensing in its month with its
lines tied to it, and an Idempotency-Key used once across months."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from dmed.partitions import maintain_partitions
from prescriptions.models import Dispensing, DispensingKey, DispensingLine
from prescriptions.services import dispense

pytestmark = pytest.mark.django_db


def partition_of(dispensing) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM prescriptions_dispensing "
                       "WHERE id = %s", [dispensing.pk])
        return cursor.fetchone()[0]


def test_a_dispensing_lands_in_its_month_and_its_key_holds_in_every_month(
        write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    dispensing, created = dispense(by=at_pharmacy, code=prescription.code,
                                   patient_check=patient_check,
                                   items=[{"item": 1, "quantity": 5}], idempotency_key="k-1")
    assert created
    assert partition_of(dispensing) == (
        f"prescriptions_dispensing_{dispensing.dispensed_at.astimezone():%Y%m}")
    line = DispensingLine.objects.get(dispensing=dispensing)
    assert line.dispensing_dispensed_at == dispensing.dispensed_at
    key = DispensingKey.objects.get(pharmacy=at_pharmacy.pharmacy, idempotency_key="k-1")
    assert (key.dispensing_id, key.dispensed_at) == (dispensing.pk, dispensing.dispensed_at)

    # The same key from the same pharmacy a year on, in another partition, is refused.
    later = Dispensing(prescription=prescription, pharmacy=at_pharmacy.pharmacy,
                       pharmacist=at_pharmacy.user, idempotency_key="k-1",
                       status_after=dispensing.status_after,
                       dispensed_at=dispensing.dispensed_at + timedelta(days=400))
    with pytest.raises(IntegrityError, match="dispensing_idempotency_key_once"):
        with transaction.atomic():
            later.save(force_insert=True)
    # A line must name its dispensing's time (the foreign key is (id, dispensed_at)).
    with pytest.raises(IntegrityError, match="dispensing_line_dispensing"), \
            transaction.atomic():
        DispensingLine.objects.create(
            dispensing=dispensing, item=prescription.items.get(line=2), quantity=1,
            remaining_after=9,
            dispensing_dispensed_at=dispensing.dispensed_at - timedelta(days=40))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_dispensing_written_before_its_month_was_made_moves_in_with_its_lines_and_key(
        write, at_pharmacy, patient_check):
    """Its month made late (the beat down for months): the rows wait in DEFAULT and the
    maintenance moves them in, with the lines' and the key's references to them."""
    prescription = write(("Amoxicillin", 20))
    dispensing, _created = dispense(by=at_pharmacy, code=prescription.code,
                                    patient_check=patient_check,
                                    items=[{"item": 1, "quantity": 5}])
    far = dispensing.dispensed_at + timedelta(days=400)  # beyond the months made ahead
    early = Dispensing.objects.create(
        prescription=prescription, pharmacy=at_pharmacy.pharmacy, pharmacist=at_pharmacy.user,
        idempotency_key="k-far", status_after=dispensing.status_after, dispensed_at=far)
    DispensingLine.objects.create(dispensing=early, item=prescription.items.get(line=1),
                                  quantity=1, remaining_after=14, dispensing_dispensed_at=far)
    assert partition_of(early) == "prescriptions_dispensing_default"
    maintain_partitions(today=far.date())
    assert partition_of(early) == f"prescriptions_dispensing_{far.astimezone():%Y%m}"
    assert DispensingLine.objects.get(dispensing=early).dispensing_dispensed_at == far
    assert DispensingKey.objects.get(idempotency_key="k-far").dispensing_id == early.pk
