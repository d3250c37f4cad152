"""A doctor finds hypertension by its Russian and Uzbek names and prescribes two
medicines; the patient prints the A6 slip and an 80 mm queue ticket (print media, looked
at); a pharmacist reads the slip's compact QR from a screenshot and verifies it."""

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from dmed.models import User
from patients.models import PatientCard
from queues import services as queue_services
from tests.e2e.helpers import demo_room_open_around_the_clock, sign_in, sign_out


def _pick_diagnosis(page, typed: str, code: str) -> None:
    page.fill("#id_diagnosis", "")
    page.type("#id_diagnosis", typed, delay=30)
    first = page.wait_for_selector("#id_diagnosis-suggestions li >> nth=0")
    assert first.get_attribute("data-code") == code, typed


def _add_medicine(page, row: int, name: str, quantity: str) -> None:
    page.type(f"#id_items-{row}-drug", name, delay=40)
    option = page.wait_for_selector(f"#drug-suggestions option[value*='{name}']",
                                    state="attached")
    page.fill(f"#id_items-{row}-drug", option.get_attribute("value"))
    page.fill(f"#id_items-{row}-quantity", quantity)
    page.fill(f"#id_items-{row}-dosage", "1 tabletka")
    page.fill(f"#id_items-{row}-frequency", "kuniga 1 marta")


def test_hypertension_by_any_name_a_printed_slip_and_ticket_and_a_scanned_qr(
        page, live_server, demo_world, screenshot):
    base = live_server.url
    card = PatientCard.objects.get(user__username="patient")

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{card.med_id}/")
    page.click("[data-testid=write-prescription]")
    _pick_diagnosis(page, "гипертония", "I10")
    _pick_diagnosis(page, "gipertenziya", "I10")
    page.press("#id_diagnosis", "Enter")
    assert page.input_value("#id_diagnosis") == "I10"
    _add_medicine(page, 0, "Amlodipine", "30")
    _add_medicine(page, 1, "Metformin", "60")
    page.click("[data-testid=sign]")
    page.wait_for_selector("[data-testid=qr] svg")
    code = page.inner_text("[data-testid=code]")
    sign_out(page)

    sign_in(page, base, "patient")
    page.goto(f"{base}/me/prescriptions/")
    page.click(f"[data-testid=slip-{code.replace('-', '')}]")
    page.wait_for_selector("[data-testid=paper] [data-testid=qr] svg")
    page.emulate_media(media="print")
    # expect waits: the print media and the stylesheet may apply a frame later
    expect(page.locator("[data-testid=print]")).to_be_hidden()  # the button is not printed
    slip = screenshot("slip-print")
    qr_image = slip.with_name(slip.stem + "-qr.png")
    page.locator("[data-testid=paper] [data-testid=qr]").screenshot(path=str(qr_image))
    [scanned] = zxingcpp.read_barcodes(Image.open(qr_image))
    assert scanned.text.startswith("DMEDRX2:") and len(scanned.text) < 300

    ticket = queue_services.issue_ticket(actor=User.objects.get(username="registrar"),
                                         service_point=demo_room_open_around_the_clock(),
                                         med_id=card.med_id)
    page.emulate_media(media="screen")
    page.goto(f"{base}/queue/tickets/{ticket.public_id}/")
    page.click("[data-testid=print-ticket]")
    page.wait_for_selector("[data-testid=paper] [data-testid=ticket-number]")
    page.emulate_media(media="print")
    assert page.inner_text("[data-testid=ticket-number]") == ticket.display_number
    screenshot("ticket-print")
    page.emulate_media(media="screen")
    page.goto(f"{base}/")  # paper pages have no header to sign out from
    sign_out(page)

    sign_in(page, base, "pharmacist")
    page.goto(f"{base}/pharmacy/")
    page.fill("#id_code", scanned.text)
    page.fill("#id_patient_check", card.pinfl[-4:])
    page.click("[data-testid=find]")
    page.wait_for_selector("[data-testid=dispense]")
    assert code.replace("-", "") in page.url
    screenshot("pharmacist-verified-qr")
