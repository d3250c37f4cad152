"""The Content-Security-Policy in the browser: the journeys' violation watch catches a
refusal, and the pages from outside our templates (Swagger UI, the admin) run under it."""

import logging

import pytest

from patients.models import PatientCard
from tests.e2e.helpers import sign_in


def test_a_refused_inline_style_is_caught_and_reported(page, live_server, csp_violations,
                                                      caplog):
    caplog.set_level(logging.WARNING, logger="dmed.csp")
    page.goto(f"{live_server.url}/login/")
    assert "style-src 'self'" in page.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    # What injected markup would do: the policy refuses it and the watch records it.
    page.evaluate("document.body.setAttribute('style', 'background: red')")
    page.wait_for_function("getComputedStyle(document.body).backgroundColor !== ''")
    page.wait_for_timeout(300)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert any("style-src-attr" in violation for violation in csp_violations)
    # The browser also posts it to the policy's report-uri, which logs it.
    for _attempt in range(50):
        if any("style-src-attr" in r.getMessage() for r in caplog.records if r.name == "dmed.csp"):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the violation report was not logged")
    csp_violations.clear()  # seen and expected: this test must not fail at teardown


def test_api_docs_run_under_the_policy(page, live_server, screenshot):
    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI's start-up script is a file; the operations show once it loaded the schema.
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    page.click(".opblock-summary >> nth=0")
    page.wait_for_selector(".opblock-body")
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # api-docs.css
    screenshot("api-docs")


def test_admin_pages_run_under_the_policy(page, live_server, demo_world, screenshot):
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_selector("#content-main")
    page.goto(f"{live_server.url}/admin/patients/patientcard/")
    page.wait_for_selector("#result_list")
    screenshot("admin-changelist")
    card = PatientCard.objects.order_by("pk").first()
    page.goto(f"{live_server.url}/admin/patients/patientcard/{card.pk}/change/")
    page.wait_for_selector("#patientcard_form")
    # The autocomplete (select2, jQuery) and the date shortcuts are scripts of the admin.
    page.wait_for_selector(".select2-container")
    page.click(".select2-selection >> nth=0")
    page.wait_for_selector(".select2-results__option")
    page.keyboard.press("Escape")
    page.click(".datetimeshortcuts a >> nth=1")  # the birth date's calendar pop-up
    page.wait_for_selector(".calendarbox", state="visible")
    screenshot("admin-change")
    page.goto(f"{live_server.url}/admin/dmed/user/add/")
    page.wait_for_selector("#user_form")
    screenshot("admin-add")


def test_handlers_moved_out_of_the_markup_still_work(page, live_server, demo_world):
    med_id = PatientCard.objects.get(user__username="patient").med_id
    sign_in(page, live_server.url, "doctor")
    page.goto(f"{live_server.url}/patients/{med_id}/print/")
    # Print (once onclick="window.print()"): the browser's dialog, counted instead.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("button[data-print]")
    assert page.evaluate("window.printed") == 1
    # The language choice (once onchange="this.form.submit()") sends its form.
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.select_option("[data-testid=language]", "ru")
    assert page.get_attribute("html", "lang") == "ru"
