"""The family doctor opens a card, starts a visit, finds the diagnosis by typing, gets the
protocol's pre-filled form, records vitals (a slip is refused), closes and signs."""

from patients.models import PatientCard
from tests.e2e.helpers import sign_in


def test_doctor_records_a_visit_from_a_protocol(page, live_server, demo_world, screenshot):
    base = live_server.url
    med_id = PatientCard.objects.get(user__username="patient").med_id
    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{med_id}/")
    page.click("[data-testid=start-visit]")
    page.wait_for_selector("[data-testid=visit-form]")

    page.keyboard.type("Bosh og‘rig‘i, ensada og‘irlik")  # complaints have the focus
    page.fill("#id_primary_diagnosis", "")
    page.type("#id_primary_diagnosis", "essential hypert", delay=30)
    page.wait_for_selector("#id_primary_diagnosis-suggestions li[data-code=I10]")
    screenshot("diagnosis-suggestions")
    page.press("#id_primary_diagnosis", "Enter")
    page.wait_for_selector("[data-testid=protocol]")
    assert page.input_value("#id_primary_diagnosis") == "I10"
    assert "Kreatinin" in page.input_value("#id_plan") or "kreatinin" in page.input_value(
        "#id_plan")
    assert page.input_value("#id_recommendations").startswith("Osh tuzini")
    assert "Amlodipine" in page.inner_text("[data-testid=protocol]")

    for field, value in [("bp_systolic", "150"), ("bp_diastolic", "95"), ("pulse", "400"),
                         ("temperature", "36,6"), ("spo2", "97"), ("weight", "82"),
                         ("height", "176")]:
        page.fill(f"#id_{field}", value)
    assert page.inner_text("[data-testid=bmi]") == "26.5"
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=error-pulse]")
    assert page.input_value("#id_plan")  # what was typed and pre-filled is still there
    page.fill("#id_pulse", "84")
    screenshot("visit-form")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=visit-status]")
    assert "imzolangan" in page.inner_text("[data-testid=visit-status]")
    assert "I10" in page.inner_text("[data-testid=diagnoses]")
    assert "150/95" in page.inner_text("[data-testid=vitals]")
    screenshot("visit-closed")


def test_cardiologist_reads_the_ward_board_and_writes_a_daily_note(page, live_server,
                                                                   demo_world, screenshot):
    base = live_server.url
    sign_in(page, base, "cardiologist")
    page.click("a[href='/wards/']")
    page.click("[data-testid=departments] a:has-text(\"Kardiologiya\")")
    page.wait_for_selector("[data-testid=ward-board]")
    assert page.locator(".bed.occupied").count() == 2
    screenshot("ward-board")
    page.click(".bed.occupied a")
    page.fill("#id_text", "AB 128/80, puls 72. Ko‘krak og‘rig‘i yo‘q.")
    page.click("text=Yozuvni qo‘shish")
    page.wait_for_selector("text=Ko‘krak og‘rig‘i yo‘q.")
    screenshot("stay")
