import datetime

import pytest

from dmed.roles import Role
from patients.identifiers import pinfl_check_digit
from patients.models import Allergy, ChronicCondition, Severity
from prescriptions.models import Drug
from prescriptions.services import PharmacyActor, issue_prescription, pharmacist_actor
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

BIRTH = datetime.date(1985, 3, 12)


def pinfl_for(birth: datetime.date, serial: int) -> str:
    first13 = f"3{birth:%d%m%y}264{serial:03d}"
    return first13 + pinfl_check_digit(first13)


@pytest.fixture
def polyclinic(db):
    return FacilityFactory(kind=FacilityKind.POLYCLINIC)


@pytest.fixture
def doctor(polyclinic):
    return staff_at(polyclinic, Role.CLINICIAN)


@pytest.fixture
def card(polyclinic):
    return CardFactory(attached_facility=polyclinic, registered_at=polyclinic,
                       birth_date=BIRTH, pinfl=pinfl_for(BIRTH, 1))


@pytest.fixture
def pharmacy(db):
    return FacilityFactory(kind=FacilityKind.PHARMACY, name="Shifo-Farm dorixonasi")


@pytest.fixture
def pharmacist(pharmacy):
    return staff_at(pharmacy, Role.PHARMACIST)


@pytest.fixture
def at_pharmacy(pharmacist) -> PharmacyActor:
    return pharmacist_actor(pharmacist)


@pytest.fixture
def patient_check(card) -> str:
    return card.pinfl[-4:]


def drug(inn: str, strength: str | None = None) -> Drug:
    drugs = Drug.objects.filter(inn=inn)
    return drugs.get(strength=strength) if strength else drugs.get()


@pytest.fixture
def write(doctor, card):
    """Issue a prescription for the card as the doctor; items as (inn, quantity) pairs."""

    def issue(*lines, diagnosis="J06.9", **options):
        items = [{"drug": drug(inn).pk if isinstance(inn, str) else inn.pk,
                  "quantity": quantity, "dosage": "1 tablet", "frequency": "2 times a day",
                  "route": "oral", "duration_days": 5, "instructions": "Ovqatdan keyin"}
                 for inn, quantity in lines]
        return issue_prescription(actor=doctor, patient=card.med_id, diagnosis=diagnosis,
                                  items=items, **options)

    return issue


def add_allergy(card, substance: str) -> Allergy:
    return Allergy.objects.create(card=card, substance=substance, severity=Severity.MODERATE)


def add_chronic(card, code: str = "I10") -> ChronicCondition:
    return ChronicCondition.objects.create(card=card, icd10_code=code, text="Hypertension")
