"""A registrar finds a person's card outside scope by its MED-ID, records their request of
attachment instead of a second card, the polyclinic accepts it, the card moves with its
history and the polyclinic left is told; registration starts from the PINFL."""

from outbox import services as outbox
from outbox.kinds import ATTACHMENT_MOVED
from outbox.models import Delivery
from patients.identifiers import pinfl_check_digit
from patients.models import Attachment
from registry.models import StaffRecord
from tests.e2e.helpers import sign_in
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory


def test_a_registrar_requests_attachment_and_the_polyclinic_accepts_it(
        page, live_server, demo_world, screenshot):
    old = FacilityFactory(name="5-sonli oilaviy poliklinika")
    old_doctor = staff_at(old, "clinician")
    old_head = staff_at(old, "clinician")
    StaffRecord.objects.filter(user=old_head).update(is_head=True)
    first13 = "3120385264017"
    card = CardFactory(last_name="Xolmatova", first_name="Nodira", attached_facility=old,
                       family_doctor=old_doctor, pinfl=first13 + pinfl_check_digit(first13),
                       sex="female")
    Attachment.objects.create(card=card, facility=old, family_doctor=old_doctor,
                              reason="Registered")
    base = live_server.url
    sign_in(page, base, "registrar")

    # Registration asks for the PINFL first: this one leads to the card, not a new one.
    page.goto(f"{base}/patients/new/")
    page.fill("#id_pinfl", card.pinfl)
    screenshot("pinfl-first")
    page.click("[data-testid=lookup]")
    page.wait_for_selector("[data-testid=glimpse]")
    glimpse = page.inner_text("[data-testid=glimpse]")
    assert "X.N." in glimpse and "Nodira" not in glimpse
    assert page.locator("[data-testid=register-new]").count() == 0
    screenshot("glimpse-with-request")

    page.check("[data-testid=attachment-request] input[value=own_choice]")
    page.click("[data-testid=attachment-request] button[type=submit]")
    page.wait_for_selector("[data-testid=attachment-requests]")
    item = page.locator("[data-testid=attachment-request-item]").first
    assert "Xolmatova Nodira" in item.inner_text()
    assert "5-sonli oilaviy poliklinika" in item.inner_text()
    item.locator("input[value=accept]").check()
    item.locator("select").select_option(label="Karimov Aziz Rustamovich")
    screenshot("decide")
    item.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=decision]")
    screenshot("decided")

    page.goto(f"{base}/patients/{card.med_id}/")
    page.wait_for_selector("[data-testid=med-id]")
    page.click("[data-testid=attachment-history] summary")
    history = page.inner_text("[data-testid=attachment-history]")
    assert "12-sonli oilaviy poliklinika" in history and "5-sonli oilaviy poliklinika" in history
    screenshot("card-moved")

    # The polyclinic left is told: its family doctor and head get the staff message.
    outbox.fan_out()
    told = set(Delivery.objects.filter(event__kind=ATTACHMENT_MOVED, consumer="notifications")
               .values_list("target", flat=True))
    assert {f"{old_doctor.pk}:staff", f"{old_head.pk}:staff"} <= told
