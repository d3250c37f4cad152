"""The doctor's day starts at home: the room's queue is there and live, the desk calls the
next patient, and the called patient's card is one click away. Every role's home page is
photographed at phone and desktop width to be looked at."""

import pytest

from dmed.models import User
from patients.models import PatientCard
from queues import services
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    DEMO_FACILITY,
    add_allergy_in_visit,
    demo_room_open_around_the_clock,
    fill_placeholders,
    sign_in,
)


def _walk_in() -> PatientCard:
    """The registrar gives a walk-in ticket to the doctor's room for a demo patient who has
    not been there today."""
    room = demo_room_open_around_the_clock()
    card = (PatientCard.objects.filter(attached_facility__code=DEMO_FACILITY)
            .exclude(tickets__service_point=room).order_by("pk").first())
    services.issue_ticket(actor=User.objects.get(username="registrar"), service_point=room,
                          med_id=card.med_id)
    return card


def test_doctors_day_from_home_to_the_next_patients_card(page, live_server, demo_world,
                                                         screenshot):
    base = live_server.url
    first = _walk_in()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, "doctor")
    panel = page.locator("[data-testid=panel-room-queue]")
    assert first.full_name in panel.inner_text()
    assert page.inner_text("[data-testid=waiting-count]") == "1"
    screenshot("doctor-home-one-waiting")

    # The queue panel is live: a second walk-in appears without reloading the page.
    _walk_in()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=waiting-count]').innerText === '2'",
        timeout=15_000)

    page.click("[data-testid=open-desk]")
    page.wait_for_selector("[data-testid=call-next]")
    desk = page.url
    # The keys work once the desk's deferred script has run; a key pressed while the page
    # still loads is lost on a busy machine.
    page.wait_for_load_state("load")
    page.keyboard.press("n")
    page.wait_for_selector("[data-testid=serving]")
    assert first.full_name in page.inner_text("[data-testid=serving-name]")

    page.click("text=DMED")  # the brand goes home
    page.wait_for_selector("[data-testid=called-patient]")
    screenshot("doctor-home-called")
    page.click("[data-testid=called-patient]")  # one click to the card
    page.wait_for_url(f"**/patients/{first.med_id}/")
    assert first.med_id in page.content()

    # Back at the desk, completing the ticket (asked first) opens the visit under the
    # patient's banner; a second call before that is refused.
    page.goto(desk)
    page.wait_for_load_state("load")
    page.keyboard.press("n")
    refused = page.wait_for_selector(".messages .error")
    assert page.inner_text("[data-testid=serving] .number") in refused.inner_text()
    assert page.locator("[data-testid=serving]").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("c")
    page.wait_for_url("**/visits/*/edit/")
    assert first.full_name in page.inner_text("[data-testid=clinical-banner]")
    page.keyboard.type("Yo‘tal, harorat")  # the complaints have the focus
    add_allergy_in_visit(page, "Amoxicillin", "Urticaria")
    assert "Amoxicillin" in page.inner_text("[data-testid=banner-allergies]")
    page.fill("#id_primary_diagnosis", "J06.9")
    page.fill("#id_examination", "Tomoq qizargan")
    fill_placeholders(page)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=confirm-seal]")  # what will be sealed, first
    assert "Yo‘tal, harorat" in page.inner_text("[data-testid=visit-content]")
    screenshot("doctor-confirms-the-seal")
    page.click("[data-testid=confirm-seal]")
    page.wait_for_selector("[data-testid=visit-status]")
    assert "imzolangan" in page.inner_text("[data-testid=visit-status]")


ROLES = ["doctor", "nurse", "registrar", "lab", "pharmacist", "patient", "cardiologist"]


@pytest.mark.parametrize("username", ROLES)
def test_every_roles_home_at_phone_and_desktop_width(page, live_server, demo_world, username):
    base = live_server.url
    if username == "doctor":
        _walk_in()
    sign_in(page, base, username)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, width, height in (("phone", 390, 844), ("desktop", 1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base}/")
        page.wait_for_selector("[data-testid=greeting]")
        # Nothing runs off the side of a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{username} at {width}px scrolls sideways by {overflow}px"
        page.screenshot(path=str(ARTIFACTS / f"home-{username}-{name}.png"), full_page=True)
