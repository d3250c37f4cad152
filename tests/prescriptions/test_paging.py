"""Prescription lists are keyset pages: the card's list, "My prescriptions" and the API
list, each page in flat queries however many items it shows; walking the pages gives
every prescription once, in order, repeat series included."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dmed.roles import Role
from prescriptions.selectors import PAGE_SIZE
from tests.factories import UserFactory
from tests.prescriptions.conftest import add_chronic
from tests.prescriptions.test_pages import EN

pytestmark = pytest.mark.django_db
# One page and a bit: a query per row or per item would show.
MANY = PAGE_SIZE + 2
# The card, the page, its items and the audit row; pages add the session, the user and
# (for staff) the staff record the audit row names.
CARD_PAGE_QUERIES, MINE_QUERIES, API_PAGE_QUERIES = 7, 6, 4


@pytest.fixture
def many(write):
    return [write(("Loratadine", 10), ("Cetirizine", 10)) for _ in range(MANY)]


@pytest.fixture
def as_doctor(doctor):
    client = APIClient()
    client.force_authenticate(doctor)
    return client


def test_the_cards_list_pages_in_flat_queries(client, doctor, card, many,
                                              django_assert_max_num_queries):
    client.force_login(doctor)
    url = reverse("prescriptions:card-list", args=[card.med_id])
    with django_assert_max_num_queries(CARD_PAGE_QUERIES):
        first = client.get(url, **EN)
    assert len(first.context["rows"]) == PAGE_SIZE
    cursor = first.context["next_cursor"]
    assert cursor and 'data-testid="older"' in first.content.decode()
    with django_assert_max_num_queries(CARD_PAGE_QUERIES):
        second = client.get(url, {"cursor": cursor}, **EN)
    assert len(second.context["rows"]) == MANY - PAGE_SIZE
    assert second.context["next_cursor"] is None
    shown = {row["prescription"].code for row in first.context["rows"] + second.context["rows"]}
    assert shown == {p.code for p in many}


def test_my_prescriptions_page_too(client, card, many, django_assert_max_num_queries):
    owner = UserFactory(role=Role.PATIENT)
    card.user = owner
    card.save(update_fields=["user"])
    client.force_login(owner)
    with django_assert_max_num_queries(MINE_QUERIES):
        first = client.get(reverse("prescriptions:mine"), **EN)
    assert first.content.decode().count('data-testid="qr"') == PAGE_SIZE
    second = client.get(reverse("prescriptions:mine"), {"cursor": first.context["next_cursor"]})
    assert len(second.context["rows"]) == MANY - PAGE_SIZE
    assert second.context["next_cursor"] is None


def test_the_api_list_pages_in_flat_queries(as_doctor, card, many,
                                            django_assert_max_num_queries):
    url = reverse("api-prescriptions")
    with django_assert_max_num_queries(API_PAGE_QUERIES):
        first = as_doctor.get(url, {"patient": card.med_id}).json()
    assert len(first["results"]) == PAGE_SIZE and first["next"]
    with django_assert_max_num_queries(API_PAGE_QUERIES):
        second = as_doctor.get(first["next"]).json()
    assert len(second["results"]) == MANY - PAGE_SIZE and second["next"] is None
    codes = [p["code"] for p in first["results"] + second["results"]]
    assert sorted(codes) == sorted(p.code for p in many)


def test_walking_small_pages_gives_each_issue_once_in_order(as_doctor, card, write):
    add_chronic(card, "I10")
    write(("Amlodipine", 30), diagnosis="I10", repeats=3, interval_days=30)
    for _ in range(3):
        write(("Loratadine", 10))
    url = reverse("api-prescriptions")
    whole = as_doctor.get(url, {"patient": card.med_id, "limit": 100}).json()
    assert len(whole["results"]) == 6 and whole["next"] is None
    walked, link = [], f"{url}?patient={card.med_id}&limit=2"
    while link:
        page = as_doctor.get(link).json()
        walked += [(p["code"], p["issue_number"]) for p in page["results"]]
        link = page["next"]
    assert walked == [(p["code"], p["issue_number"]) for p in whole["results"]]
    assert sorted(number for _code, number in walked) == [1, 1, 1, 1, 2, 3]


def test_a_bad_cursor_or_limit_is_a_400_per_field(as_doctor, card, client, doctor):
    url = reverse("api-prescriptions")
    bad = as_doctor.get(url, {"patient": card.med_id, "cursor": "not-a-cursor"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"cursor"}
    too_many = as_doctor.get(url, {"patient": card.med_id, "limit": 1000})
    assert too_many.status_code == 400 and set(too_many.json()["fields"]) == {"limit"}
    client.force_login(doctor)
    page = client.get(reverse("prescriptions:card-list", args=[card.med_id]),
                      {"cursor": "not-a-cursor"})
    assert page.status_code == 400
