"""The family doctor opens a card, starts a visit under the patient's banner, records an
allergy without leaving the visit, finds the diagnosis by typing, gets the protocol's
pre-filled form, records vitals (a slip is refused), is refused signing while the
template's placeholders remain, fills them, and signs after seeing what will be sealed.
What is typed survives the browser being closed mid-visit."""

import re

from patients.models import PatientCard
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import add_allergy_in_visit, fill_placeholders, sign_in


def test_doctor_records_a_visit_from_a_protocol(page, new_context, live_server, demo_world,
                                               screenshot):
    base = live_server.url
    med_id = PatientCard.objects.get(user__username="patient").med_id
    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{med_id}/")
    assert page.is_visible("[data-testid=banner-not-asked]")  # nobody asked about allergies
    page.click("[data-testid=start-visit]")
    page.wait_for_selector("[data-testid=visit-form]")
    assert "Abdullayev Shohruh" in page.inner_text("[data-testid=clinical-banner]")

    page.keyboard.type("Bosh og‘rig‘i, ensada og‘irlik")  # complaints have the focus
    # An allergy recorded in place: the visit and what is typed in it stay.
    add_allergy_in_visit(page, "Ibuprofen", "Quincke's oedema")
    assert "Ibuprofen" in page.inner_text("[data-testid=banner-allergies]")
    assert "Ibuprofen" in page.inner_text("[data-testid=allergy-list]")
    assert page.input_value("#id_complaints") == "Bosh og‘rig‘i, ensada og‘irlik"
    screenshot("allergy-in-visit")

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
    assert "[[" in page.input_value("#id_examination")  # what the template leaves to fill

    for field, value in [("bp_systolic", "150"), ("bp_diastolic", "95"), ("pulse", "400"),
                         ("temperature", "36,6"), ("spo2", "97"), ("weight", "82"),
                         ("height", "176")]:
        page.fill(f"#id_{field}", value)
    assert page.inner_text("[data-testid=bmi]") == "26.5"
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=error-pulse]")
    assert page.input_value("#id_plan")  # what was typed and pre-filled is still there
    page.fill("#id_pulse", "84")
    page.keyboard.press("Control+Enter")  # saved, but not signed: placeholders remain
    page.wait_for_selector("[data-testid=error-examination]")
    assert "[[…]]" in page.inner_text("[data-testid=error-examination]")
    assert not page.is_visible("[data-testid=confirm-seal]")
    screenshot("sign-refused")

    fill_placeholders(page)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=confirm-seal]")  # what will be sealed, first
    assert "me’yorida" in page.inner_text("[data-testid=visit-content]")
    assert not re.search(r"\[\[", page.inner_text("[data-testid=visit-content]"))
    assert "Ibuprofen" in page.inner_text("[data-testid=clinical-banner]")
    screenshot("confirm-seal")
    desktop = new_context(viewport={"width": 1366, "height": 900}, locale="uz-UZ")
    desktop.add_cookies(page.context.cookies())
    wide = desktop.new_page()
    wide.goto(page.url.replace("/edit/", "/"))
    ARTIFACTS.mkdir(exist_ok=True)
    wide.screenshot(path=str(ARTIFACTS / "visit-journey-desktop-banner.png"), full_page=True)
    wide.close()
    page.click("[data-testid=confirm-seal]")
    page.wait_for_selector("[data-testid=visit-status]")
    assert "imzolangan" in page.inner_text("[data-testid=visit-status]")
    assert "I10" in page.inner_text("[data-testid=diagnoses]")
    assert "150/95" in page.inner_text("[data-testid=vitals]")
    screenshot("visit-closed")


def test_a_draft_comes_back_after_the_browser_is_closed_mid_visit(new_context, live_server,
                                                                 demo_world):
    base = live_server.url
    med_id = PatientCard.objects.get(user__username="patient").med_id
    first = new_context(viewport={"width": 390, "height": 844}, locale="uz-UZ").new_page()
    sign_in(first, base, "doctor")
    first.goto(f"{base}/patients/{med_id}/")
    first.click("[data-testid=start-visit]")
    first.wait_for_selector("[data-testid=visit-form]")
    first.keyboard.type("Uch kundan beri quruq yo‘tal")
    first.fill("#id_temperature", "37,9")
    # A few seconds after typing stops, the server keeps what was typed.
    first.wait_for_selector("[data-testid=draft-status]:not(:empty)", timeout=15_000)
    visit_url = first.url
    first.context.close()  # the browser is gone, nothing was saved

    second = new_context(viewport={"width": 1366, "height": 900}, locale="uz-UZ").new_page()
    sign_in(second, base, "doctor")
    second.goto(visit_url)
    second.wait_for_selector("[data-testid=draft-restored]")
    assert second.input_value("#id_complaints") == "Uch kundan beri quruq yo‘tal"
    assert second.input_value("#id_temperature") == "37,9"
    ARTIFACTS.mkdir(exist_ok=True)
    second.screenshot(path=str(ARTIFACTS / "visit-journey-draft-restored.png"),
                      full_page=True)
    second.click("[data-testid=save]")
    second.wait_for_selector("[data-testid=visit-form]")
    assert not second.is_visible("[data-testid=draft-restored]")
    assert second.input_value("#id_temperature") == "37.9"


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
