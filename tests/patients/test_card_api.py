import datetime

import pytest
from django.utils import timezone

from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from patients.identifiers import DocumentKind, is_valid_med_id
from patients.models import BreakGlassGrant, IdentityDocument, PatientCard, Representation
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.patients.factories import CardFactory

URL = "/api/v1/patients/"


def pinfl_for(birth: datetime.date, *, female: bool, serial: str = "001") -> str:
    century = {18: 1, 19: 3, 20: 5}[birth.year // 100] + (1 if female else 0)
    first13 = f"{century}{birth:%d%m%y}264{serial}"
    weights = (7, 3, 1) * 5
    return first13 + str(sum(int(d) * w for d, w in zip(first13, weights, strict=False)) % 10)


@pytest.fixture
def staff(polyclinic):
    return lambda role: staff_at(polyclinic, role)


def new_person(**extra):
    return {"last_name": "Toshmatova", "first_name": "Nilufar", "middle_name": "Akmalovna",
            "birth_date": "1992-07-04", "sex": "female", "phone": "+998 90 123 45 67", **extra}


@pytest.mark.django_db
class TestRegistration:
    def test_registrar_registers_a_person_and_the_card_gets_a_med_id(self, api_client, staff,
                                                                      polyclinic):
        api_client.force_authenticate(staff(Role.REGISTRAR))
        pinfl = pinfl_for(datetime.date(1992, 7, 4), female=True)
        response = api_client.post(URL, new_person(
            pinfl=pinfl, documents=[{"kind": "uz_id_card", "number": "ad 1234567"}]),
            format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert is_valid_med_id(body["med_id"])
        assert body["phone"] == "+998901234567"
        assert body["attached_facility"] == polyclinic.code
        assert body["documents"] == [{"kind": "uz_id_card", "number": "AD1234567",
                                      "country": ""}]
        card = PatientCard.objects.get(med_id=body["med_id"])
        assert card.attachments.get().facility == polyclinic
        assert AuditEvent.objects.filter(action=AuditAction.CREATE,
                                         patient_med_id=card.med_id).exists()

    @pytest.mark.parametrize("pinfl", ["4040792264001", "70407922640019", "4040792264001X",
                                       "40407922640010"])
    def test_bad_pinfl_is_refused_per_field(self, api_client, staff, pinfl):
        api_client.force_authenticate(staff(Role.REGISTRAR))
        response = api_client.post(URL, new_person(pinfl=pinfl), format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "pinfl" in response.json()["fields"]
        assert not PatientCard.objects.exists()

    def test_pinfl_contradicting_birth_date_and_sex_says_which(self, api_client, staff):
        api_client.force_authenticate(staff(Role.REGISTRAR))
        pinfl = pinfl_for(datetime.date(1992, 7, 5), female=False)
        response = api_client.post(URL, new_person(pinfl=pinfl), format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        messages = " ".join(response.json()["fields"]["pinfl"])
        assert "05.07.1992" in messages and "04.07.1992" in messages
        assert "male" in messages

    def test_pinfl_already_on_a_card_names_that_card(self, api_client, staff, polyclinic):
        pinfl = pinfl_for(datetime.date(1992, 7, 4), female=True)
        existing = CardFactory(pinfl=pinfl, last_name="Boshqa", sex="female",
                               birth_date=datetime.date(1992, 7, 4), registered_at=polyclinic)
        api_client.force_authenticate(staff(Role.REGISTRAR))
        response = api_client.post(URL, new_person(pinfl=pinfl), format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert existing.med_id in " ".join(response.json()["fields"]["pinfl"])
        assert PatientCard.objects.count() == 1

    def test_same_name_and_birth_date_shows_candidates_until_confirmed(self, api_client,
                                                                      staff, polyclinic):
        existing = CardFactory(last_name="Тошматова", first_name="Нилуфар", sex="female",
                               birth_date=datetime.date(1992, 7, 4), registered_at=polyclinic)
        api_client.force_authenticate(staff(Role.REGISTRAR))
        response = api_client.post(URL, new_person(), format="json")
        assert response.status_code == 400
        assert existing.med_id in response.json()["fields"]["non_field_errors"][0]
        shown = AuditEvent.objects.get(object_type="patients.duplicate_candidate")
        assert shown.patient_med_id == existing.med_id
        confirmed = api_client.post(URL, new_person(confirm_not_duplicate=True), format="json")
        assert confirmed.status_code == 201
        assert PatientCard.objects.count() == 2

    @pytest.mark.parametrize("role", [Role.PATIENT, Role.PHARMACIST, Role.LAB_TECHNICIAN])
    def test_others_cannot_register(self, api_client, make_user, role):
        api_client.force_authenticate(make_user(role))
        assert api_client.post(URL, new_person(), format="json").status_code == 403
        assert not PatientCard.objects.exists()

    def test_bad_phone_and_missing_fields(self, api_client, staff):
        api_client.force_authenticate(staff(Role.REGISTRAR))
        response = api_client.post(URL, {"phone": "12345", "sex": "x"}, format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert {"last_name", "first_name", "birth_date", "sex"} <= set(fields)


@pytest.mark.django_db
class TestScope:
    def open(self, client, user, card):
        client.force_authenticate(user)
        return client.get(f"{URL}{card.med_id}/")

    @pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE, Role.REGISTRAR])
    def test_staff_open_cards_attached_to_their_facility(self, api_client, staff, polyclinic,
                                                          role):
        card = CardFactory(attached_facility=polyclinic)
        response = self.open(api_client, staff(role), card)
        assert response.status_code == 200
        assert response.json()["med_id"] == card.med_id
        event = AuditEvent.objects.get(action=AuditAction.VIEW, patient_med_id=card.med_id)
        assert event.allowed and not event.break_glass
        assert event.facility_code == polyclinic.code

    @pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE, Role.REGISTRAR])
    def test_staff_are_refused_a_foreign_card_with_403_and_the_refusal_audited(
            self, api_client, staff, role):
        card = CardFactory()
        response = self.open(api_client, staff(role), card)
        assert response.status_code == 403
        assert response.json()["code"] == "out_of_scope"
        event = AuditEvent.objects.get(patient_med_id=card.med_id)
        assert not event.allowed

    def test_family_doctor_opens_their_patients_card_elsewhere(self, api_client, staff):
        doctor = staff(Role.CLINICIAN)
        card = CardFactory(family_doctor=doctor)
        assert self.open(api_client, doctor, card).status_code == 200

    def test_clinician_breaks_the_glass_for_a_day(self, api_client, staff):
        doctor = staff(Role.CLINICIAN)
        card = CardFactory()
        api_client.force_authenticate(doctor)
        refused = api_client.post(f"{URL}{card.med_id}/break-glass/", {"reason": "short"},
                                  format="json")
        assert refused.status_code == 400 and "reason" in refused.json()["fields"]
        granted = api_client.post(f"{URL}{card.med_id}/break-glass/",
                                  {"reason": "Brought in unconscious, needs allergy history"},
                                  format="json")
        assert granted.status_code == 201
        assert self.open(api_client, doctor, card).status_code == 200
        view = AuditEvent.objects.filter(action=AuditAction.VIEW, allowed=True).get()
        assert view.break_glass
        yesterday = timezone.now() - datetime.timedelta(days=1)
        BreakGlassGrant.objects.update(granted_at=yesterday - datetime.timedelta(days=1),
                                       expires_at=yesterday)
        assert self.open(api_client, doctor, card).status_code == 403

    def test_registrar_cannot_break_the_glass(self, api_client, staff):
        card = CardFactory()
        api_client.force_authenticate(staff(Role.REGISTRAR))
        response = api_client.post(f"{URL}{card.med_id}/break-glass/",
                                   {"reason": "I would like to see it please"}, format="json")
        assert response.status_code == 403
        assert not BreakGlassGrant.objects.exists()

    def test_patient_sees_own_and_represented_cards_and_nothing_else(self, api_client):
        patient = UserFactory(role=Role.PATIENT)
        own = CardFactory(user=patient)
        child = CardFactory(birth_date=datetime.date(2019, 5, 1))
        Representation.objects.create(representative=patient, card=child, basis="parent")
        stranger = CardFactory()
        assert self.open(api_client, patient, own).status_code == 200
        assert self.open(api_client, patient, child).status_code == 200
        assert self.open(api_client, patient, stranger).status_code == 404

    @pytest.mark.parametrize("role", [Role.PHARMACIST, Role.LAB_TECHNICIAN])
    def test_pharmacists_and_lab_do_not_learn_cards_exist(self, api_client, make_user, role):
        card = CardFactory()
        assert self.open(api_client, make_user(role), card).status_code == 404

    def test_administrator_opens_any_card(self, api_client, make_user):
        card = CardFactory()
        assert self.open(api_client, make_user(Role.ADMINISTRATOR), card).status_code == 200

    def test_unknown_or_mistyped_med_id_is_404(self, api_client, staff):
        card = CardFactory()
        api_client.force_authenticate(staff(Role.CLINICIAN))
        typo = card.med_id[:-1] + str((int(card.med_id[-1]) + 1) % 10)
        assert api_client.get(f"{URL}{typo}/").status_code == 404
        assert api_client.get(f"{URL}not-a-number/").status_code == 404

    def test_anonymous_is_401(self, api_client):
        card = CardFactory()
        assert api_client.get(f"{URL}{card.med_id}/").status_code == 401

    def test_a_card_read_by_token_is_two_queries_once_who_asks_is_known(
            self, api_client, staff, polyclinic, django_assert_num_queries, settings):
        settings.AUTH_CACHE_SECONDS = 5  # as in production
        doctor = staff(Role.CLINICIAN)
        doctor.set_password("a-long-password-for-tokens")
        doctor.save()
        key = api_client.post("/api/v1/auth/token/", {
            "username": doctor.username, "password": "a-long-password-for-tokens"},
            format="json").json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        first, second = CardFactory.create_batch(2, attached_facility=polyclinic,
                                                 family_doctor=doctor)
        IdentityDocument.objects.create(card=second, kind=DocumentKind.UZ_PASSPORT,
                                        number="AB1234567", country="UZ")
        IdentityDocument.objects.create(card=second, kind=DocumentKind.FOREIGN_PASSPORT,
                                        number="K0123456", country="KZ")
        assert api_client.get(f"{URL}{first.med_id}/").status_code == 200
        # The card with its registries' codes and documents; the audit row.
        with django_assert_num_queries(2):
            answer = api_client.get(f"{URL}{second.med_id}/")
        assert answer.status_code == 200
        assert answer.json()["documents"] == [
            {"kind": "uz_passport", "number": "AB1234567", "country": "UZ"},
            {"kind": "foreign_passport", "number": "K0123456", "country": "KZ"}]
        assert answer.json()["family_doctor"] == doctor.username
        assert answer.json()["attached_facility"] == polyclinic.code


@pytest.mark.django_db
class TestSearch:
    def search(self, client, user, **params):
        client.force_authenticate(user)
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return response.json()

    @pytest.mark.parametrize(
        ("stored", "typed"),
        [(("Karimov", "Aziz"), "Каримов Азиз"), (("Каримов", "Азиз"), "Karimov Aziz"),
         (("Abdullayev", "Shohruh"), "Shoxruh"), (("G‘ulomov", "Bobur"), "G'ulomov"),
         (("G‘ulomov", "Bobur"), "G`ulomov"), (("Gʻulomov", "Bobur"), "G’ulomov")],
    )
    def test_names_are_found_across_scripts_and_spellings(self, api_client, staff, polyclinic,
                                                          stored, typed):
        card = CardFactory(last_name=stored[0], first_name=stored[1], middle_name="",
                           attached_facility=polyclinic)
        CardFactory(last_name="Boshqa", first_name="Odam", attached_facility=polyclinic)
        body = self.search(api_client, staff(Role.CLINICIAN), search=typed)
        assert [r["med_id"] for r in body["results"]] == [card.med_id]

    @pytest.mark.parametrize("typed", ["Aziz Karimov", "Karimof Aziz", "Азиз Каримов"])
    def test_other_word_orders_and_typos_fall_back_to_similarity(self, api_client, staff,
                                                                 polyclinic, typed):
        card = CardFactory(last_name="Karimov", first_name="Aziz", middle_name="",
                           attached_facility=polyclinic)
        CardFactory(last_name="Yusupova", first_name="Malika", attached_facility=polyclinic)
        body = self.search(api_client, staff(Role.CLINICIAN), search=typed)
        assert [r["med_id"] for r in body["results"]] == [card.med_id]

    def test_search_by_identifiers(self, api_client, staff, polyclinic):
        pinfl = pinfl_for(datetime.date(1985, 3, 12), female=False)
        card = CardFactory(attached_facility=polyclinic, pinfl=pinfl, phone="+998901112233")
        CardFactory(attached_facility=polyclinic, birth_date=datetime.date(1990, 1, 1))
        user = staff(Role.CLINICIAN)
        for typed in (card.med_id, pinfl, "+998 90 111 22 33", "12.03.1985"):
            body = self.search(api_client, user, search=typed)
            assert [r["med_id"] for r in body["results"]] == [card.med_id], typed

    def test_results_hold_only_cards_in_scope(self, api_client, staff, polyclinic):
        mine = CardFactory(attached_facility=polyclinic)
        CardFactory()  # the same name, elsewhere
        body = self.search(api_client, staff(Role.CLINICIAN), search="Karimov")
        assert [r["med_id"] for r in body["results"]] == [mine.med_id]

    def test_keyset_pages_cover_every_card_once_with_flat_queries(
            self, api_client, staff, polyclinic, django_assert_max_num_queries):
        cards = CardFactory.create_batch(35, attached_facility=polyclinic)
        user = staff(Role.CLINICIAN)
        api_client.force_authenticate(user)
        seen, url = [], f"{URL}?search=Karimov&limit=10"
        while url:
            with django_assert_max_num_queries(6):
                body = api_client.get(url).json()
            seen += [r["med_id"] for r in body["results"]]
            url = body["next"]
        assert sorted(seen) == sorted(c.med_id for c in cards)
        assert len(seen) == len(set(seen))

    def test_bad_cursor_is_a_400(self, api_client, staff):
        api_client.force_authenticate(staff(Role.CLINICIAN))
        response = api_client.get(URL, {"cursor": "!!!"})
        assert response.status_code == 400
        assert "cursor" in response.json()["fields"]


@pytest.mark.django_db
def test_patient_reads_who_opened_the_card(api_client, staff, polyclinic):
    patient = UserFactory(role=Role.PATIENT)
    card = CardFactory(user=patient, attached_facility=polyclinic)
    doctor = staff(Role.CLINICIAN)
    api_client.force_authenticate(doctor)
    api_client.get(f"{URL}{card.med_id}/")
    assert api_client.get(f"{URL}{card.med_id}/access-log/").status_code == 403

    api_client.force_authenticate(patient)
    body = api_client.get(f"{URL}{card.med_id}/access-log/").json()
    entries = [(e["who"], e["role"], e["facility"]) for e in body["results"]]
    assert (doctor.full_name, "clinician", polyclinic.code) in entries
    other = CardFactory()
    assert api_client.get(f"{URL}{other.med_id}/access-log/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_pinfl_keep_one_card():
    """Both requests pass the Python check; the database's unique index decides."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    from patients.services import register_card
    from registry.services import load_administrative_divisions

    # Transactional tests empty the tables, migration data included, after each other.
    load_administrative_divisions()
    registrar = staff_at(FacilityFactory(), Role.REGISTRAR)
    pinfl = pinfl_for(datetime.date(1992, 7, 4), female=True)
    barrier = Barrier(2)

    def register(index):
        try:
            barrier.wait()
            register_card(actor=registrar, last_name="Toshmatova", first_name=f"Nilufar{index}",
                          birth_date=datetime.date(1992, 7, 4), sex="female", pinfl=pinfl,
                          confirm_not_duplicate=True)
            return "created"
        except Exception as error:  # noqa: BLE001 — the outcome is what is compared
            return type(error).__name__
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(register, range(2)))
    assert outcomes == ["ValidationError", "created"]
    assert PatientCard.objects.filter(pinfl=pinfl).count() == 1
