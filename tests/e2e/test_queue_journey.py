"""A patient books their family doctor for today, checks in on arrival, the waiting-room
board shows the call, and the doctor completes the ticket from the keyboard, which opens
the visit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from queues import selectors
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import demo_room_open_around_the_clock, sign_in


def _a_slot_left_today():
    """The demo doctor's room is open around the clock in the shortest slots there are, so
    one is left today until ten minutes to midnight;
    after that the patient cannot book and check in on one day, and the journey waits for
    tomorrow."""
    room = demo_room_open_around_the_clock()
    soon = timezone.now() + timedelta(minutes=1)  # the browser takes its time to book
    if not any(slot.free and slot.starts_at > soon
               for slot in selectors.slots(room, timezone.localdate())):
        pytest.skip("no slot is left today; booking and checking in need one day")


def test_patient_books_checks_in_is_called_on_the_board_and_seen(
        page, new_context, live_server, demo_world, screenshot):
    _a_slot_left_today()
    base = live_server.url

    sign_in(page, base, "patient")
    page.goto(f"{base}/me/queue/")
    page.click("[data-testid=book]")
    page.click("[data-testid=slot-search] button[type=submit]")  # today, the only doctor
    page.wait_for_selector("[data-testid=slots]")
    screenshot("patient-slots")
    page.click("[data-testid=slots] button.free >> nth=0")
    page.wait_for_selector("[data-testid=check-in]")
    screenshot("patient-booked")
    page.click("[data-testid=check-in]")
    page.wait_for_selector("[data-testid=ticket-number]")
    number = page.inner_text("[data-testid=ticket-number]")
    assert number.startswith("A-")
    assert page.get_attribute("[data-testid=ticket]", "data-status") == "waiting"
    screenshot("patient-ticket-waiting")

    screen = new_context(viewport={"width": 1280, "height": 720}).new_page()
    screen.goto(f"{base}/queue/board/TSH-CHL-P12/")
    assert number in screen.inner_text("[data-testid=board-next]")

    desk = new_context(viewport={"width": 1024, "height": 768}, locale="uz-UZ").new_page()
    sign_in(desk, base, "doctor")
    desk.goto(f"{base}/queue/")
    desk.click("[data-testid=points] a >> text=Oilaviy shifokor")
    desk.wait_for_selector("[data-testid=call-next]")
    desk.wait_for_load_state("load")  # the keys work once the deferred desk script ran
    desk.keyboard.press("n")  # the desk works from the keyboard
    desk.wait_for_selector("[data-testid=serving]")
    assert "Abdullayev Shohruh" in desk.inner_text("[data-testid=serving-name]")
    ARTIFACTS.mkdir(exist_ok=True)
    desk.screenshot(path=str(ARTIFACTS / "queue-journey-desk-called.png"), full_page=True)

    screen.wait_for_function(
        "n => document.querySelector('[data-testid=board-called]').innerText.includes(n)",
        arg=number, timeout=15_000)
    assert "214" in screen.inner_text("[data-testid=board-called]")
    assert "Abdullayev" not in screen.content()
    screen.screenshot(path=str(ARTIFACTS / "queue-journey-board-called.png"))

    page.wait_for_selector("[data-testid=called-notice]", timeout=15_000)
    screenshot("patient-ticket-called")

    # Completing ends the ticket: the single key asks first. Dismissed, nothing happens.
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    desk.once("dialog", lambda dialog: answer(dialog, False))
    desk.keyboard.press("c")
    desk.wait_for_timeout(500)
    assert number in questions[0] and "/visits/" not in desk.url
    desk.once("dialog", lambda dialog: answer(dialog, True))
    desk.keyboard.press("c")  # completing at the doctor's room opens the visit
    desk.wait_for_url("**/visits/*/edit/", timeout=10_000)
    assert desk.evaluate("document.activeElement.name") == "complaints"
    desk.screenshot(path=str(ARTIFACTS / "queue-journey-visit-opened.png"), full_page=True)
    page.wait_for_selector("[data-testid=ticket][data-status=completed]", timeout=15_000)
    screenshot("patient-ticket-completed")
    screen.context.close()
    desk.context.close()
