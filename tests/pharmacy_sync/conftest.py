"""A prescription world in one district, for real service calls: the prescriptions
fixtures, with the card and the pharmacy in Chilonzor, and a pharmacy system's key."""

import pytest

from prescriptions.services import create_pharmacy_api_key
from registry.models import District, FacilityKind
from tests.factories import FacilityFactory
from tests.patients.factories import CardFactory
from tests.prescriptions import conftest as prescriptions_world
from tests.prescriptions.conftest import BIRTH, pinfl_for

# The prescriptions tests' fixtures, found by name; card and pharmacy are redefined below.
polyclinic = prescriptions_world.polyclinic
doctor = prescriptions_world.doctor
pharmacist = prescriptions_world.pharmacist
at_pharmacy = prescriptions_world.at_pharmacy
write = prescriptions_world.write

CHILONZOR = "1726294"


@pytest.fixture
def district(db):
    return District.objects.get(code=CHILONZOR)


@pytest.fixture
def other_district(db):
    return District.objects.exclude(code=CHILONZOR).first()


@pytest.fixture
def card(polyclinic, district):
    return CardFactory(attached_facility=polyclinic, registered_at=polyclinic,
                       birth_date=BIRTH, pinfl=pinfl_for(BIRTH, 1), district=district)


@pytest.fixture
def patient_check(card) -> str:
    return card.pinfl[-4:]


@pytest.fixture
def pharmacy(district):
    return FacilityFactory(kind=FacilityKind.PHARMACY, name="Shifo-Farm", district=district)


@pytest.fixture
def pharmacy_key(pharmacy) -> str:
    return create_pharmacy_api_key(pharmacy=pharmacy, name="till")[1]


@pytest.fixture
def as_pharmacy_system(api_client, pharmacy_key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {pharmacy_key}")
    return api_client


@pytest.fixture
def plain_http_webhooks(settings):
    """The receivers in these tests are local http servers, which only a developer's
    machine (debug) may register."""
    settings.DEBUG = True
