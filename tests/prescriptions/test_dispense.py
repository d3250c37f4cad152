"""Dispensing: partial and full, idempotent retries, refusals with reasons, the patient
check, cancelling, expiry, repeats and controlled substances."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.models import (
    Dispensing,
    ItemStatus,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
)
from prescriptions.selectors import item_state
from prescriptions.services import (
    PharmacyActor,
    cancel_item,
    cancel_prescription,
    dispense,
    expire_prescriptions,
    pharmacist_actor,
    refuse_item,
)
from tests.factories import FacilityFactory, staff_at
from tests.prescriptions.conftest import add_chronic

pytestmark = pytest.mark.django_db


def give(by, prescription, patient_check, *lines, key="", document=""):
    return dispense(by=by, code=prescription.code, patient_check=patient_check,
                    items=[{"item": line, "quantity": quantity} for line, quantity in lines],
                    idempotency_key=key, identity_document=document)


def item(prescription, line=1):
    return PrescriptionItem.objects.get(prescription=prescription, line=line)


def status(prescription):
    return Prescription.objects.get(pk=prescription.pk).status


def test_partial_then_full_then_refused(write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    dispensing, created = give(at_pharmacy, prescription, patient_check, (1, 10))
    assert created and dispensing.status_after == PrescriptionStatus.PARTIALLY_DISPENSED
    assert (item(prescription).status, item(prescription).remaining) == (
        ItemStatus.PARTLY_DISPENSED, 10)
    assert item(prescription, 2).status == ItemStatus.TO_DISPENSE
    give(at_pharmacy, prescription, patient_check, (1, 10), (2, 10))
    assert status(prescription) == PrescriptionStatus.DISPENSED
    assert item(prescription).status == ItemStatus.DISPENSED
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, prescription, patient_check, (1, 1))
    assert refused.value.code == "dispensed"
    assert AuditEvent.objects.filter(object_id=prescription.code, allowed=False,
                                     reason="dispensed").exists()


def test_more_than_is_left_is_refused_and_nothing_is_given(write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, prescription, patient_check, (2, 5), (1, 21))
    assert refused.value.code == "over_quantity"
    assert item(prescription, 2).dispensed_quantity == 0
    assert not Dispensing.objects.exists()
    with pytest.raises(ValidationError):
        give(at_pharmacy, prescription, patient_check, (7, 1))
    with pytest.raises(ValidationError):
        give(at_pharmacy, prescription, patient_check, (1, 0))


def test_the_same_idempotency_key_answers_the_same_and_gives_nothing_more(
        write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20))
    first, created = give(at_pharmacy, prescription, patient_check, (1, 5), key="till-7-0001")
    again, created_again = give(at_pharmacy, prescription, patient_check, (1, 5),
                                key="till-7-0001")
    assert created and not created_again and again.pk == first.pk
    assert item(prescription).dispensed_quantity == 5
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, prescription, patient_check, (1, 6), key="till-7-0001")
    assert refused.value.code == "idempotency_key_reused"
    assert item(prescription).dispensed_quantity == 5


def test_an_unknown_code_and_a_failed_patient_check_look_alike(write, at_pharmacy, card):
    prescription = write(("Amoxicillin", 20))
    for code, check in [("22222222A", card.pinfl[-4:]), (prescription.code, "0000"),
                        (prescription.code, "01.01.1990"), (prescription.code, "")]:
        with pytest.raises(Http404):
            dispense(by=at_pharmacy, code=code, patient_check=check,
                     items=[{"item": 1, "quantity": 1}])
    assert AuditEvent.objects.filter(allowed=False, object_type="prescriptions.prescription"
                                     ).count() == 4
    give(at_pharmacy, prescription, card.birth_date.strftime("%d.%m.%Y"), (1, 1))
    give(at_pharmacy, prescription, card.birth_date.isoformat(), (1, 1))
    assert item(prescription).dispensed_quantity == 2


def test_only_pharmacists_at_a_pharmacy_dispense(polyclinic):
    for user in (staff_at(polyclinic, Role.CLINICIAN),
                 staff_at(polyclinic, Role.PHARMACIST)):  # a pharmacist record, not a pharmacy
        with pytest.raises(PermissionDenied):
            pharmacist_actor(user)


def test_the_prescriber_cancels_with_a_reason(write, doctor, polyclinic, at_pharmacy,
                                              patient_check):
    prescription = write(("Amoxicillin", 20))
    with pytest.raises(ValidationError):
        cancel_prescription(actor=doctor, code=prescription.code, reason=" ")
    with pytest.raises(PermissionDenied):
        cancel_prescription(actor=staff_at(polyclinic, Role.CLINICIAN), code=prescription.code,
                            reason="wrong patient")
    cancel_prescription(actor=doctor, code=prescription.code, reason="Wrong drug chosen")
    cancelled = Prescription.objects.get(pk=prescription.pk)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Wrong drug chosen")
    assert item(prescription).status == ItemStatus.CANCELLED
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, prescription, patient_check, (1, 1))
    assert refused.value.code == "cancelled"


def test_a_partly_dispensed_prescription_cannot_be_cancelled_but_an_item_can(
        write, doctor, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20), ("Ibuprofen", 10))
    give(at_pharmacy, prescription, patient_check, (1, 20))
    with pytest.raises(PrescriptionConflict):
        cancel_prescription(actor=doctor, code=prescription.code, reason="changed my mind")
    with pytest.raises(PrescriptionConflict):
        cancel_item(actor=doctor, code=prescription.code, line=1, reason="given already")
    cancel_item(actor=doctor, code=prescription.code, line=2, reason="Not needed")
    assert item(prescription, 2).status == ItemStatus.CANCELLED
    # What was left is cancelled and the rest was given: nothing more to dispense.
    assert status(prescription) == PrescriptionStatus.DISPENSED


def test_cancelling_every_item_cancels_the_prescription(write, doctor):
    prescription = write(("Amoxicillin", 20))
    cancel_item(actor=doctor, code=prescription.code, line=1, reason="Allergy found")
    assert status(prescription) == PrescriptionStatus.CANCELLED


def test_expiry_closes_open_prescriptions_and_pharmacies_refuse_them(write, at_pharmacy,
                                                                     patient_check):
    old, partly, fresh = (write(("Amoxicillin", 20)), write(("Ibuprofen", 10)),
                          write(("Loratadine", 10)))
    give(at_pharmacy, partly, patient_check, (1, 4))
    after_validity = old.valid_until + timedelta(days=1)
    assert expire_prescriptions(today=after_validity) == 3
    assert status(old) == status(partly) == PrescriptionStatus.EXPIRED
    assert item(old).status == ItemStatus.EXPIRED
    assert item(partly).dispensed_quantity == 4
    assert expire_prescriptions(today=after_validity) == 0
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, fresh, patient_check, (1, 1))
    assert refused.value.code == "expired"


def test_repeat_issues_are_released_dispensed_and_expired_on_their_own(
        write, card, at_pharmacy, patient_check):
    add_chronic(card, "I10")
    first = write(("Amlodipine", 30), diagnosis="I10", repeats=2, interval_days=30)
    second = Prescription.objects.get(series_code=first.code, issue_number=2)
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, second, patient_check, (1, 30))
    assert refused.value.code == "not_yet_available"
    give(at_pharmacy, first, patient_check, (1, 30))
    assert (status(first), status(second)) == ("dispensed", "issued")
    expire_prescriptions(today=second.valid_until + timedelta(days=1))
    assert status(second) == PrescriptionStatus.EXPIRED
    assert status(first) == PrescriptionStatus.DISPENSED


def test_a_controlled_substance_is_dispensed_once_in_full_with_an_identity_document(
        write, at_pharmacy, patient_check):
    prescription = write(("Morphine", 10), diagnosis="C50.9")
    with pytest.raises(PrescriptionConflict) as refused:
        give(at_pharmacy, prescription, patient_check, (1, 5), document="AA1234567")
    assert refused.value.code == "controlled_in_full"
    with pytest.raises(ValidationError) as refused:
        give(at_pharmacy, prescription, patient_check, (1, 10))
    assert "identity_document" in refused.value.message_dict
    dispensing, _created = give(at_pharmacy, prescription, patient_check, (1, 10),
                                document="aa 1234567")
    assert dispensing.identity_document == "AA 1234567"
    assert status(prescription) == PrescriptionStatus.DISPENSED


def test_a_refusal_at_one_pharmacy_is_shown_and_another_pharmacy_can_still_dispense(
        write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20))
    with pytest.raises(ValidationError):
        refuse_item(by=at_pharmacy, code=prescription.code, patient_check=patient_check,
                    line=1, reason="")
    refuse_item(by=at_pharmacy, code=prescription.code, patient_check=patient_check, line=1,
                reason="out of stock")
    refused = PrescriptionItem.objects.select_related("refused_at").get(
        prescription=prescription)
    assert refused.status == ItemStatus.NOT_DISPENSED
    state = item_state(refused, prescription, timezone.localdate())
    assert state.text == "refused at Shifo-Farm dorixonasi: out of stock" or (
        "Shifo-Farm dorixonasi" in state.text and "out of stock" in state.text)
    other = PharmacyActor(pharmacy=FacilityFactory(kind="pharmacy"),
                          user=staff_at(FacilityFactory(kind="pharmacy"), Role.PHARMACIST))
    give(other, prescription, patient_check, (1, 20))
    assert status(prescription) == PrescriptionStatus.DISPENSED


def test_item_states_in_the_patients_words(write, at_pharmacy, patient_check):
    prescription = write(("Amoxicillin", 20))
    today = timezone.localdate()
    with_drug = PrescriptionItem.objects.select_related("refused_at")
    assert item_state(with_drug.get(prescription=prescription), prescription,
                      today).text in ("ready", "tayyor")
    give(at_pharmacy, prescription, patient_check, (1, 10))
    state = item_state(with_drug.get(prescription=prescription), prescription, today)
    assert "10" in state.text
