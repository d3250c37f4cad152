"""A doctor reaches a card outside scope by its exact MED-ID; a registrar reads a visit
without its clinical text."""

from clinics.visits.models import Visit, VisitStatus
from tests.e2e.helpers import sign_in
from tests.factories import FacilityFactory
from tests.patients.factories import CardFactory


def test_doctor_types_an_outside_med_id_sees_the_card_exists_and_breaks_the_glass(
        page, live_server, demo_world, screenshot):
    card = CardFactory(last_name="Xolmatova", first_name="Nodira",
                       attached_facility=FacilityFactory(name="5-sonli oilaviy poliklinika"))
    base = live_server.url
    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/")
    page.fill("[data-testid=search]", card.med_id)
    page.press("[data-testid=search]", "Enter")
    page.wait_for_selector("[data-testid=glimpse]")
    glimpse = page.inner_text("[data-testid=glimpse]")
    assert "X.N." in glimpse and "1985" in glimpse and "Nodira" not in glimpse
    assert page.locator("[data-testid=register-new]").count() == 0
    screenshot("glimpse")
    page.fill("[data-testid=glimpse] textarea[name=reason]",
              "Brought in unconscious, needs her allergies")
    page.click("[data-testid=break-glass] button[type=submit]")
    page.wait_for_selector("[data-testid=med-id]")
    assert page.inner_text("[data-testid=card-name]") == card.full_name
    assert page.locator("p.banner.danger").count() == 1
    screenshot("card-opened")


def test_a_registrar_reading_a_visit_sees_no_clinical_text(page, live_server, demo_world,
                                                           screenshot):
    visit = Visit.objects.filter(status=VisitStatus.CLOSED).exclude(complaints="").first()
    base = live_server.url
    sign_in(page, base, "registrar")
    page.goto(f"{base}/visits/{visit.public_id}/")
    page.wait_for_selector("[data-testid=visit-status]")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert visit.complaints not in text
    assert visit.clinician.full_name in text
    assert page.locator("[data-testid=diagnoses]").count() == 0
    assert page.locator("[data-testid=addenda]").count() == 0
    assert page.locator("[data-testid=need-to-know]").count() == 1
    screenshot("registrar-visit")
