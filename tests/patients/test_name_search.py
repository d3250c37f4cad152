"""Name search as it runs at scale: each branch of the scope its own subquery, and the
fuzzy fallback through the dictionary of name words (issue 17)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from dmed.translit import search_key
from patients.access import visible_cards
from patients.models import CardStatus, NameWord
from patients.selectors import CARD_OBJECT, search_cards
from patients.services import break_the_glass
from tests.factories import FacilityFactory, UserFactory
from tests.patients.factories import CardFactory


def med_ids(page) -> list[str]:
    return [card.med_id for card in page.results]


def every_page(user, query: str, limit: int) -> list[str]:
    seen, cursor = [], None
    while True:
        page = search_cards(user, query=query, cursor=cursor, limit=limit)
        seen += med_ids(page)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.fixture
def branches(doctor, polyclinic):
    """One "Karimov" card in each branch of the doctor's scope, one in two of them, and
    the same name outside it: returns (in scope, outside)."""
    elsewhere = FacilityFactory()
    attached = CardFactory(attached_facility=polyclinic, first_name="Aziz")
    own_patient = CardFactory(attached_facility=elsewhere, family_doctor=doctor,
                              first_name="Bobur")
    both = CardFactory(attached_facility=polyclinic, family_doctor=doctor, first_name="Jasur")
    temporary = CardFactory(status=CardStatus.TEMPORARY, registered_at=polyclinic,
                            attached_facility=None, first_name="Noma'lum")
    opened = CardFactory(attached_facility=elsewhere, first_name="Sardor")
    break_the_glass(actor=doctor, med_id=opened.med_id, reason="Brought in unconscious")
    outside = [CardFactory(attached_facility=elsewhere, first_name=name)
               for name in ("Aziz", "Anvar", "Temur")]
    CardFactory(attached_facility=polyclinic, status=CardStatus.MERGED,
                merged_into=attached, first_name="Aziz")
    return [attached, own_patient, both, temporary, opened], outside


@pytest.mark.django_db
def test_the_branches_find_exactly_the_visible_cards_once_each(doctor, branches):
    in_scope, outside = branches
    expected = sorted(visible_cards(doctor).filter(search_name__startswith="karimov"),
                      key=lambda card: (card.search_name, card.pk))
    assert {card.pk for card in expected} == {card.pk for card in in_scope}
    assert med_ids(search_cards(doctor, query="Karimov")) == [c.med_id for c in expected]
    # Pages of two cross the branches, the card in two branches shown once.
    assert every_page(doctor, "Karimov", limit=2) == [c.med_id for c in expected]
    assert every_page(doctor, "Karimof", limit=2) == [c.med_id for c in expected]
    admin = UserFactory(role=Role.ADMINISTRATOR)
    assert len(every_page(admin, "Karimov", limit=2)) == len(in_scope) + len(outside)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Azis Karimof", "Karimof Azis", "Aziz Karimov",
                                   "Rustamovich Aziz", "Азис Каримоф"])
def test_typos_and_any_word_order_find_the_card(doctor, polyclinic, typed):
    card = CardFactory(attached_facility=polyclinic, last_name="Karimov", first_name="Aziz")
    CardFactory(attached_facility=polyclinic, last_name="Yusupova", first_name="Malika",
                middle_name="Anvarovna")
    CardFactory(attached_facility=polyclinic, last_name="Karimov", first_name="Temur")
    assert med_ids(search_cards(doctor, query=typed)) == [card.med_id]


@pytest.mark.django_db
def test_similar_names_come_in_name_order_and_page_on(doctor, polyclinic):
    for first in ("Temur", "Aziz", "Bobur", "Aziza"):
        CardFactory(attached_facility=polyclinic, last_name="Karimova" if first == "Aziza"
                    else "Karimov", first_name=first)
    CardFactory(attached_facility=polyclinic, last_name="Yusupov", first_name="Aziz")
    page = search_cards(doctor, query="Karimof", limit=3)
    assert [c.search_name for c in page.results] == [
        "karimov aziz rustamovich", "karimov bobur rustamovich", "karimov temur rustamovich"]
    rest = search_cards(doctor, query="Karimof", cursor=page.next_cursor, limit=3)
    assert [c.search_name for c in rest.results] == ["karimova aziza rustamovich"]
    assert rest.next_cursor is None


@pytest.mark.django_db
def test_a_name_elsewhere_stays_elsewhere_and_is_audited_as_before(doctor, polyclinic):
    CardFactory(attached_facility=FacilityFactory(), last_name="Yusupova", first_name="Malika")
    for typed in ("Yusupova Malika", "Malika Yusupova", "Yusupovo Maliko"):
        assert search_cards(doctor, query=typed).results == []
    events = AuditEvent.objects.filter(actor=doctor, action=AuditAction.SEARCH,
                                       object_type=CARD_OBJECT)
    assert events.count() == 3


@pytest.mark.django_db
def test_the_dictionary_of_name_words_follows_every_write(polyclinic):
    card = CardFactory(attached_facility=polyclinic, last_name="Qodirov", first_name="Islom")
    assert {"kodirov", "islom", "rustamovich"} <= set(NameWord.objects.values_list("word",
                                                                                   flat=True))
    card.last_name = "Ergashev"
    card.search_name = search_key(card.full_name)
    card.save()
    # Bulk statements too: a COPY or INSERT ... SELECT adds its words in one go.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patientcard SET search_name = search_name || ' zzyzx' "
                       "WHERE id = %s", [card.pk])
    assert NameWord.objects.filter(word__in=["ergashev", "zzyzx"]).count() == 2


@pytest.mark.django_db
def test_query_counts_are_flat(doctor, polyclinic, django_assert_num_queries):
    CardFactory.create_batch(30, attached_facility=polyclinic)
    CardFactory.create_batch(5, attached_facility=polyclinic, family_doctor=doctor)
    # The staff record, whether any name starts so, the page (all branches in one
    # statement), the audit row.
    with django_assert_num_queries(4):
        assert len(search_cards(doctor, query="Karimov").results) == 25
    # The staff record is remembered on the user from here on. No name starts so: no
    # prefix page, but the candidate words, the similar page, the audit row.
    with django_assert_num_queries(4):
        assert len(search_cards(doctor, query="Karimof Aziz").results) == 25
    # A word like no word of any name: no card is read for the similar page.
    with django_assert_num_queries(3):
        assert search_cards(doctor, query="Karimof Qwxyzt").results == []


@pytest.mark.django_db
def test_nobody_in_scope_reads_no_card(polyclinic):
    """A pharmacist reaches no card by search: an empty scope, no branch to run."""
    CardFactory(attached_facility=polyclinic)
    stray = UserFactory(role=Role.PHARMACIST)
    with CaptureQueriesContext(connection) as captured:
        assert search_cards(stray, query="Karimov").results == []
    assert not [q for q in captured.captured_queries
                if 'FROM "patients_patientcard"' in q["sql"]]


@pytest.mark.django_db
def test_a_fuzzy_search_reads_a_bounded_number_of_cards_and_sorts_them(
        doctor, polyclinic, monkeypatch):
    from patients import selectors

    cards = [CardFactory(attached_facility=polyclinic, first_name=name)
             for name in ("Temur", "Aziz", "Bobur", "Jasur", "Sardor")]
    monkeypatch.setattr(selectors, "MAX_SIMILAR_CARDS", 3)
    page = search_cards(doctor, query="Karimof")
    names = [card.search_name for card in page.results]
    assert len(names) == 3 and names == sorted(names)
    assert {card.pk for card in page.results} <= {card.pk for card in cards}
    admin = UserFactory(role=Role.ADMINISTRATOR)
    assert len(search_cards(admin, query="Karimof").results) == 3


@pytest.mark.django_db
def test_a_polyclinics_fuzzy_search_reads_its_own_cards_words(doctor, polyclinic):
    """The facility branch matches card_facility_name_words' expression (or PostgreSQL
    could not use it, and would intersect every namesake with the polyclinic's cards)."""
    mine = CardFactory(attached_facility=polyclinic, first_name="Aziz")
    CardFactory(attached_facility=FacilityFactory(), first_name="Aziz")
    with CaptureQueriesContext(connection) as captured:
        page = search_cards(doctor, query="Karimof Azis")
    assert med_ids(page) == [mine.med_id]
    fuzzy = [query["sql"] for query in captured.captured_queries
             if "string_to_array" in query["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + fuzzy[-1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "card_facility_name_words" in plan


@pytest.mark.django_db
def test_a_typo_stands_for_the_closest_words_not_every_longer_one(doctor, polyclinic):
    """"Otabee" is "Otabek" misspelt: the patronymic Otabekovich merely contains it."""
    otabek = CardFactory(attached_facility=polyclinic, first_name="Otabek",
                         middle_name="Alisherovich")
    CardFactory(attached_facility=polyclinic, first_name="Ali", middle_name="Otabekovich")
    assert med_ids(search_cards(doctor, query="Karimof Otabee")) == [otabek.med_id]
