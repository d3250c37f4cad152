"""Who may call the FHIR interface: OAuth 2.0 client credentials of registered systems,
with the scopes their registration allows, for the facility they act for."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir.models import FhirClient
from fhir.services import register_client
from registry.models import StaffRecord
from tests.factories import FacilityFactory, StaffRecordFactory, UserFactory
from tests.fhir.conftest import Fhir, make_system_client, request_token, token_for

pytestmark = pytest.mark.django_db


def test_a_client_gets_a_short_lived_token_with_the_scopes_it_is_allowed(polyclinic_system):
    response = request_token(polyclinic_system)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert "system/Patient.rs" in body["scope"].split()
    assert not hasattr(body, "refresh_token")


def test_a_client_may_ask_for_narrower_scopes(polyclinic_system, card):
    token = token_for(polyclinic_system, scope="system/Patient.r")
    fhir = Fhir(token)
    assert fhir.get(f"Patient/{card.med_id}").status_code == 200
    refused = fhir.get("Patient", {"identifier": card.pinfl})
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert "search Patient" in refused.json()["issue"][0]["diagnostics"]


def test_a_scope_outside_the_registration_is_refused_at_the_token_endpoint(world):
    client = make_system_client(role=Role.CLINICIAN, facility=world.polyclinic,
                                scopes=["system/Organization.rs"])
    response = request_token(client, scope="system/Patient.rs")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(polyclinic_system):
    polyclinic_system.secret = "not-the-secret"
    assert request_token(polyclinic_system).status_code == 401


def test_only_the_client_credentials_grant_is_offered(polyclinic_system):
    response = Client().post("/o/token/", {
        "grant_type": "password", "username": "doctor", "password": "x",
        "client_id": polyclinic_system.client_id, "client_secret": polyclinic_system.secret})
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()


def test_missing_expired_and_revoked_tokens_answer_401_as_operation_outcome(
        polyclinic_system, card):
    missing = Fhir(None).get(f"Patient/{card.med_id}")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert missing.json()["issue"][0]["code"] == "login"

    token = token_for(polyclinic_system)
    AccessToken.objects.filter(token_checksum__isnull=False).update(
        expires=timezone.now() - timedelta(seconds=1))
    expired = Fhir(token).get(f"Patient/{card.med_id}")
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired["WWW-Authenticate"]

    token = token_for(polyclinic_system)
    revoked = Client().post("/o/revoke_token/", {
        "token": token, "client_id": polyclinic_system.client_id,
        "client_secret": polyclinic_system.secret})
    assert revoked.status_code == 200
    assert Fhir(token).get(f"Patient/{card.med_id}").status_code == 401


def test_a_disabled_client_is_refused_with_the_token_it_already_has(polyclinic_system, card):
    token = token_for(polyclinic_system)
    FhirClient.objects.filter(application__client_id=polyclinic_system.client_id).update(
        is_active=False)
    response = Fhir(token).get(f"Patient/{card.med_id}")
    assert response.status_code == 401
    assert "disabled" in response.json()["issue"][0]["diagnostics"]
    refused = request_token(polyclinic_system)
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "unauthorized_client"


def test_a_client_whose_account_no_longer_works_at_its_facility_is_refused(
        polyclinic_system, card):
    token = token_for(polyclinic_system)
    StaffRecord.objects.filter(user=polyclinic_system.account).update(
        active_to=timezone.localdate() - timedelta(days=1))
    response = Fhir(token).get(f"Patient/{card.med_id}")
    assert response.status_code == 403
    assert "no longer works" in response.json()["issue"][0]["diagnostics"]
    assert not AuditEvent.objects.filter(actor=polyclinic_system.account,
                                         allowed=True).exists()


def test_portal_api_tokens_do_not_open_fhir_and_bearer_tokens_do_not_open_the_api(
        api_client, polyclinic_system, world, card):
    api_client.post("/api/v1/auth/token/", {"username": world.doctor.username,
                                            "password": "correct-horse-battery-staple"},
                    format="json")
    portal_token = api_client.post(
        "/api/v1/auth/token/", {"username": world.doctor.username,
                                "password": "correct-horse-battery-staple"},
        format="json").json()["token"]
    refused = Fhir(None).get(f"Patient/{card.med_id}",
                             HTTP_AUTHORIZATION=f"Token {portal_token}")
    assert refused.status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {portal_token}")
    assert api_client.get(f"/api/v1/patients/{card.med_id}/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(polyclinic_system)}")
    assert api_client.get(f"/api/v1/patients/{card.med_id}/").status_code == 401


def _application(account, **fields):
    fields = {"client_type": Application.CLIENT_CONFIDENTIAL,
              "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS, **fields}
    return Application(name="x", user=account, **fields)


def test_registration_needs_the_account_to_work_at_the_facility_only(world):
    elsewhere = FacilityFactory()
    account = UserFactory(role=Role.CLINICIAN)
    StaffRecordFactory(user=account, facility=world.polyclinic)
    kwargs = {"name": "EHR", "account": account, "scopes": ["system/Patient.rs"],
              "client_secret": "s" * 40, "client_id": "ehr"}
    with pytest.raises(ValidationError) as refused:
        register_client(facility=elsewhere, **kwargs)
    assert "facility" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        register_client(facility=None, **kwargs)
    assert "facility" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        register_client(facility=world.polyclinic, **{**kwargs, "scopes": ["system/Foo.rs"]})
    assert "scopes" in refused.value.message_dict
    StaffRecordFactory(user=account, facility=elsewhere)
    with pytest.raises(ValidationError) as refused:
        register_client(facility=world.polyclinic, **kwargs)
    assert "other facilities" in refused.value.message_dict["facility"][0]


def test_the_admin_registers_a_client_on_the_application_page(client, world):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    account = UserFactory(role=Role.LAB_TECHNICIAN)
    StaffRecordFactory(user=account, facility=world.laboratory)
    client.force_login(admin)
    page = client.get("/admin/oauth2_provider/application/add/")
    assert page.status_code == 200
    assert b"system/Observation.rs" in page.content
    form = {
        "client_id": "lab-lis", "client_secret": "lis-secret-0123456789abcdef",
        "hash_client_secret": "on", "client_type": "confidential",
        "authorization_grant_type": "client-credentials", "name": "LIS", "user": account.pk,
        "redirect_uris": "", "post_logout_redirect_uris": "", "allowed_origins": "",
        "algorithm": "", "fhir_client-TOTAL_FORMS": "1", "fhir_client-INITIAL_FORMS": "0",
        "fhir_client-MIN_NUM_FORMS": "0", "fhir_client-MAX_NUM_FORMS": "1",
        "fhir_client-0-facility": world.polyclinic.pk,
        "fhir_client-0-scopes": ["system/Observation.rs", "system/Organization.rs"],
        "fhir_client-0-is_active": "on",
        "person_app-TOTAL_FORMS": "0", "person_app-INITIAL_FORMS": "0",
        "person_app-MIN_NUM_FORMS": "0", "person_app-MAX_NUM_FORMS": "1",
    }
    wrong = client.post("/admin/oauth2_provider/application/add/", form,
                        HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 200, FhirClient.objects.values()
    assert b"no active staff record at this facility" in wrong.content
    assert not FhirClient.objects.exists()
    form["fhir_client-0-facility"] = world.laboratory.pk
    saved = client.post("/admin/oauth2_provider/application/add/", form)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    registered = FhirClient.objects.get(application__client_id="lab-lis")
    assert registered.scope_list() == ["system/Observation.rs", "system/Organization.rs"]
    assert registered.facility == world.laboratory


def test_the_demo_clients_print_their_credentials_in_debug_only(settings, capsys):
    call_command("seed_demo")
    settings.DEBUG = False
    call_command("demo_fhir_clients")
    assert "client_secret" not in capsys.readouterr().out
    settings.DEBUG = True
    call_command("demo_fhir_clients")
    printed = capsys.readouterr().out
    for client_id in ("demo-pharmacy-system", "demo-laboratory-system",
                      "demo-national-platform"):
        assert f"client_id={client_id}" in printed
    national = FhirClient.objects.get(application__client_id="demo-national-platform")
    secret = printed.split("client_id=demo-national-platform client_secret=")[1].split()[0]
    call_command("demo_fhir_clients")  # again: the same secrets still work
    assert request_token(type("C", (), {"client_id": "demo-national-platform",
                                         "secret": secret})()).status_code == 200
    assert national.application.user.role == Role.NATIONAL_PLATFORM
