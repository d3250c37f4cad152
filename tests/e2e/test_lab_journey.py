"""The doctor orders a test from the card, the laboratory enters and releases the result,
and the patient sees it with its flag, its history chart and a PDF."""

from patients.models import PatientCard
from tests.e2e.helpers import sign_in, sign_out


def test_order_enter_release_and_the_patient_sees_the_flag(page, live_server, demo_world,
                                                          screenshot):
    base = live_server.url
    med_id = PatientCard.objects.get(user__username="patient").med_id

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{med_id}/")
    page.click("[data-testid=clinical-links] [data-testid=order-tests]")
    page.check("[data-testid=tests] input[value=HGB]")
    screenshot("doctor-orders")
    page.click("[data-testid=place-order]")
    page.wait_for_selector("text=Laboratoriya natijalari")
    sign_out(page)

    sign_in(page, base, "lab")
    page.goto(f"{base}/lab/worklist/")
    screenshot("worklist")
    page.click("[data-testid=worklist-order]:last-child a")
    page.wait_for_selector("[data-testid=test-HGB]")
    page.fill("#id_HGB-value", "118")
    page.click("[data-testid=save-HGB]")
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
