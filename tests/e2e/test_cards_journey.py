"""Registrar registers a patient, the doctor finds them by a Cyrillic name, and the
patient sees who opened their card."""

from patients.identifiers import pinfl_check_digit
from registry.models import District
from tests.e2e.helpers import sign_in, sign_out


def test_register_find_across_scripts_and_see_who_opened(page, live_server, demo_world,
                                                         screenshot):
    base = live_server.url
    sign_in(page, base, "registrar")
    page.goto(f"{base}/patients/new/")
    # The PINFL first: no card holds this one, so the form opens filled with what it says.
    first13 = "6300901264555"
    page.fill("#id_pinfl", first13 + pinfl_check_digit(first13))
    page.click("[data-testid=lookup]")
    page.wait_for_selector("#id_last_name")
    assert page.input_value("#id_birth_date") == "2001-09-30"
    page.fill("#id_last_name", "Saidova")
    page.fill("#id_first_name", "Madina")
    page.fill("#id_middle_name", "Olimovna")
    page.fill("#id_birth_date", "2001-09-30")
    page.check("input[name=sex][value=female]")
    page.fill("#id_phone", "+998 90 555 44 33")
    # Choosing the region leaves only its districts to choose from.
    chilonzor = District.objects.get(code="1726294")
    page.select_option("#id_region", str(chilonzor.region_id))
    offered = page.eval_on_selector_all(
        "#id_district option:not([hidden])", "options => options.map(o => o.dataset.region)")
    assert len(offered) > 1 and set(offered[1:]) == {str(chilonzor.region_id)}
    assert offered[0] is None  # the empty choice stays
    page.select_option("#id_district", str(chilonzor.pk))
    screenshot("register-form")
    page.click("[data-testid=register]")
    page.wait_for_selector("[data-testid=med-id]")
    med_id = page.inner_text("[data-testid=med-id]").replace(" ", "")
    assert page.inner_text("[data-testid=card-name]") == "Saidova Madina Olimovna"
    sign_out(page)

    sign_in(page, base, "doctor")
    page.goto(f"{base}/patients/")
    page.fill("[data-testid=search]", "Саидова Мадина")
    page.press("[data-testid=search]", "Enter")
    page.wait_for_selector("[data-testid=results]")
    page.click("[data-testid=results] a")
    page.wait_for_selector("[data-testid=med-id]")
    assert page.inner_text("[data-testid=med-id]").replace(" ", "") == med_id

    page.goto(f"{base}/patients/")
    page.fill("[data-testid=search]", "Абдуллаев Шохрух")
    page.press("[data-testid=search]", "Enter")
    page.click("[data-testid=results] a")
    page.wait_for_selector("[data-testid=med-id]")
    screenshot("doctor-card")
    sign_out(page)

    sign_in(page, base, "patient")
    page.goto(f"{base}/me/card/access/")
    log = page.inner_text("[data-testid=access-log]")
    assert "Aziz Karimov" in log or "Karimov Aziz" in log
    screenshot("who-opened")
