"""The doctor prescribes, the patient sees the QR, the pharmacist dispenses half, then
the rest, then is refused; the patient sees what is left at each step."""

from patients.models import PatientCard
from tests.e2e.helpers import sign_in, sign_out


def test_prescribe_dispense_half_then_the_rest_then_refused(page, live_server, demo_world,
                                                           screenshot):
    base = live_server.url
    card = PatientCard.objects.get(user__username="patient")

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{card.med_id}/")
    page.click("[data-testid=write-prescription]")
    # The visit form's ICD-10 autocomplete: type, the suggestion comes, Enter picks it.
    page.type("#id_diagnosis", "J02.9", delay=30)
    page.wait_for_selector("#id_diagnosis-suggestions li[data-code='J02.9']")
    page.press("#id_diagnosis", "Enter")
    assert page.inner_text("[data-testid=title-diagnosis]")  # the code's title, named
    # The registry's suggestions come as the doctor types; picking one names the drug.
    page.type("#id_items-0-drug", "Flemox", delay=40)
    option = page.wait_for_selector("#drug-suggestions option[value*='#']", state="attached")
    assert "Amoxicillin" in option.get_attribute("value")
    page.fill("#id_items-0-drug", option.get_attribute("value"))
    page.fill("#id_items-0-quantity", "20")
    page.fill("#id_items-0-dosage", "1 kapsula")
    page.fill("#id_items-0-frequency", "kuniga 3 marta")
    page.fill("#id_items-0-instructions", "Ovqatdan keyin")
    screenshot("doctor-writes")
    page.click("[data-testid=sign]")
    page.wait_for_selector("[data-testid=qr] svg")
    code = page.inner_text("[data-testid=code]")
    screenshot("doctor-signed")
    sign_out(page)

    sign_in(page, base, "patient")
    page.goto(f"{base}/me/prescriptions/")
    mine = f"[data-testid=prescription-{code.replace('-', '')}]"
    page.wait_for_selector(f"{mine} [data-testid=qr] svg")
    assert page.inner_text(f"{mine} [data-testid=state-1]") == "tayyor"  # "ready"
    screenshot("patient-sees-qr")
    sign_out(page)

    sign_in(page, base, "pharmacist")
    page.goto(f"{base}/pharmacy/")
    page.fill("#id_code", code.lower())
    page.fill("#id_patient_check", card.pinfl[-4:])
    page.click("[data-testid=find]")
    page.fill("[data-testid=quantity-1]", "10")
    screenshot("pharmacist-half")
    page.click("[data-testid=dispense]")
    page.wait_for_selector("[data-testid=receipt]")
    assert "10 ta berildi, 10 ta qoldi" in page.inner_text("[data-testid=receipt-lines]")
    screenshot("receipt-half")
    sign_out(page)

    sign_in(page, base, "patient")
    page.goto(f"{base}/me/prescriptions/")
    assert page.inner_text(f"{mine} [data-testid=state-1]") == "qisman berildi, 10 ta qoldi"
    screenshot("patient-sees-left")
    sign_out(page)

    sign_in(page, base, "pharmacist")
    page.goto(f"{base}/pharmacy/")
    page.fill("#id_code", code)
    page.fill("#id_patient_check", card.birth_date.strftime("%d.%m.%Y"))
    page.click("[data-testid=find]")
    assert page.input_value("[data-testid=quantity-1]") == "10"
    page.click("[data-testid=dispense]")
    page.wait_for_selector("[data-testid=receipt]")
    page.click("[data-testid=next]")
    page.fill("#id_code", code)
    page.fill("#id_patient_check", card.pinfl[-4:])
    page.click("[data-testid=find]")
    page.wait_for_selector("[data-testid=refusal]")
    assert page.locator("[data-testid=dispense]").count() == 0
    screenshot("pharmacist-refused")
