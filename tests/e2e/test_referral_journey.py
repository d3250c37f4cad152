"""The doctor finds the cardiologist by typing, refers the patient, and the cardiologist
accepts the referral on the incoming page."""

from clinics.referrals.models import Referral, ReferralStatus
from patients.models import PatientCard
from tests.e2e.helpers import sign_in, sign_out

REASON = "Qon bosimi dori bilan tushmayapti"


def test_refer_to_a_specialist_found_by_search_then_accepted(page, live_server, demo_world,
                                                            screenshot):
    base = live_server.url
    card = PatientCard.objects.get(user__username="patient")

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{card.med_id}/")
    page.click("[data-testid=refer]")
    page.type("#id_specialist", "Kardio", delay=40)
    # The suggestions come from the search as the doctor types, the cardiologist among them.
    option = page.wait_for_selector(
        "#specialist-suggestions option[value$='#cardiologist']", state="attached")
    page.fill("#id_specialist", option.get_attribute("value"))
    page.fill("#id_diagnosis_code", "I10")
    page.fill("#id_reason", REASON)
    screenshot("doctor-picks-the-cardiologist")
    page.click("[data-testid=send-referral]")
    page.wait_for_url(f"{base}/patients/{card.med_id}/")
    sign_out(page)

    sign_in(page, base, "cardiologist")
    page.goto(f"{base}/referrals/incoming/")
    ours = page.locator("[data-testid=referral]", has_text=REASON)
    screenshot("cardiologist-incoming")
    ours.locator("[data-testid=accept]").click()
    page.wait_for_load_state()
    referral = Referral.objects.get(reason=REASON)
    assert (referral.to_clinician.username, referral.status) == ("cardiologist",
                                                                 ReferralStatus.ACCEPTED)
