"""The critical-value loop in a browser: the laboratory enters a potassium of 7.1 mmol/L
and a second technician releases it; the ordering doctor gets an urgent message (the
development SMS log) and finds it on top of the results inbox, in red; nobody
acknowledges, the clock moves on, the head of the department is told; the doctor
acknowledges and the escalation stops."""

import json
from datetime import timedelta
from decimal import Decimal

from clinics.labs import services as lab_services
from dmed.models import User
from inbox.models import Notice
from inbox.tasks import escalate_critical
from patients.models import PatientCard
from registry.models import Facility
from tests.e2e.helpers import sign_in, sign_out
from tests.inbox.helpers import deliver_all

DOCTOR_PHONE, HEAD_PHONE = "+998901110001", "+998901110002"


def _messages(log_dir) -> list[dict]:
    path = log_dir / "sms.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _run_outbox(settings):
    """The relay and a worker, here: in debug an unconfigured SMS channel writes its log."""
    settings.DEBUG = True
    try:
        deliver_all()
    finally:
        settings.DEBUG = False


def test_a_critical_potassium_reaches_the_doctor_then_the_head_until_acknowledged(
        page, live_server, demo_world, screenshot, settings, tmp_path):
    settings.NOTIFY_FILE_DIR = str(tmp_path)
    settings.NOTIFY_QUIET_HOURS = (0, 24)  # always quiet: urgent messages go all the same
    base = live_server.url
    doctor = User.objects.get(username="doctor")
    User.objects.filter(pk=doctor.pk).update(phone=DOCTOR_PHONE)
    # The demo's head of the therapy department, also on call.
    User.objects.filter(username="head").update(phone=HEAD_PHONE)
    card = PatientCard.objects.get(user__username="patient")
    _run_outbox(settings)  # the demo history's events: the inbox starts with them
    order = lab_services.place_lab_order(
        actor=doctor, med_id=card.med_id, tests=["K"],
        laboratory=Facility.objects.get(code="TSH-CHL-L01"), priority="urgent")

    sign_in(page, base, "lab")
    page.goto(f"{base}/lab/orders/{order.public_id}/")
    page.fill("#id_K-value", "7,1")
    page.click("[data-testid=save-results]")
    page.wait_for_selector("[data-testid=release-K]")
    assert "kritik" in page.inner_text("[data-testid=test-K] [data-testid=flag]").lower()
    screenshot("lab-enters-a-critical-potassium")
    sign_out(page)

    sign_in(page, base, "lab2")  # a critical value is released by a second technician
    page.goto(f"{base}/lab/orders/{order.public_id}/")
    page.click("[data-testid=release-K]")
    page.wait_for_selector("text=Natija chiqarildi.")
    sign_out(page)

    _run_outbox(settings)
    told = [m for m in _messages(tmp_path) if m["to"] == DOCTOR_PHONE]
    assert len(told) == 1 and "KRITIK" in told[0]["text"] and "7.1" in told[0]["text"]

    sign_in(page, base, "doctor")
    page.goto(f"{base}/inbox/")
    top = page.locator("[data-testid=inbox-row]").first
    assert "critical" in top.get_attribute("class")
    assert top.locator("[data-testid=inbox-value]").inner_text() == "7.1 mmol/L"
    assert page.locator("[data-testid=inbox-row].critical").count() == 1
    screenshot("the-doctor-finds-it-on-top-of-the-inbox")

    # Nobody acknowledges; the beat task runs as if 31 minutes later.
    notice = Notice.objects.get(critical=True)
    assert escalate_critical((notice.occurred_at + timedelta(minutes=31)).isoformat()) == 1
    _run_outbox(settings)
    to_head = [m for m in _messages(tmp_path) if m["to"] == HEAD_PHONE]
    assert len(to_head) == 1 and "30" in to_head[0]["text"]

    page.goto(f"{base}/results/{notice.subject}/")
    record = page.locator("[data-testid=critical-record]")
    assert record.locator("[data-testid=told-row]").count() == 2
    assert "Saidova" in record.inner_text()
    screenshot("the-result-says-who-was-told")

    page.goto(f"{base}/inbox/")
    top = page.locator("[data-testid=inbox-row]").first
    top.locator("input[name=comment]").fill("Bemor chaqirildi, EKG")
    top.locator("select[name=follow_up]").select_option("none")
    top.locator("[data-testid=acknowledge]").click()
    page.wait_for_selector(".messages")
    assert page.locator("[data-testid=inbox-row].critical").count() == 0
    screenshot("acknowledged")

    assert escalate_critical((notice.occurred_at + timedelta(minutes=62)).isoformat()) == 0
    _run_outbox(settings)
    assert len([m for m in _messages(tmp_path) if m["to"] == HEAD_PHONE]) == 1
    notice.refresh_from_db()
    assert notice.acknowledged_by == doctor and notice.comment == "Bemor chaqirildi, EKG"
    assert Decimal(notice.details["value"]) == Decimal("7.1")
