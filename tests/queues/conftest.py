import pytest
from django.utils import translation

from dmed.roles import Role
from queues.models import ServicePointKind
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory
from tests.queues.factories import ServicePointFactory, weekly_hours


@pytest.fixture(autouse=True)
def in_english():
    """Messages are matched in English here; pages and the API test their language."""
    with translation.override("en"):
        yield


@pytest.fixture
def polyclinic(db):
    return FacilityFactory()


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


@pytest.fixture
def doctor(polyclinic):
    return staff_at(polyclinic, Role.CLINICIAN)


@pytest.fixture
def room(polyclinic, doctor):
    """The family doctor's room, open all day every day in 15-minute slots."""
    point = ServicePointFactory(facility=polyclinic, kind=ServicePointKind.DOCTOR_ROOM,
                                practitioner=doctor, name="Oilaviy shifokor", room="214",
                                ticket_prefix="A")
    weekly_hours(point)
    return point


@pytest.fixture
def desk_point(polyclinic):
    point = ServicePointFactory(facility=polyclinic, name="Registratura", room="1",
                                ticket_prefix="R")
    weekly_hours(point)
    return point


@pytest.fixture
def patient_user(db):
    return UserFactory(role=Role.PATIENT)


@pytest.fixture
def card(polyclinic, doctor, patient_user):
    """The patient's own card, attached to the polyclinic and its family doctor."""
    return CardFactory(attached_facility=polyclinic, family_doctor=doctor, user=patient_user)


@pytest.fixture
def committed_db(transactional_db):
    """Committed data that threads with their own connections see; a transactional test
    starts from an emptied database, so the regions the factories use are loaded again."""
    from registry.services import load_administrative_divisions

    load_administrative_divisions()
