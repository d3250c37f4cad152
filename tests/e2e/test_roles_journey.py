"""Every kind of user signs in, lands on their own home page, and switches language."""

import pytest
from django.core.management import call_command

from dmed.demo import DEMO_USERS

PASSWORD = "demo-journey-password"


@pytest.fixture
def demo_world(settings):
    settings.DEMO_PASSWORD = PASSWORD
    call_command("seed_demo")


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_each_role_signs_in_to_its_home_page(page, live_server, demo_world, screenshot):
    for username, role, _last, first_name, _middle in DEMO_USERS:
        sign_in(page, live_server.url, username)
        page.wait_for_selector(f"[data-testid=role-{role.value}]")
        assert first_name in page.inner_text("[data-testid=greeting]")
        screenshot(username)
        page.click("text=Chiqish")  # "Sign out" in Uzbek Latin, the default language
        page.wait_for_selector("#id_username")


def test_language_switch_changes_the_page_and_stays(page, live_server, demo_world, screenshot):
    sign_in(page, live_server.url, "doctor")
    page.wait_for_selector("[data-testid=role-clinician]")
    assert "Shifokor" in page.inner_text("[data-testid=role-clinician]")

    for language, clinician, sign_out in [("ru", "Врач", "Выйти"),
                                          ("uz-cyrl", "Шифокор", "Чиқиш"),
                                          ("en", "Clinician", "Sign out")]:
        with page.expect_navigation():
            page.select_option("[data-testid=language]", language)
        assert page.get_attribute("html", "lang") == language
        assert clinician in page.inner_text("[data-testid=role-clinician]")
        assert page.is_visible(f"text={sign_out}")
        screenshot(language)

    page.reload()
    assert page.get_attribute("html", "lang") == "en"
