"""Registration starts from the PINFL: a PINFL a card holds leads to that card (or, outside
scope, to what the role may do), never to a second card."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction

from dmed.models import AuditEvent
from dmed.roles import Role
from patients.identifiers import pinfl_check_digit
from patients.models import CardStatus, PatientCard
from patients.selectors import GLIMPSE_OBJECT
from tests.factories import staff_at
from tests.patients.factories import CardFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _pinfl(serial: int, born=datetime.date(1990, 5, 17), digit="4") -> str:
    first13 = f"{digit}{born:%d%m%y}264{serial:03d}"
    return first13 + pinfl_check_digit(first13)


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


@pytest.mark.django_db
def test_the_first_step_asks_for_the_pinfl_only(client, registrar):
    client.force_login(registrar)
    page = client.get("/patients/new/", **EN)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="pinfl-lookup"' in content and 'name="last_name"' not in content
    for asked, message in [({"pinfl": ""}, "Type the PINFL, or say the person has none."),
                           ({"pinfl": "4170590264"}, "14 digits"),
                           ({"pinfl": _pinfl(1)[:-1] + str((int(_pinfl(1)[-1]) + 1) % 10)},
                            "does not match the others")]:
        answer = client.get("/patients/new/", asked, **EN)
        assert answer.status_code == 400, asked
        assert message in answer.content.decode(), asked


@pytest.mark.django_db
def test_a_new_pinfl_opens_the_form_filled_with_what_it_says(client, registrar):
    client.force_login(registrar)
    page = client.get("/patients/new/", {"pinfl": _pinfl(2)}, **EN).content.decode()
    assert 'name="last_name"' in page
    assert f'value="{_pinfl(2)}"' in page and 'value="1990-05-17"' in page
    assert re.search(r'value="female"[^>]*checked', page)
    page = client.get("/patients/new/", {"no_pinfl": "on"}, **EN).content.decode()
    assert 'name="last_name"' in page and 'name="pinfl"' in page


@pytest.mark.django_db
def test_a_pinfl_in_scope_leads_to_its_card(client, registrar, polyclinic):
    card = CardFactory(attached_facility=polyclinic, pinfl=_pinfl(3), birth_date=None,
                       status=CardStatus.TEMPORARY, last_name="", registered_at=polyclinic)
    client.force_login(registrar)
    answer = client.get("/patients/new/", {"pinfl": _pinfl(3)})
    assert answer.status_code == 302 and answer["Location"] == f"/patients/{card.med_id}/"


@pytest.mark.django_db
def test_a_pinfl_outside_scope_leads_to_what_the_role_may_do(client, registrar):
    card = CardFactory(pinfl=_pinfl(4), last_name="Yusupova", first_name="Malika")
    client.force_login(registrar)
    answer = client.get("/patients/new/", {"pinfl": _pinfl(4)}, follow=True, **EN)
    page = answer.content.decode()
    assert 'data-testid="glimpse"' in page and 'data-testid="attachment-request"' in page
    assert "Yusupova" not in page and 'data-testid="register-new"' not in page
    assert AuditEvent.objects.filter(object_type=GLIMPSE_OBJECT, actor=registrar,
                                     patient_med_id=card.med_id).exists()


@pytest.mark.django_db
def test_a_pinfl_on_a_merged_card_leads_to_the_card_it_went_into(client, registrar,
                                                                 polyclinic):
    target = CardFactory(attached_facility=polyclinic, pinfl=_pinfl(5))
    CardFactory(status=CardStatus.MERGED, merged_into=target, pinfl=_pinfl(6))
    client.force_login(registrar)
    answer = client.get("/patients/new/", {"pinfl": _pinfl(6)})
    assert answer["Location"] == f"/patients/{target.med_id}/"


@pytest.mark.django_db
def test_the_database_still_refuses_a_second_card_with_the_pinfl(registrar):
    CardFactory(pinfl=_pinfl(7))
    with pytest.raises(IntegrityError), transaction.atomic():
        CardFactory(pinfl=_pinfl(7))
    assert PatientCard.objects.filter(pinfl=_pinfl(7)).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.LAB_TECHNICIAN, Role.PATIENT])
def test_others_cannot_look_a_pinfl_up(client, make_user, role):
    CardFactory(pinfl=_pinfl(8))
    client.force_login(make_user(role))
    assert client.get("/patients/new/", {"pinfl": _pinfl(8)}).status_code == 403


@pytest.mark.django_db
def test_a_merged_card_outside_scope_leads_to_the_glimpse_of_the_card_it_went_into(
        client, registrar):
    target = CardFactory(pinfl=_pinfl(9), last_name="Yusupova", first_name="Malika")
    CardFactory(status=CardStatus.MERGED, merged_into=target, pinfl=_pinfl(10))
    client.force_login(registrar)
    page = client.get("/patients/new/", {"pinfl": _pinfl(10)}, follow=True, **EN)
    assert 'data-testid="glimpse"' in page.content.decode() and "Y.M." in page.content.decode()
