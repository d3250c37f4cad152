import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dmed.translit import cyrillic_to_latin, latin_to_cyrillic, search_key
from patients.identifiers import is_valid_med_id, normalise_phone, parse_pinfl
from patients.management.commands.generate_patients import CardMaker
from patients.models import CardStatus, PatientCard
from patients.selectors import search_cards
from registry.models import Facility, FacilityKind
from tests.factories import FacilityFactory, StaffRecordFactory, UserFactory
from tests.patients.factories import CardFactory

CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def generate(count, **options):
    out = StringIO()
    call_command("generate_patients", count, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def polyclinic(db):
    return FacilityFactory(kind=FacilityKind.POLYCLINIC)


@pytest.mark.django_db
def test_generates_exactly_the_cards_asked_for_all_valid(polyclinic):
    out = generate(500, seed=1, batch=120)

    assert "cards/s" in out
    cards = list(PatientCard.objects.all())
    assert len(cards) == 500
    assert len({card.med_id for card in cards}) == 500
    today = timezone.localdate()
    for card in cards:
        assert is_valid_med_id(card.med_id)
        assert card.status == CardStatus.ACTIVE
        assert card.registered_at_id == card.attached_facility_id == polyclinic.pk
        assert card.region_id == polyclinic.region_id
        assert card.last_name and card.first_name and card.middle_name
        assert card.search_name == search_key(
            f"{card.last_name} {card.first_name} {card.middle_name}")
        assert date(1930, 1, 1) <= card.birth_date <= today
        assert card.sex in ("male", "female")
        if card.pinfl:
            facts = parse_pinfl(card.pinfl)
            assert (facts.birth_date, facts.sex) == (card.birth_date, card.sex)
        if card.phone:
            assert card.phone.startswith("+998")
            assert normalise_phone(card.phone) == card.phone  # valid and already E.164

    with_pinfl = [card.pinfl for card in cards if card.pinfl]
    assert len(set(with_pinfl)) == len(with_pinfl)
    assert 0.80 < len(with_pinfl) / 500 < 0.97
    assert 0.70 < sum(bool(card.phone) for card in cards) / 500 < 0.90
    cyrillic = sum(bool(CYRILLIC.search(card.last_name)) for card in cards)
    assert 0.03 < cyrillic / 500 < 0.20
    assert 0.35 < sum(card.sex == "female" for card in cards) / 500 < 0.65
    for card in cards[:10]:
        card.full_clean()  # the model's own validation and constraints agree


@pytest.mark.django_db
def test_a_second_run_adds_as_many_again_without_collisions(polyclinic):
    generate(500, seed=1)
    generate(500, seed=1)  # same seed: still new numbers, not the same ones again

    cards = PatientCard.objects.all()
    assert cards.count() == 1000
    assert len(set(cards.values_list("med_id", flat=True))) == 1000
    pinfls = [pinfl for pinfl in cards.values_list("pinfl", flat=True) if pinfl]
    assert len(set(pinfls)) == len(pinfls)


@pytest.mark.django_db
def test_a_clash_with_an_existing_card_is_skipped_and_made_up_for(polyclinic, monkeypatch):
    existing = CardFactory(registered_at=polyclinic, pinfl="")
    original = CardMaker.med_id
    clashes = iter([existing.med_id, existing.med_id])

    def med_id_clashing_first(maker):
        return next(clashes, None) or original(maker)

    monkeypatch.setattr(CardMaker, "med_id", med_id_clashing_first)
    out = generate(50, batch=20, verbosity=2)

    assert "1 clashed" in out
    assert PatientCard.objects.exclude(pk=existing.pk).count() == 50
    existing.refresh_from_db()
    assert existing.last_name == "Karimov"


@pytest.mark.django_db
def test_cards_spread_over_the_facilities_named():
    first, second, other = FacilityFactory.create_batch(3, kind=FacilityKind.POLYCLINIC)

    generate(200, facility=[first.code, second.code], seed=3)

    counts = {facility: PatientCard.objects.filter(attached_facility=facility).count()
              for facility in (first, second, other)}
    assert counts[first] > 50 and counts[second] > 50
    assert counts[first] + counts[second] == 200
    assert counts[other] == 0


@pytest.mark.django_db
def test_without_a_polyclinic_it_says_to_seed_first():
    Facility.objects.filter(kind=FacilityKind.POLYCLINIC).delete()

    with pytest.raises(CommandError, match="seed_demo"):
        generate(10)
    assert not PatientCard.objects.exists()


@pytest.mark.django_db
def test_unknown_or_unsuitable_facilities_are_refused():
    pharmacy = FacilityFactory(kind=FacilityKind.PHARMACY)

    with pytest.raises(CommandError, match="NO-SUCH"):
        generate(10, facility=["NO-SUCH"])
    with pytest.raises(CommandError, match=pharmacy.code):
        generate(10, facility=[pharmacy.code])


@pytest.mark.django_db
def test_a_generated_card_is_found_by_the_other_script_of_its_name(polyclinic):
    doctor = UserFactory(role="clinician")
    StaffRecordFactory(user=doctor, facility=polyclinic, role="clinician")
    generate(300, seed=5)
    cards = PatientCard.objects.order_by("pk")
    latin = next(card for card in cards if not CYRILLIC.search(card.last_name))
    cyrillic = next(card for card in cards if CYRILLIC.search(card.last_name))

    query = latin_to_cyrillic(f"{latin.last_name} {latin.first_name}")
    assert CYRILLIC.search(query)
    page = search_cards(doctor, query=query, birth_date=latin.birth_date)
    assert latin in page.results

    query = cyrillic_to_latin(f"{cyrillic.last_name} {cyrillic.first_name}")
    page = search_cards(doctor, query=query, birth_date=cyrillic.birth_date)
    assert cyrillic in page.results
