"""Hostile request bodies and query strings: 4xx with the API's error format, never a 500.

Deep JSON and NUL characters are refused by one parser (dmed.api.parsers) for every
endpoint, NUL in query strings and forms by one middleware, and over-large bodies by a
middleware placed first, before anything reads them.
"""

import io
import json
import time

import pytest
from django.test import Client

from dmed.roles import Role
from patients.models import PatientCard
from tests.factories import staff_at
from tests.patients.factories import CardFactory

TOKEN_URL = "/api/v1/auth/token/"
NUL = "\u0000"


def nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def registrar(polyclinic):
    return staff_at(polyclinic, Role.REGISTRAR)


@pytest.fixture
def clinician(polyclinic):
    return staff_at(polyclinic, Role.CLINICIAN)


def new_person(**extra):
    return {"last_name": "Toshmatova", "first_name": "Nilufar", "birth_date": "1992-07-04",
            "sex": "female", **extra}


@pytest.mark.django_db
class TestDeepJson:
    @pytest.mark.parametrize("depth", [33, 1_000, 100_000])
    def test_deeply_nested_arrays_to_the_token_endpoint_are_a_400(self, api_client, depth):
        response = api_client.post(TOKEN_URL, nested_arrays(depth),
                                   content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "The JSON document is nested more than 32 levels deep.",
            "code": "parse_error"}

    def test_nesting_inside_an_object_counts_too(self, api_client, clinician):
        api_client.force_authenticate(clinician)
        body = '{"med_id": ' + nested_arrays(5_000) + "}"
        response = api_client.post("/api/v1/visits/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_a_document_at_the_limit_is_parsed_as_usual(self, api_client):
        body = {"username": "x", "password": "y", "extra": json.loads(nested_arrays(31))}
        response = api_client.post(TOKEN_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json()["fields"]["non_field_errors"] == [
            "The username or password is not correct."]


@pytest.mark.django_db
class TestNulInJson:
    MESSAGE = "This text contains a NUL character (\\u0000), which is not allowed."

    @pytest.mark.parametrize("field", ["attached_facility", "district", "family_doctor",
                                       "last_name"])
    def test_a_card_field_with_nul_is_named_in_a_400(self, api_client, registrar, field):
        api_client.force_authenticate(registrar)
        response = api_client.post("/api/v1/patients/", new_person(**{field: f"A{NUL}1"}),
                                   format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json() == {"detail": "Some fields are not valid.", "code": "invalid",
                                   "fields": {field: [self.MESSAGE]}}
        assert not PatientCard.objects.exists()

    def test_a_card_patch_with_nul_is_a_400(self, api_client, registrar, polyclinic):
        card = CardFactory(attached_facility=polyclinic)
        api_client.force_authenticate(registrar)
        response = api_client.patch(f"/api/v1/patients/{card.med_id}/",
                                    {"district": NUL, "family_doctor": f"x{NUL}"},
                                    format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"district", "family_doctor"}

    def test_a_representative_with_nul_is_a_400(self, api_client, registrar, polyclinic):
        card = CardFactory(attached_facility=polyclinic)
        api_client.force_authenticate(registrar)
        response = api_client.post(f"/api/v1/patients/{card.med_id}/representatives/",
                                   {"representative": f"ota{NUL}", "basis": "parent"},
                                   format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"representative"}

    def test_lab_order_codes_with_nul_are_named_by_their_place(self, api_client, clinician,
                                                               polyclinic):
        card = CardFactory(attached_facility=polyclinic)
        api_client.force_authenticate(clinician)
        response = api_client.post("/api/v1/lab-orders/", {
            "med_id": card.med_id, "laboratory": f"LAB{NUL}", "tests": ["HGB", f"F{NUL}"]},
            format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"laboratory", "tests.1"}

    def test_referral_targets_with_nul_are_a_400(self, api_client, clinician, polyclinic):
        card = CardFactory(attached_facility=polyclinic)
        api_client.force_authenticate(clinician)
        response = api_client.post("/api/v1/referrals/", {
            "med_id": card.med_id, "target": "specialist", "to_clinician": f"doc{NUL}",
            "to_department": NUL, "to_facility": NUL, "diagnosis_code": "I10",
            "reason": "x"}, format="json")
        assert response.status_code == 400
        assert {"to_clinician", "to_department", "to_facility"} <= set(
            response.json()["fields"])

    def test_nul_in_a_key_names_the_object_holding_it(self, api_client):
        response = api_client.post(TOKEN_URL, {"username": "a", f"pass{NUL}": "b"},
                                   format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json()["fields"] == {"non_field_errors": [self.MESSAGE]}


@pytest.mark.django_db
class TestNulInQueriesAndForms:
    def test_an_api_query_with_nul_is_a_400_naming_the_parameter(self, api_client, clinician):
        api_client.force_authenticate(clinician)
        response = api_client.get("/api/v1/patients/", {"search": f"Ali{NUL}"},
                                  HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Some fields are not valid.", "code": "invalid",
            "fields": {"search": ["This text contains a NUL character (\\u0000), "
                                  "which is not allowed."]}}

    def test_an_api_form_body_with_nul_is_a_400(self, api_client):
        response = api_client.post(TOKEN_URL, {"username": f"a{NUL}", "password": "b"})
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"username"}

    def test_a_page_query_with_nul_is_a_400_page_naming_the_field(self, client, clinician):
        client.force_login(clinician)
        response = client.get("/patients/", {"q": f"Ali{NUL}"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "q" in response.content.decode()
        assert response["Content-Type"].startswith("text/html")

    def test_a_page_form_with_nul_is_a_400(self, polyclinic):
        client = Client()
        response = client.post("/login/", {"username": f"a{NUL}", "password": "b"})
        assert response.status_code == 400

    def test_a_nul_in_the_path_is_a_400(self, api_client, clinician):
        api_client.force_authenticate(clinician)
        response = api_client.get("/api/v1/prescriptions/AB%00CD/")
        assert response.status_code == 400


@pytest.mark.django_db
class TestCardSex:
    def test_a_card_with_an_empty_sex_is_a_field_error(self, api_client, registrar):
        api_client.force_authenticate(registrar)
        response = api_client.post("/api/v1/patients/", new_person(sex=""), format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"sex"}
        assert not PatientCard.objects.exists()

    def test_an_identified_cards_sex_cannot_be_emptied(self, api_client, registrar,
                                                        polyclinic):
        card = CardFactory(attached_facility=polyclinic, sex="male")
        api_client.force_authenticate(registrar)
        response = api_client.patch(f"/api/v1/patients/{card.med_id}/", {"sex": ""},
                                    format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"sex"}
        card.refresh_from_db()
        assert card.sex == "male"


class CountingStream(io.BytesIO):
    """A request body that counts how much of it was read."""

    def __init__(self, size: int):
        super().__init__(b" " * size)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


@pytest.mark.django_db
class TestBodySize:
    FIFTY_MB = 50 * 1024 * 1024

    def test_a_50_mb_body_to_the_token_endpoint_is_a_413_before_it_is_read(self, client):
        body = CountingStream(self.FIFTY_MB)
        started = time.monotonic()
        response = client.generic("POST", TOKEN_URL, b"", content_type="application/json",
                                  CONTENT_LENGTH=str(self.FIFTY_MB), HTTP_ACCEPT_LANGUAGE="en",
                                  **{"wsgi.input": body})
        elapsed = time.monotonic() - started
        assert response.status_code == 413
        assert response.json() == {
            "detail": "The request is too large: at most 1048576 bytes are accepted.",
            "code": "too_large"}
        assert body.bytes_read == 0
        assert elapsed < 1

    def test_a_page_answers_413_with_a_short_page(self, client):
        response = client.generic("POST", "/login/", b"", CONTENT_LENGTH=str(self.FIFTY_MB),
                                  content_type="application/x-www-form-urlencoded",
                                  **{"wsgi.input": CountingStream(10)})
        assert response.status_code == 413
        assert response["Content-Type"].startswith("text/html")
        assert b"413" in response.content

    def test_a_body_just_under_the_limit_is_read(self, api_client, settings):
        body = json.dumps({"username": "a", "password": "b" * (1024 * 1024 - 100)})
        response = api_client.post(TOKEN_URL, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_a_body_without_content_length_is_not_read(self, client):
        body = CountingStream(self.FIFTY_MB)
        response = client.generic("POST", TOKEN_URL, b"", content_type="application/json",
                                  HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": body})
        assert response.status_code == 400
        assert body.bytes_read == 0

    def test_the_admin_drug_import_may_upload_more(self, client, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        response = client.post("/admin/prescriptions/drug/import/",
                               {"file": io.BytesIO(b"inn,strength\n" * 50)})
        assert response.status_code != 413  # the login redirect: the size was accepted
