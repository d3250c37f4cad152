"""A signed prescription altered in the database fails verification everywhere."""

from datetime import timedelta

import pytest

from patients.models import PatientCard
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.models import Prescription, PrescriptionItem
from prescriptions.selectors import check_dispensable, signature_is_valid
from prescriptions.services import dispense
from tests.patients.factories import CardFactory
from tests.prescriptions.conftest import drug

pytestmark = pytest.mark.django_db


def reload(prescription):
    return Prescription.objects.select_related("patient", "prescriber", "facility",
                                               "signing_key").get(pk=prescription.pk)


@pytest.mark.parametrize("tamper", [
    lambda p: PrescriptionItem.objects.filter(prescription=p).update(quantity=200),
    lambda p: PrescriptionItem.objects.filter(prescription=p).update(
        drug=drug("Tramadol")),
    lambda p: PrescriptionItem.objects.filter(prescription=p).update(dosage="3 tablets"),
    lambda p: Prescription.objects.filter(pk=p.pk).update(
        valid_until=p.valid_until + timedelta(days=300)),
    lambda p: Prescription.objects.filter(pk=p.pk).update(diagnosis_id="F11"),
    lambda p: Prescription.objects.filter(pk=p.pk).update(
        patient=CardFactory(registered_at=p.facility)),
], ids=["quantity", "drug", "dose", "validity", "diagnosis", "patient"])
def test_changing_signed_content_in_the_database_fails_verification(write, tamper, at_pharmacy,
                                                                     patient_check):
    prescription = write(("Amoxicillin", 20))
    assert signature_is_valid(reload(prescription))
    tamper(prescription)
    altered = reload(prescription)
    assert not signature_is_valid(altered)
    with pytest.raises(PrescriptionConflict) as refused:
        check_dispensable(altered)
    assert refused.value.code == "signature_invalid"
    card = PatientCard.objects.get(pk=altered.patient_id)
    check = card.pinfl[-4:] if card.pinfl else card.birth_date.strftime("%d.%m.%Y")
    with pytest.raises(PrescriptionConflict) as refused:
        dispense(by=at_pharmacy, code=altered.code, patient_check=check,
                 items=[{"item": 1, "quantity": 1}])
    assert refused.value.code == "signature_invalid"
    assert PrescriptionItem.objects.get(prescription=altered).dispensed_quantity == 0


def test_a_signature_copied_from_another_prescription_fails(write):
    first, second = write(("Amoxicillin", 20)), write(("Amoxicillin", 21))
    Prescription.objects.filter(pk=second.pk).update(signature=first.signature)
    assert not signature_is_valid(reload(second))
