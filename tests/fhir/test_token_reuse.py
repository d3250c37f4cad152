"""A FHIR token and its client's registration are reused for AUTH_CACHE_SECONDS per
process (dmed.recent, fhir.authentication), never longer: a change made in another process
(here, SQL no Python code hears of) is obeyed once they pass, one made through this
process's code at once."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fhir.models import FhirClient
from tests.fhir.conftest import Fhir, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("answers_reused")]


def _read(token, card):
    return Fhir(token).get(f"Patient/{card.med_id}")


def test_a_second_request_asks_the_database_neither_for_the_token_nor_the_client(
        polyclinic_system, card):
    token = token_for(polyclinic_system)
    assert _read(token, card).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert _read(token, card).status_code == 200
    asked = " ".join(query["sql"] for query in queries.captured_queries)
    assert "oauth2_provider_accesstoken" not in asked
    assert "fhir_fhirclient" not in asked


def test_a_token_revoked_elsewhere_acts_at_most_the_stated_seconds(polyclinic_system, card,
                                                                   clock, settings):
    token = token_for(polyclinic_system)
    assert _read(token, card).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oauth2_provider_accesstoken")
    clock(settings.AUTH_CACHE_SECONDS - 0.5)
    assert _read(token, card).status_code == 200
    clock(1)
    assert _read(token, card).status_code == 401


def test_a_token_revoked_here_is_refused_at_once(polyclinic_system, card):
    token = token_for(polyclinic_system)
    assert _read(token, card).status_code == 200
    revoked = Client().post("/o/revoke_token/", {
        "token": token, "client_id": polyclinic_system.client_id,
        "client_secret": polyclinic_system.secret})
    assert revoked.status_code == 200
    assert _read(token, card).status_code == 401


def test_a_client_disabled_elsewhere_acts_at_most_the_stated_seconds_here_not_at_all(
        polyclinic_system, card, clock, settings):
    token = token_for(polyclinic_system)
    assert _read(token, card).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("UPDATE fhir_fhirclient SET is_active = false")
    clock(settings.AUTH_CACHE_SECONDS - 0.5)
    assert _read(token, card).status_code == 200
    clock(1)
    assert _read(token, card).status_code == 401

    registration = FhirClient.objects.get()
    registration.is_active = True
    registration.save()
    assert _read(token, card).status_code == 200
    registration.is_active = False
    registration.save()
    assert _read(token, card).status_code == 401


def test_an_account_deactivated_here_is_refused_at_once(polyclinic_system, card):
    token = token_for(polyclinic_system)
    assert _read(token, card).status_code == 200
    polyclinic_system.account.is_active = False
    polyclinic_system.account.save()
    assert _read(token, card).status_code == 401
