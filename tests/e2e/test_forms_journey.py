"""Forms that look finished: the registrar sees whose card a typed MED-ID is before issuing a
ticket or booking; the prescription form reads top to bottom, one medicine per row."""

from patients.models import PatientCard
from tests.e2e.helpers import sign_in, sign_out


def _name_under(page, typed: str) -> str:
    page.fill("#id_med_id", "")
    page.type("#id_med_id", typed, delay=20)
    shown = page.locator("[data-testid=patient-name]")
    page.wait_for_function(
        "el => el.textContent.trim() !== ''", arg=shown.element_handle(), timeout=5000)
    return shown.inner_text()


def test_the_med_id_shows_the_patients_name_and_the_prescription_form_reads_in_order(
        page, live_server, demo_world, screenshot):
    base = live_server.url
    card = PatientCard.objects.get(user__username="patient")
    name = " ".join(part for part in (card.last_name, card.first_name, card.middle_name) if part)
    spaced = f"{card.med_id[:3]} {card.med_id[3:6]} {card.med_id[6:]}"
    page.set_viewport_size({"width": 1100, "height": 900})

    sign_in(page, base, "registrar")
    page.goto(f"{base}/queue/walk-in/")
    assert _name_under(page, spaced) == name  # typed as printed on the card
    assert "MED-ID" in _name_under(page, "0000000000")  # no such card: said so
    page.goto(f"{base}/queue/book/")
    assert _name_under(page, card.med_id) == name
    screenshot("booking-name")
    sign_out(page)

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{card.med_id}/prescriptions/new/")
    diagnosis = page.locator("#id_diagnosis").bounding_box()
    medicine = page.locator("#id_items-0-drug").bounding_box()
    quantity = page.locator("#id_items-0-quantity").bounding_box()
    days = page.locator("#id_items-0-duration_days").bounding_box()
    second = page.locator("#id_items-1-drug").bounding_box()
    assert diagnosis["y"] < medicine["y"] < second["y"]  # the diagnosis first, then line 1
    assert abs(medicine["y"] - quantity["y"]) < 2 and abs(medicine["y"] - days["y"]) < 2
    assert medicine["x"] < quantity["x"] < days["x"]  # one medicine across one row
    screenshot("prescription-form")
