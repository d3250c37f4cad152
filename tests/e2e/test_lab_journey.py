"""The whole clinical loop in a browser: the doctor records a visit from a protocol and
orders its suggested tests from the visit, the laboratory enters and releases the result,
and the patient sees it with its flag, its history chart and a PDF."""

from patients.models import PatientCard
from tests.e2e.helpers import fill_placeholders, sign_in, sign_out


def test_visit_protocol_order_release_and_the_patient_sees_the_flag(page, live_server,
                                                                    demo_world, screenshot):
    base = live_server.url
    med_id = PatientCard.objects.get(user__username="patient").med_id

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{med_id}/")
    page.click("[data-testid=start-visit]")
    page.wait_for_selector("[data-testid=visit-form]")
    page.keyboard.type("Holsizlik, bosh aylanishi")
    page.fill("#id_primary_diagnosis", "")
    page.type("#id_primary_diagnosis", "D50", delay=30)
    page.wait_for_selector("#id_primary_diagnosis-suggestions li[data-code=D50]")
    page.press("#id_primary_diagnosis", "Enter")
    page.wait_for_selector("[data-testid=protocol]")
    assert "Gemoglobin" in page.inner_text("[data-testid=protocol]")
    page.click("[data-testid=save-and-order]")

    page.wait_for_selector("[data-testid=place-order]")
    ticked = page.locator("[data-testid=tests] input:checked")
    assert sorted(ticked.evaluate_all("boxes => boxes.map(b => b.value)")) == [
        "FERR", "HGB", "PLT"]
    screenshot("doctor-orders-from-the-visit")
    page.click("[data-testid=place-order]")
    page.wait_for_selector("[data-testid=visit-form]")  # back to writing the visit
    assert page.input_value("#id_primary_diagnosis") == "D50"
    fill_placeholders(page)
    page.keyboard.press("Control+Enter")
    page.click("[data-testid=confirm-seal]")  # after seeing what will be sealed
    page.wait_for_selector("[data-testid=visit-status]")
    sign_out(page)

    sign_in(page, base, "lab")
    page.goto(f"{base}/lab/worklist/")
    screenshot("worklist")
    page.click("[data-testid=worklist-order]:last-child a")
    page.wait_for_selector("[data-testid=test-HGB]")
    # Every test of the order in one form, one save: a mistyped value keeps the others.
    page.fill("#id_HGB-value", "118")
    page.fill("#id_PLT-value", "2O5")
    page.fill("#id_FERR-comment", "keyinroq")
    page.click("[data-testid=save-results]")
    page.wait_for_selector("[data-testid=entry-PLT].invalid")
    assert page.input_value("#id_HGB-value") == "118"
    assert page.input_value("#id_FERR-comment") == "keyinroq"
    screenshot("a-mistyped-value-is-marked")
    page.fill("#id_PLT-value", "205")
    page.fill("#id_FERR-comment", "")
    page.click("[data-testid=save-results]")
    page.wait_for_selector("[data-testid=release-HGB]")
    assert "Past" in page.inner_text("[data-testid=test-HGB] [data-testid=flag]")
    screenshot("entered")
    page.click("[data-testid=release-HGB]")
    page.wait_for_selector("text=Natija chiqarildi.")
    sign_out(page)

    sign_in(page, base, "patient")
    page.click("text=Mening tahlil natijalarim")
    result = page.locator("[data-testid=result-HGB]")
    assert result.locator("[data-testid=value]").inner_text() == "118"
    assert result.locator("[data-testid=flag]").inner_text() == "Past"
    assert result.locator("svg.history").count() == 1  # the demo history of haemoglobin
    screenshot("patient-results")
    pdf = page.request.get(base + result.locator("[data-testid=pdf]").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")
