"""Patient: read and search of MED-ID cards, scoped and audited as the card pages are."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import identifiers
from patients.access import CARD_OBJECT
from patients.models import BreakGlassGrant, CardStatus, IdentityDocument
from tests.factories import FacilityFactory
from tests.fhir.conftest import Fhir, make_system_client, token_for
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


def _identifier(resource, system):
    return next((i["value"] for i in resource["identifier"] if i["system"] == system), None)


def test_a_card_reads_as_a_uz_core_patient_and_the_read_is_audited(
        fhir, card, polyclinic_system, world):
    IdentityDocument.objects.create(card=card, kind="uz_passport", number="AC1234567")
    card.street, card.region, card.district = "Bunyodkor ko‘chasi, 21", \
        world.polyclinic.region, world.polyclinic.district
    card.save()
    response = fhir.get(f"Patient/{card.med_id}")
    patient = response.json()
    assert response.status_code == 200
    assert patient["id"] == card.med_id
    assert _identifier(patient, identifiers.HEALTH_CARD.system) == card.med_id
    assert _identifier(patient, identifiers.PINFL.system) == "30211975910033"
    assert _identifier(patient, identifiers.PASSPORT_LOCAL.system) == "AC1234567"
    assert patient["name"][0]["family"] == "Karimov"
    assert patient["name"][0]["_text"]["extension"][0]["extension"][1]["valueString"] \
        .startswith("Каримов")
    assert patient["address"][0] | {"line": None, "text": None} == {
        "use": "home", "type": "physical", "country": "UZ", "district": "1726294",
        "state": "1726", "line": None, "text": None}
    assert patient["birthDate"] == "1997-11-02"
    event = AuditEvent.objects.get(patient_med_id=card.med_id)
    assert (event.actor, event.action, event.object_type, event.facility_code,
            event.allowed) == (polyclinic_system.account, "view", CARD_OBJECT,
                               world.polyclinic.code, True)


@pytest.mark.parametrize("system", [identifiers.PINFL.system, *identifiers.PINFL.previous])
def test_search_by_pinfl_in_the_newest_and_the_older_system(fhir, card, system):
    CardFactory(attached_facility=card.attached_facility, registered_at=card.registered_at)
    bundle = fhir.get("Patient", {"identifier": f"{system}|{card.pinfl}"}).json()
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in bundle["entry"]] == [card.med_id]
    assert bundle["entry"][0]["search"]["mode"] == "match"
    event = AuditEvent.objects.get(patient_med_id=card.med_id)
    assert (event.action, event.object_type) == ("search", CARD_OBJECT)


def test_search_by_med_id_passport_and_bare_value(fhir, card):
    IdentityDocument.objects.create(card=card, kind="uz_id_card", number="AD7654321")
    foreign = CardFactory(attached_facility=card.attached_facility,
                          registered_at=card.registered_at)
    IdentityDocument.objects.create(card=foreign, kind="foreign_passport", number="N1234567",
                                    country="KZ")
    found = {
        "health card": f"{identifiers.HEALTH_CARD.system}|{card.med_id}",
        "passport": f"{identifiers.PASSPORT_LOCAL.system}|ad 765 4321",
        "bare": "AD7654321",
        "foreign": f"{identifiers.foreign_passport('KZ')}|N1234567",
        "tax id is no patient's": f"{identifiers.TAX_ID.system}|{card.med_id}",
    }
    ids = {name: [e["resource"]["id"] for e in fhir.get("Patient", {"identifier": value})
                  .json().get("entry", [])] for name, value in found.items()}
    assert ids == {"health card": [card.med_id], "passport": [card.med_id],
                   "bare": [card.med_id], "foreign": [foreign.med_id],
                   "tax id is no patient's": []}


def test_search_by_name_in_either_script_and_birthdate_prefixes(fhir, world):
    older = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                        last_name="Yusupova", first_name="Malika", birth_date=date(1960, 5, 1))
    younger = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic,
                          last_name="Yusupov", first_name="Anvar", birth_date=date(2001, 1, 9))

    def ids(params):
        return sorted(e["resource"]["id"] for e in fhir.get("Patient", params).json()
                      .get("entry", []))

    assert ids({"name": "Юсупов"}) == sorted([older.med_id, younger.med_id])
    assert ids({"name": "malika"}) == [older.med_id]
    assert ids({"name": "yusup", "birthdate": "lt1990"}) == [older.med_id]
    assert ids({"name": "yusup", "birthdate": "ge2001-01-09"}) == [younger.med_id]
    assert ids({"name": "yusup", "birthdate": "2001-01"}) == [younger.med_id]
    assert ids({"name": "yusup", "birthdate": ["gt1960-05-01", "le2001-01-09"]}) \
        == [younger.med_id]


def test_pages_follow_bundle_next_links_without_gaps_or_repeats(fhir, world):
    cards = [CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
             for _ in range(5)]
    seen, params = [], {"name": "karimov", "_count": "2"}
    for _page in range(3):
        bundle = fhir.get("Patient", params).json()
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not following:
            break
        params = {k: v[0] for k, v in parse_qs(urlsplit(following[0]).query).items()}
    assert sorted(seen) == sorted(card.med_id for card in cards)
    assert len(seen) == len(set(seen))
    assert not following


def test_a_search_costs_the_same_queries_for_many_cards(fhir, world,
                                                        django_assert_max_num_queries):
    for _ in range(3):
        CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
    with django_assert_max_num_queries(12) as few:
        fhir.get("Patient", {"name": "karimov", "_count": "50"})
    for _ in range(30):
        card = CardFactory(attached_facility=world.polyclinic, registered_at=world.polyclinic)
        IdentityDocument.objects.create(card=card, kind="uz_passport",
                                        number=f"AB{card.pk:07d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        bundle = fhir.get("Patient", {"name": "karimov", "_count": "50"}).json()
    assert len(bundle["entry"]) == 33


def test_a_card_outside_a_clinicians_scope_answers_403_in_the_callers_language(fhir, world):
    elsewhere = FacilityFactory()
    stranger = CardFactory(attached_facility=elsewhere, registered_at=elsewhere)
    response = Fhir(fhir.token, language="ru").get(f"Patient/{stranger.med_id}")
    assert response.status_code == 403
    assert response.json()["issue"][0] == {"severity": "error", "code": "forbidden",
                                           "diagnostics": "Эта карта вне вашей зоны доступа."}
    assert AuditEvent.objects.get(patient_med_id=stranger.med_id).allowed is False
    search = fhir.get("Patient", {"identifier": stranger.med_id}).json()
    assert search.get("entry", []) == []


def test_systems_whose_role_never_opens_cards_get_404_as_on_the_api(world, card):
    for role, facility in ((Role.PHARMACIST, FacilityFactory()),
                           (Role.LAB_TECHNICIAN, world.laboratory)):
        client = make_system_client(role=role, facility=facility)
        response = Fhir(token_for(client)).get(f"Patient/{card.med_id}")
        assert response.status_code == 404
        assert response.json()["issue"][0]["code"] == "not-found"
    unknown = Fhir(token_for(client)).get("Patient/1000000000")
    assert unknown.status_code == 404


def test_the_national_platform_reads_every_card(card):
    national = make_system_client(role=Role.ADMINISTRATOR, facility=None)
    assert Fhir(token_for(national)).get(f"Patient/{card.med_id}").status_code == 200
    event = AuditEvent.objects.get(patient_med_id=card.med_id)
    assert (event.actor, event.facility_code) == (national.account, "")


@pytest.mark.parametrize("params, parameter", [
    ({"birthdate": "next-tuesday"}, "birthdate"),
    ({"birthdate": "sa2000"}, "birthdate"),
    ({"_count": "0"}, "_count"),
    ({"_count": "1000"}, "_count"),
    ({"gender": "male"}, "gender"),
    ({"identifier": "https://dhp.uz/fhir/core/sid/pid/uz/ni|"}, "identifier"),
    ({"_cursor": "garbage"}, "cursor"),
])
def test_bad_search_parameters_answer_400_naming_the_parameter(fhir, params, parameter):
    response = fhir.get("Patient", params)
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert (issue["code"], issue["expression"]) == ("invalid", [parameter])


def test_by_identifier_a_card_in_scope_through_a_grant_is_found_a_merged_one_is_not(
        fhir, polyclinic_system, card, django_assert_max_num_queries):
    elsewhere = FacilityFactory()
    granted = CardFactory(attached_facility=elsewhere, registered_at=elsewhere,
                          pinfl="40211975910033")
    BreakGlassGrant.objects.create(user=polyclinic_system.account, card=granted,
                                   reason="unconscious in the emergency room",
                                   expires_at=timezone.now() + timedelta(hours=1))
    merged = CardFactory(attached_facility=card.attached_facility,
                         registered_at=card.attached_facility, pinfl="50211975910033",
                         status=CardStatus.MERGED, merged_into=card)

    def found(pinfl):
        bundle = fhir.get("Patient", {"identifier": f"{identifiers.PINFL.system}|{pinfl}"})
        return [entry["resource"]["id"] for entry in bundle.json().get("entry", [])]

    assert found(granted.pinfl) == [granted.med_id]
    assert found(merged.pinfl) == []
    # The token, the client, the card, its documents, the audit row (and its savepoint).
    with django_assert_max_num_queries(8):
        assert found(card.pinfl) == [card.med_id]
