"""Registration's duplicate checks never tell a registrar outside a card's scope its MED-ID:
initials, birth year and its polyclinic only, and what to do instead of a second card."""

import datetime

import pytest

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.models import PatientCard
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory
from tests.patients.test_card_api import URL, new_person, pinfl_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BORN = datetime.date(1992, 7, 4)


@pytest.fixture
def elsewhere(db):
    return FacilityFactory(name="Yunusobod 7-sonli oilaviy poliklinika")


@pytest.fixture
def registrar(db):
    return staff_at(FacilityFactory(), Role.REGISTRAR)


@pytest.fixture
def their_card(elsewhere):
    return CardFactory(last_name="Toshmatova", first_name="Nilufar", middle_name="Akmalovna",
                       sex="female", birth_date=BORN, registered_at=elsewhere,
                       pinfl=pinfl_for(BORN, female=True))


def test_the_api_hints_at_a_card_elsewhere_without_its_med_id(api_client, registrar,
                                                              their_card):
    api_client.force_authenticate(registrar)
    response = api_client.post(URL, new_person(), format="json", **EN)
    assert response.status_code == 400
    assert their_card.med_id not in response.content.decode()
    message = " ".join(response.json()["fields"]["non_field_errors"])
    assert "T. N., born 1992, attached to Yunusobod 7-sonli oilaviy poliklinika" in message
    assert "Nilufar" not in message and "applies for attachment" in message
    shown = AuditEvent.objects.get(object_type="patients.duplicate_candidate")
    assert shown.patient_med_id == their_card.med_id and "outside scope" in shown.reason

    confirmed = api_client.post(URL, new_person(confirm_not_duplicate=True), format="json")
    assert confirmed.status_code == 201
    assert PatientCard.objects.count() == 2


def test_a_card_in_scope_is_still_named(api_client, their_card, elsewhere):
    api_client.force_authenticate(staff_at(elsewhere, Role.REGISTRAR))
    response = api_client.post(URL, new_person(), format="json", **EN)
    assert response.status_code == 400
    assert their_card.med_id in response.json()["fields"]["non_field_errors"][0]


def test_a_known_pinfl_elsewhere_is_hinted_at_not_named(api_client, registrar, their_card):
    api_client.force_authenticate(registrar)
    response = api_client.post(URL, new_person(last_name="Boshqa", pinfl=their_card.pinfl),
                               format="json", **EN)
    assert response.status_code == 400
    assert their_card.med_id not in response.content.decode()
    assert response.json()["fields"]["pinfl"] == [
        "This PINFL is already on another card: T. N., born 1992, attached to "
        "Yunusobod 7-sonli oilaviy poliklinika."]


def test_the_registration_page_hints_and_offers_to_confirm(client, registrar, their_card):
    client.force_login(registrar)
    form = {"last_name": "Toshmatova", "first_name": "Nilufar", "birth_date": "1992-07-04",
            "sex": "female"}
    page = client.post("/patients/new/", form, **EN).content.decode()
    assert their_card.med_id not in page
    assert "T. N., born 1992, attached to Yunusobod 7-sonli oilaviy poliklinika" in page
    assert 'data-testid="candidates"' not in page  # no links to a card it may not open
    assert 'name="confirm_not_duplicate"' in page
    confirmed = client.post("/patients/new/", {**form, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
