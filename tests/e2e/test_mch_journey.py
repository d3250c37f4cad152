"""A family doctor registers a pregnancy and finds the overdue antenatal contact on the
district list; a live birth gives the newborn a card linked to the mother; a mother reads
her child's growth chart and next vaccine on her phone; a nurse reports an adverse event
after a vaccination and the district's epidemiologist opens it from her home page."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from dmed.models import User
from mch.demo import DEMO_SURNAME
from mch.models import AdverseEvent, Pregnancy, Vaccination
from mch.services import record_growth, register_pregnancy
from outbox.kinds import AEFI_SERIOUS
from outbox.models import Event
from patients.models import CardStatus, PatientCard, Representation
from patronage.models import PlannedVisit
from tests.e2e.helpers import sign_in, sign_out


def test_pregnancy_overdue_contact_on_the_district_list_then_a_birth(page, live_server,
                                                                     demo_world, screenshot):
    base = live_server.url
    today = timezone.localdate()
    women = PatientCard.objects.filter(
        family_doctor__username="doctor", sex="female", status=CardStatus.ACTIVE,
        birth_date__range=(today - timedelta(days=40 * 365), today - timedelta(days=20 * 365)),
    ).exclude(pk__in=Pregnancy.objects.values("card")).order_by("pk")
    mother, second = women[0], women[1]

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{mother.med_id}/pregnancy/")
    page.fill("#id_lmp", (today - timedelta(weeks=23)).isoformat())
    page.fill("#id_gravidity", "2")
    page.fill("#id_parity", "1")
    page.check("[data-field=risk_factors] label:has-text('Kamqonlik') input")
    page.click("[data-testid=register-pregnancy]")
    page.wait_for_selector("[data-testid=gestational-age]")
    assert "23" in page.inner_text("[data-testid=gestational-age]")
    screenshot("pregnancy-registered")

    page.goto(f"{base}/district/")
    line = page.locator("[data-testid=pregnancy-line]", has_text=mother.last_name).filter(
        has=page.locator("[data-testid=contact-overdue]"))
    assert line.count() == 1
    screenshot("district-list")
    line.locator(f"a[href='/patients/{mother.med_id}/']").click()
    page.wait_for_selector("[data-testid=med-id]")

    # The second woman is at term; she gives birth to a girl.
    register_pregnancy(actor=mother.family_doctor, med_id=second.med_id, dating_method="lmp",
                       lmp=today - timedelta(weeks=39, days=2), gravidity=1, parity=0)
    page.goto(f"{base}/patients/{second.med_id}/pregnancy/")
    form = page.locator("[data-testid=outcome-form]")
    form.locator("#id_outcome").select_option("live_birth")
    form.locator("#id_sex").select_option("female")
    form.locator("#id_weight_g").fill("3250")
    form.locator("#id_length_cm").fill("50")
    form.locator("#id_apgar_1").fill("8")
    form.locator("#id_apgar_5").fill("9")
    screenshot("outcome-form")
    page.click("[data-testid=record-outcome]")
    page.click("[data-testid=newborn]")
    page.wait_for_selector("[data-testid=med-id]")
    screenshot("newborn-card")
    newborn = Pregnancy.objects.get(card=second).newborns.get().card
    assert (newborn.status, newborn.birth_date, newborn.attached_facility_id) == (
        CardStatus.TEMPORARY, today, second.attached_facility_id)
    assert newborn.med_id in page.url
    if second.user_id:
        assert Representation.objects.filter(card=newborn, representative=second.user).exists()
    page.goto(f"{base}/patients/{newborn.med_id}/immunisation/")
    # Born today: the hepatitis B birth dose is due now.
    assert page.locator("tr.state-due[data-testid=dose-hepb-1]").count() == 1
    screenshot("newborn-immunisation")


def test_a_baby_born_in_a_maternity_is_visited_from_its_discharge(page, live_server,
                                                                   demo_world, screenshot):
    base = live_server.url
    today = timezone.localdate()
    mother = PatientCard.objects.filter(
        family_doctor__username="doctor", sex="female", status=CardStatus.ACTIVE,
        birth_date__range=(today - timedelta(days=40 * 365), today - timedelta(days=20 * 365)),
    ).exclude(pk__in=Pregnancy.objects.values("card")).order_by("pk").first()
    register_pregnancy(actor=mother.family_doctor, med_id=mother.med_id, dating_method="lmp",
                       lmp=today - timedelta(weeks=40), gravidity=1, parity=0)

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/{mother.med_id}/pregnancy/")
    form = page.locator("[data-testid=outcome-form]")
    form.locator("#id_outcome").select_option("live_birth")
    form.locator("#id_outcome_date").fill((today - timedelta(days=3)).isoformat())
    form.locator("#id_facility").fill("TSH-CHL-H03")
    form.locator("#id_sex").select_option("male")
    form.locator("#id_weight_g").fill("3400")
    form.locator("#id_length_cm").fill("51")
    form.locator("#id_apgar_1").fill("8")
    form.locator("#id_apgar_5").fill("9")
    page.click("[data-testid=record-outcome]")
    newborn = Pregnancy.objects.get(card=mother).newborns.get()
    assert not PlannedVisit.objects.filter(card=newborn.card).exists()
    discharge = page.locator(f"[data-testid=discharge-form-{newborn.card.med_id}]")
    discharge.locator("input[type=date]").fill((today - timedelta(days=1)).isoformat())
    screenshot("discharge-form")
    discharge.locator("[data-testid=record-discharge]").click()
    page.wait_for_selector(f"[data-testid=discharge-{newborn.card.med_id}]")
    assert (today - timedelta(days=1)).strftime("%d.%m.%Y") in page.inner_text(
        f"[data-testid=discharge-{newborn.card.med_id}]")
    screenshot("discharged")
    first = PlannedVisit.objects.filter(card=newborn.card).order_by("due_on").first()
    assert (first.due_on, first.overdue_after) == (today, today + timedelta(days=2))


def test_a_mother_sees_her_childs_growth_chart_and_next_vaccine_on_her_phone(
        page, live_server, demo_world, screenshot):
    base = live_server.url
    mother = User.objects.get(username="patient")
    asal = PatientCard.objects.get(first_name="Asal", last_name=DEMO_SURNAME)
    Representation.objects.get_or_create(representative=mother, card=asal,
                                         defaults={"basis": "onasi"})
    nurse = User.objects.get(username="nurse")
    # Born at 3.2 kg; gaining too little since: the last weight is beyond -3 SD.
    for days, weight in ((0, "3.2"), (60, "5.0"), (asal_age(asal), "4.2")):
        record_growth(actor=nurse, med_id=asal.med_id,
                      measured_on=asal.birth_date + timedelta(days=days),
                      weight_kg=Decimal(weight))

    sign_in(page, base, "patient")
    page.goto(f"{base}/patients/{asal.med_id}/immunisation/")
    chart = page.locator("[data-testid=chart-weight]")
    chart.scroll_into_view_if_needed()
    assert chart.locator("polyline").count() == 5
    assert chart.locator("circle[data-flag=urgent]").count() == 1
    assert "OPV" in page.inner_text("[data-testid=next-dose]")
    assert page.locator("[data-testid=growth-form]").count() == 0
    screenshot("growth-chart-phone")


def asal_age(card) -> int:
    return (timezone.localdate() - card.birth_date).days


def test_a_nurse_reports_an_adverse_event_and_the_epidemiologist_opens_it(
        page, live_server, demo_world, screenshot):
    base = live_server.url
    muhammad = PatientCard.objects.get(first_name="Muhammad", last_name=DEMO_SURNAME)
    today = timezone.localdate()

    sign_in(page, base, "nurse")
    page.goto(f"{base}/patients/{muhammad.med_id}/immunisation/")
    form = page.locator("[data-testid=vaccination-form]")
    form.locator("#id_dose").select_option(label="Pentavalent (KDS-GepB-Hib) — 1")
    form.locator("#id_lot_number").fill("PNT-2611")
    form.locator("#id_expiry_date").fill((today + timedelta(days=200)).isoformat())
    form.locator("#id_site").select_option("left_thigh")
    form.locator("#id_route").select_option("im")
    page.click("[data-testid=record-vaccination]")
    page.wait_for_selector("[data-testid=vaccinations]")
    assert "PNT-2611" in page.inner_text("[data-testid=vaccinations]")

    report = page.locator("[data-testid=aefi-form]")
    report.scroll_into_view_if_needed()
    given = Vaccination.objects.get(card=muhammad, lot_number="PNT-2611")
    report.locator("#id_aefi_vaccination").select_option(str(given.pk))
    report.locator("[data-field=symptoms] label:has-text('Tirishish') input").check()
    report.locator("[data-field=serious] input[value=yes]").check()
    report.locator("[data-field=criteria] input[value=hospitalisation]").check()
    report.locator("#id_outcome").select_option("recovering")
    report.locator("#id_reporter").fill("Onasi")
    report.locator("#id_description").fill("Kechqurun 39 °C isitma, bir marta tirishish.")
    screenshot("aefi-form")
    page.click("[data-testid=report-aefi]")
    page.wait_for_selector(".messages, [role=status], [data-testid=vaccinations]")
    event = AdverseEvent.objects.get(vaccination__lot_number="PNT-2611")
    assert event.serious and Event.objects.filter(kind=AEFI_SERIOUS).count() == 1
    sign_out(page)

    sign_in(page, base, "epidemiologist")
    panel = page.locator("[data-testid=panel-aefi]")
    line = panel.locator("[data-testid=aefi-line]").first  # serious first, newest first
    assert line.locator("[data-testid=serious]").count() == 1
    assert "Pentavalent" in line.inner_text()
    screenshot("epidemiologist-home")
    line.locator("a").click()
    page.wait_for_selector("[data-testid=vaccination]")
    assert "PNT-2611" in page.inner_text("[data-testid=lot]")
    assert muhammad.med_id in page.inner_text("[data-testid=child]")
    screenshot("aefi-report")
    page.goto(f"{base}/aefi/?serious=yes")
    assert page.locator("[data-testid=aefi-line]").count() == 1
    assert page.inner_text("[data-testid=count-serious]") == "1"
    screenshot("aefi-list")
    page.goto(f"{base}/patients/{muhammad.med_id}/")
    assert page.locator("[data-testid=med-id]").count() == 0  # the card does not open
