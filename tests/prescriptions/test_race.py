"""Twenty pharmacies press "dispense" for the same item at the same moment (real
PostgreSQL, one connection per thread): the total never exceeds the prescription."""

import pytest
from django.db import connection

from clinics.coding.models import Icd10Code
from clinics.coding.services import load_icd10
from dmed.roles import Role
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.models import Dispensing, PrescriptionItem
from prescriptions.registry import import_starter_registry
from prescriptions.services import dispense, pharmacist_actor
from registry.models import FacilityKind
from registry.services import load_administrative_divisions
from tests.concurrency import run_at_once
from tests.factories import FacilityFactory, staff_at

REQUESTS = 20


@pytest.fixture(autouse=True)
def registries(transactional_db):
    """Regions, ICD-10 and the starter drugs, which an earlier transactional test may have
    flushed."""
    load_administrative_divisions()
    import_starter_registry()
    if not Icd10Code.objects.exists():
        load_icd10()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("asked", [1, 3])
def test_concurrent_dispensing_never_exceeds_the_prescribed_quantity(write, card, asked):
    prescription = write(("Amoxicillin", 10))
    pharmacies = [pharmacist_actor(staff_at(FacilityFactory(kind=FacilityKind.PHARMACY),
                                            Role.PHARMACIST)) for _ in range(REQUESTS)]
    connection.close()

    def press(index):
        return dispense(by=pharmacies[index], code=prescription.code,
                        patient_check=card.pinfl[-4:],
                        items=[{"item": 1, "quantity": asked}])

    outcomes = run_at_once(press, REQUESTS)
    given = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, PrescriptionConflict)]
    assert len(given) + len(refused) == REQUESTS, outcomes
    item = PrescriptionItem.objects.get(prescription=prescription)
    assert item.dispensed_quantity == len(given) * asked <= 10
    assert len(given) == 10 // asked
    assert Dispensing.objects.filter(prescription=prescription).count() == len(given)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_dispense_once(write, card, at_pharmacy):
    prescription = write(("Amoxicillin", 10))
    connection.close()

    def press(_index):
        return dispense(by=at_pharmacy, code=prescription.code, patient_check=card.pinfl[-4:],
                        items=[{"item": 1, "quantity": 4}], idempotency_key="retry-1")

    outcomes = run_at_once(press, 8)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({o[0].pk for o in outcomes}) == 1
    assert sum(created for _d, created in outcomes) == 1
    assert PrescriptionItem.objects.get(prescription=prescription).dispensed_quantity == 4
