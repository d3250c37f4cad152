"""Apps acting for a person (SMART App Launch): the authorization code grant with PKCE
through the consent screen, patient and user scopes, the launch context, revocation by the
person, and the refusals (no PKCE, wrong verifier, scope beyond the role, another patient's
record, a staff token outside scope, a revoked grant)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir.grants import CONSENT_OBJECT, record_consent
from fhir.models import AppConsent, PersonApp
from fhir.services import register_person_app
from patients.models import Representation
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory, UserFactory
from tests.fhir.conftest import Fhir
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db

REDIRECT = "https://app.example/callback"
PATIENT_SCOPES = "patient/Patient.rs patient/Observation.rs"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def app():
    return register_person_app(
        name="Health diary", client_id="health-diary", redirect_uris=[REDIRECT],
        scopes=["patient/*.rs", "patient/Patient.rs", "patient/Observation.rs",
                "user/*.rs", "user/Patient.rs", "launch/patient", "offline_access"])


@pytest.fixture
def patient(world, card):
    person = UserFactory(role=Role.PATIENT)
    card.user = person
    card.save(update_fields=["user"])
    released_result(world, card, "GLU", Decimal("5.4"))
    return person


def authorize_query(challenge: str | None, scope: str, **extra) -> dict:
    query = {"response_type": "code", "client_id": "health-diary", "redirect_uri": REDIRECT,
             "scope": scope, "state": "xyz", **extra}
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    return query


def approve(browser: Client, scope: str, challenge: str | None) -> str:
    """Open the consent screen and allow: the redirect's code."""
    screen = browser.get("/o/authorize/", authorize_query(challenge, scope),
                         HTTP_ACCEPT_LANGUAGE="en")
    assert screen.status_code == 200, screen.content.decode()[-2000:]
    form = screen.context["form"].initial
    answer = browser.post("/o/authorize/", {**{k: v or "" for k, v in form.items()},
                                            "allow": "1"})
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(code: str, verifier: str | None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "health-diary"}
    if verifier is not None:
        data["code_verifier"] = verifier
    return Client().post("/o/token/", data)


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def token_of(user, scope: str = PATIENT_SCOPES) -> dict:
    verifier, challenge = pkce_pair()
    response = exchange(approve(signed_in(user), scope, challenge), verifier)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_patient_approves_and_the_app_reads_their_own_record(app, patient, card, world):
    browser = signed_in(patient)
    verifier, challenge = pkce_pair()
    screen = browser.get("/o/authorize/", authorize_query(challenge, PATIENT_SCOPES),
                         HTTP_ACCEPT_LANGUAGE="en")
    page = screen.content.decode()
    assert "Allow Health diary to read your data?" in page
    assert "Read and search your lab results and vital signs" in page
    assert "Read and search your identity and contacts" in page
    code = approve(browser, PATIENT_SCOPES, challenge)
    body = exchange(code, verifier).json()
    assert body["patient"] == card.med_id
    assert set(body["scope"].split()) == set(PATIENT_SCOPES.split())
    assert body["refresh_token"]

    fhir = Fhir(body["access_token"])
    assert fhir.get(f"Patient/{card.med_id}").json()["id"] == card.med_id
    observations = fhir.get("Observation", {"patient": card.med_id}).json()
    assert [e["resource"]["code"]["coding"][0]["code"] for e in observations["entry"]]
    # Every read is audited as the patient's own, naming the app.
    reads = AuditEvent.objects.filter(actor=patient, patient_med_id=card.med_id, allowed=True)
    assert reads.exists()
    assert all(event.user_agent.startswith("SMART app health-diary (Health diary)")
               for event in reads)
    consent = AppConsent.objects.get(user=patient)
    assert consent.scope_list() == PATIENT_SCOPES.split()
    assert AuditEvent.objects.filter(actor=patient, object_type=CONSENT_OBJECT,
                                     object_id="health-diary", action="create").exists()


def test_the_patient_token_refuses_another_patient_and_what_its_scopes_do_not_name(
        app, patient, card, world):
    stranger = CardFactory(attached_facility=world.polyclinic)
    fhir = Fhir(token_of(patient)["access_token"])
    assert fhir.get(f"Patient/{stranger.med_id}").status_code == 404
    assert fhir.get("Observation", {"patient": stranger.med_id}).status_code == 404
    refused = fhir.get("Encounter", {"patient": card.med_id})
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(actor=patient, patient_med_id=stranger.med_id,
                                     allowed=False).exists()


def test_a_representative_reads_the_represented_child_and_nobody_else(app, world):
    mother = UserFactory(role=Role.PATIENT)
    CardFactory(user=mother)
    child = CardFactory(birth_date=date(2020, 3, 1))
    Representation.objects.create(card=child, representative=mother, basis="mother",
                                  valid_from=date(2020, 3, 1))
    fhir = Fhir(token_of(mother, "patient/*.rs")["access_token"])
    assert fhir.get(f"Patient/{child.med_id}").status_code == 200
    assert fhir.get(f"Patient/{CardFactory().med_id}").status_code == 404


def test_a_clinicians_token_reads_within_their_scope_only(app, world, card):
    verifier, challenge = pkce_pair()
    code = approve(signed_in(world.doctor), "user/Patient.rs", challenge)
    body = exchange(code, verifier).json()
    assert "patient" not in body
    fhir = Fhir(body["access_token"])
    assert fhir.get(f"Patient/{card.med_id}").status_code == 200
    elsewhere = CardFactory(attached_facility=FacilityFactory())
    outside = fhir.get(f"Patient/{elsewhere.med_id}")
    assert outside.status_code == 403
    assert AuditEvent.objects.filter(actor=world.doctor, patient_med_id=elsewhere.med_id,
                                     allowed=False).exists()


def test_without_pkce_or_with_a_wrong_verifier_there_is_no_token(app, patient):
    browser = signed_in(patient)
    refused = browser.get("/o/authorize/", authorize_query(None, PATIENT_SCOPES))
    assert refused.status_code == 302
    assert "error=invalid_request" in refused["Location"]
    plain = browser.get("/o/authorize/", authorize_query(
        None, PATIENT_SCOPES, code_challenge="a" * 43, code_challenge_method="plain"))
    assert plain.status_code == 302, plain.content.decode()[-1500:]
    assert "error=" in plain["Location"]
    assert not AppConsent.objects.exists()

    verifier, challenge = pkce_pair()
    code = approve(browser, PATIENT_SCOPES, challenge)
    wrong = exchange(code, pkce_pair()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = exchange(code, None)
    assert missing.status_code == 400
    assert not AccessToken.objects.exists()


def test_scopes_beyond_the_role_are_refused(app, patient, world):
    for person, scope in ((patient, "user/*.rs"), (world.doctor, "patient/*.rs"),
                          (patient, "system/Patient.rs"),
                          (world.doctor, "user/Patient.rs launch/patient")):
        _verifier, challenge = pkce_pair()
        answer = signed_in(person).get("/o/authorize/", authorize_query(challenge, scope))
        assert answer.status_code == 302, scope
        assert "error=invalid_scope" in answer["Location"], scope
        # A forged approval of the same request is refused too.
        forged = signed_in(person).post("/o/authorize/", {
            **authorize_query(challenge, scope), "allow": "1"})
        assert "code=" not in forged.get("Location", ""), scope
    assert not Grant.objects.exists()
    assert not AppConsent.objects.exists()


def test_denying_sends_the_app_away_with_nothing(app, patient):
    browser = signed_in(patient)
    _verifier, challenge = pkce_pair()
    screen = browser.get("/o/authorize/", authorize_query(challenge, PATIENT_SCOPES))
    form = screen.context["form"].initial
    denied = browser.post("/o/authorize/", {k: v or "" for k, v in form.items()})
    assert "error=access_denied" in denied["Location"]
    assert not Grant.objects.exists()
    assert not AppConsent.objects.exists()


def test_the_consent_screen_needs_a_signed_in_person(app):
    _verifier, challenge = pkce_pair()
    answer = Client().get("/o/authorize/", authorize_query(challenge, PATIENT_SCOPES))
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login/")


def test_the_person_revokes_an_app_and_its_tokens_stop(app, patient, card):
    body = token_of(patient)
    fhir = Fhir(body["access_token"])
    assert fhir.get(f"Patient/{card.med_id}").status_code == 200
    browser = signed_in(patient)
    page = browser.get("/connected-apps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Health diary" in page
    assert "Read and search your lab results and vital signs" in page
    revoked = browser.post("/connected-apps/health-diary/revoke/", HTTP_ACCEPT_LANGUAGE="en")
    assert revoked.status_code == 302
    assert fhir.get(f"Patient/{card.med_id}").status_code == 401
    refreshed = Client().post("/o/token/", {"grant_type": "refresh_token",
                                            "refresh_token": body["refresh_token"],
                                            "client_id": "health-diary"})
    assert refreshed.status_code == 400
    assert not AccessToken.objects.filter(user=patient).exists()
    assert not RefreshToken.objects.filter(user=patient).exists()
    after = browser.get(revoked["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Health diary can no longer read your data." in after
    assert 'data-testid="connected-app"' not in after
    assert AuditEvent.objects.filter(actor=patient, object_type=CONSENT_OBJECT,
                                     action="update", reason="revoked").exists()
    # Nothing left to revoke; another person's app is not theirs to revoke either.
    assert browser.post("/connected-apps/health-diary/revoke/").status_code == 404


def test_one_person_cannot_revoke_anothers_app(app, patient, world):
    token_of(patient)
    other = signed_in(world.doctor)
    assert other.post("/connected-apps/health-diary/revoke/").status_code == 404
    assert AppConsent.objects.get(user=patient).revoked_at is None
    assert other.get("/connected-apps/health-diary/revoke/").status_code == 405


def test_the_refresh_token_keeps_the_launch_context(app, patient, card):
    body = token_of(patient)
    refreshed = Client().post("/o/token/", {"grant_type": "refresh_token",
                                            "refresh_token": body["refresh_token"],
                                            "client_id": "health-diary"}).json()
    assert refreshed["patient"] == card.med_id
    assert Fhir(refreshed["access_token"]).get(f"Patient/{card.med_id}").status_code == 200


def test_a_disabled_app_is_refused_with_the_token_it_has(app, patient, card):
    token = token_of(patient)["access_token"]
    PersonApp.objects.update(is_active=False)
    assert Fhir(token).get(f"Patient/{card.med_id}").status_code == 401


def test_a_person_app_cannot_use_client_credentials(app):
    refused = Client().post("/o/token/", {"grant_type": "client_credentials",
                                          "client_id": "health-diary"})
    assert refused.status_code in (400, 401)
    assert "access_token" not in refused.json()


def test_discovery_and_metadata_state_the_grant(client):
    smart = client.get("/fhir/.well-known/smart-configuration").json()
    assert smart["authorization_endpoint"].endswith("/o/authorize/")
    assert smart["code_challenge_methods_supported"] == ["S256"]
    assert "authorization_code" in smart["grant_types_supported"]
    assert "patient/*.rs" in smart["scopes_supported"]
    assert "permission-patient" in smart["capabilities"]
    security = client.get("/fhir/metadata").json()["rest"][0]["security"]
    uris = {e["url"]: e["valueUri"] for e in security["extension"][0]["extension"]}
    assert uris["authorize"].endswith("/o/authorize/")
    assert "PKCE" in security["service"][0]["text"]


def test_the_admin_registers_an_app_for_persons(client):
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    form = {
        "client_id": "diary", "client_secret": "", "client_type": "public",
        "authorization_grant_type": "authorization-code", "name": "Diary", "user": "",
        "redirect_uris": "", "post_logout_redirect_uris": "", "allowed_origins": "",
        "algorithm": "", "fhir_client-TOTAL_FORMS": "0", "fhir_client-INITIAL_FORMS": "0",
        "fhir_client-MIN_NUM_FORMS": "0", "fhir_client-MAX_NUM_FORMS": "1",
        "person_app-TOTAL_FORMS": "1", "person_app-INITIAL_FORMS": "0",
        "person_app-MIN_NUM_FORMS": "0", "person_app-MAX_NUM_FORMS": "1",
        "person_app-0-scopes": ["patient/Patient.rs", "patient/Observation.rs"],
        "person_app-0-is_active": "on",
    }
    wrong = client.post("/admin/oauth2_provider/application/add/", form,
                        HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 200
    assert b"redirect URIs" in wrong.content
    skipping = client.post("/admin/oauth2_provider/application/add/",
                           {**form, "redirect_uris": REDIRECT, "skip_authorization": "on"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert b"consent screen: it cannot be skipped" in skipping.content
    assert not PersonApp.objects.exists()
    form["redirect_uris"] = REDIRECT
    saved = client.post("/admin/oauth2_provider/application/add/", form)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    assert PersonApp.objects.get(application__client_id="diary").scope_list() == [
        "patient/Patient.rs", "patient/Observation.rs"]


def test_the_demo_patient_app_is_printed_in_debug(settings, capsys):
    call_command("seed_demo")
    settings.DEBUG = True
    call_command("demo_fhir_clients")
    assert "client_id=demo-patient-app" in capsys.readouterr().out
    assert PersonApp.objects.get(application__client_id="demo-patient-app").is_active


def test_the_connected_apps_page_is_in_uzbek_by_default_and_in_russian(app, patient):
    token_of(patient)
    browser = signed_in(patient)
    uzbek = browser.get("/connected-apps/").content.decode()
    russian = browser.get("/connected-apps/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Connected apps" not in uzbek and "Connected apps" not in russian
    assert uzbek != russian


def test_staff_and_a_clinician_see_the_link(world):
    page = signed_in(world.doctor).get("/connected-apps/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'data-testid="connected-apps-link"' in page.content
    assert b"You have not allowed any app." in page.content


def test_a_disabled_persons_token_stops(app, patient, card):
    token = token_of(patient)["access_token"]
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    assert Fhir(token).get(f"Patient/{card.med_id}").status_code == 401


def test_the_connected_apps_page_costs_the_same_queries_for_many_apps(
        patient, django_assert_max_num_queries):
    browser = signed_in(patient)
    for number in range(6):
        register_person_app(name=f"App {number}", client_id=f"app-{number}",
                            redirect_uris=[REDIRECT], scopes=["patient/*.rs"])
        record_consent(user=patient, application=Application.objects.get(
            client_id=f"app-{number}"), scopes=["patient/*.rs"])
    browser.get("/connected-apps/")
    with django_assert_max_num_queries(8):
        page = browser.get("/connected-apps/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.content.decode().count('data-testid="connected-app"') == 6


def test_a_smart_app_asks_for_the_patient_in_context_and_offline_access(
        app, patient, card):
    scope = "launch/patient offline_access patient/Patient.rs"
    browser = signed_in(patient)
    _verifier, challenge = pkce_pair()
    page = browser.get("/o/authorize/", authorize_query(challenge, scope),
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Know whose record it reads (your MED-ID)" in page
    assert "Keep reading while you are away, until you revoke it" in page
    body = token_of(patient, scope)
    assert body["patient"] == card.med_id
    assert set(body["scope"].split()) == set(scope.split())
    assert body["refresh_token"]
