"""The card registry's search in the Django admin: what an administrator types finds the
card, and the query stays on the card table's indexes (a national registry has 10^7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dmed.roles import Role
from patients.models import PatientCard
from patients.selectors import search_registry
from tests.factories import UserFactory
from tests.patients.factories import CardFactory

CHANGELIST = "/admin/patients/patientcard/"


@pytest.fixture
def cards(db):
    return {
        "aziz": CardFactory(first_name="Aziz", phone="+998901234567", pinfl="31203855430019"),
        "azizbek": CardFactory(first_name="Azizbek"),
        "olim": CardFactory(last_name="Olimov", first_name="Temur",
                            birth_date="1990-07-01"),
    }


def found(text: str) -> set[str]:
    return set(search_registry(PatientCard.objects.all(), text)
               .values_list("first_name", flat=True))


@pytest.mark.parametrize(("typed", "expected"), [
    ("karimov aziz", {"Aziz", "Azizbek"}),  # the beginning of the name
    ("Aziz Karimov", {"Aziz"}),  # every word whole, in any order
    ("Каримов Азиз", {"Aziz", "Azizbek"}),  # Cyrillic, folded as names are
    ("31203855430019", {"Aziz"}),
    ("+998 90 123 45 67", {"Aziz"}),
    ("01.07.1990", {"Temur"}),
    ("Sobirov", set()),
    ("!!!", set()),
])
def test_what_an_administrator_types_finds_the_card(cards, typed, expected):
    assert found(typed) == expected


def test_a_med_id_finds_its_card_however_written(cards):
    med_id = cards["olim"].med_id
    assert found(f" {med_id.lower()} ") == {"Temur"}


def test_the_changelist_searches_this_way_and_audits_what_it_showed(cards, client):
    from dmed.models import AuditEvent

    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(CHANGELIST, {"q": "Aziz Karimov"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [cards["aziz"]]
    assert AuditEvent.objects.filter(actor=admin, reason="Aziz Karimov").exists()


@pytest.mark.parametrize("typed", ["karimov az", "Aziz Karimov", "31203855430019"])
def test_the_search_reads_indexes_not_every_card(cards, typed):
    with CaptureQueriesContext(connection) as captured:
        list(search_registry(PatientCard.objects.all(), typed))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + captured.captured_queries[-1]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
