"""A patient signs in on a phone, approves an app on the consent screen, the app's token
reads the patient's own Patient and Observations and is refused another patient's; the
patient revokes the app on their connected-apps page and the token stops working."""

from fhir.services import register_person_app
from patients.models import PatientCard
from tests.e2e.helpers import sign_in
from tests.fhir.test_person_apps import REDIRECT, pkce_pair

APP_PAGE = "<html><body>Health diary received the answer.</body></html>"


def test_a_patient_approves_an_app_and_revokes_it(page, live_server, demo_world, screenshot):
    register_person_app(name="Sog‘lom hayot", client_id="health-diary",
                        redirect_uris=[REDIRECT],
                        scopes=["patient/Patient.rs", "patient/Observation.rs"])
    own = PatientCard.objects.get(user__username="patient")
    other = PatientCard.objects.exclude(pk=own.pk).exclude(
        representatives__representative__username="patient").first()
    base = live_server.url
    sign_in(page, base, "patient")

    # The app's own page is not here: the browser's redirect to it is answered locally.
    codes = []

    def app_page(route):
        codes.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=APP_PAGE)

    page.route("https://app.example/**", app_page)
    verifier, challenge = pkce_pair()
    page.goto(f"{base}/o/authorize/?response_type=code&client_id=health-diary"
              f"&redirect_uri={REDIRECT}&scope=patient/Patient.rs%20patient/Observation.rs"
              f"&state=s1&code_challenge={challenge}&code_challenge_method=S256")
    page.wait_for_selector("[data-testid=consent-scopes]")
    assert "Sog‘lom hayot" in page.inner_text("h1")
    screenshot("consent")
    page.click("[data-testid=consent-allow]")
    page.wait_for_selector("text=Health diary received the answer.")
    code = codes[0].split("code=")[1].split("&")[0]

    token = page.request.post(f"{base}/o/token/", form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": "health-diary", "code_verifier": verifier}).json()
    assert token["patient"] == own.med_id
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert page.request.get(f"{base}/fhir/Patient/{own.med_id}",
                            headers=bearer).json()["id"] == own.med_id
    observations = page.request.get(f"{base}/fhir/Observation?patient={own.med_id}",
                                    headers=bearer)
    assert observations.status == 200
    assert observations.json()["resourceType"] == "Bundle"
    assert page.request.get(f"{base}/fhir/Patient/{other.med_id}",
                            headers=bearer).status == 404

    page.goto(f"{base}/")
    page.click("[data-testid=connected-apps-link]")
    page.wait_for_selector("[data-testid=connected-app]")
    assert "Sog‘lom hayot" in page.inner_text("[data-testid=connected-app]")
    screenshot("connected-apps")
    page.click("[data-testid=revoke]")
    page.wait_for_selector(".messages")
    assert page.locator("[data-testid=connected-app]").count() == 0
    screenshot("revoked")
    assert page.request.get(f"{base}/fhir/Patient/{own.med_id}",
                            headers=bearer).status == 401
