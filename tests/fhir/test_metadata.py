"""GET /fhir/metadata states exactly what is implemented, and SMART discovery says where
systems get tokens."""

import pytest
from django.test import Client

from fhir.capability import SERVED
from fhir.scopes import CREATED_TYPES, RESOURCE_TYPES, registrable_scopes
from tests.fhir.conftest import Fhir

pytestmark = pytest.mark.django_db


def test_the_capability_statement_is_public_valid_r5_and_lists_what_is_served():
    response = Fhir(None).get("metadata")
    statement = response.json()
    assert response.status_code == 200
    assert statement["fhirVersion"] == "5.0.0"
    assert statement["format"] == ["application/fhir+json"]
    rest = statement["rest"][0]
    assert [r["type"] for r in rest["resource"]] == list(RESOURCE_TYPES)
    for resource in rest["resource"]:
        served = SERVED[resource["type"]]
        creates = ["create"] if resource["type"] in CREATED_TYPES else []
        assert [i["code"] for i in resource["interaction"]] == (
            ["read"] * served.readable + ["search-type"] * served.searchable + creates)
        assert resource.get("conditionalCreate", False) == (
            resource["type"] in ("MedicationDispense", "DiagnosticReport"))
        assert {p["name"] for p in resource.get("searchParam", [])} == (
            set(served.parameters) | {"_count"} if served.searchable else set())
    group = next(r for r in rest["resource"] if r["type"] == "Group")
    assert [i["code"] for i in group["interaction"]] == ["read"]
    assert rest["security"]["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    encounter = next(r for r in rest["resource"] if r["type"] == "Encounter")
    assert encounter["searchInclude"] == ["Encounter:patient"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert [o["name"] for o in patient["operation"]] == ["everything"]
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]
    # Bulk Data export at system and Group level (tests/fhir/test_export.py).
    assert [o["name"] for o in rest["operation"]] == ["export"]
    assert group["operation"][0]["definition"].endswith("group-export")
    # $export lists every type it writes.
    assert "Observation, AllergyIntolerance, MedicationRequest" in rest["operation"][0][
        "documentation"]


def test_every_search_parameter_stated_is_accepted_and_no_other(fhir, card):
    for resource_type, served in SERVED.items():
        if not served.searchable:
            assert fhir.get(resource_type).status_code == 404
            continue
        for name in served.parameters:
            response = fhir.get(resource_type, {name: "x", "patient": card.med_id})
            assert response.status_code != 400 or all(
                issue.get("expression") != [name] or "not supported" not in
                issue["diagnostics"] for issue in response.json()["issue"]), (resource_type,
                                                                              name)
        refused = fhir.get(resource_type, {"_since": "ge2020"})
        assert refused.status_code == 400
        assert refused.json()["issue"][0]["expression"] == ["_since"]


def test_smart_configuration_names_the_token_endpoint_and_scopes():
    body = Client().get("/fhir/.well-known/smart-configuration").json()
    assert body["token_endpoint"].endswith("/o/token/")
    assert body["grant_types_supported"][0] == "client_credentials"
    assert body["scopes_supported"][:len(registrable_scopes())] == registrable_scopes()
