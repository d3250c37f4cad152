"""Every kind of user signs in, lands on their own home page, and switches language."""

from dmed.demo import DEMO_USERS
from tests.e2e.helpers import sign_in, sign_out


def test_each_role_signs_in_to_its_home_page(page, live_server, demo_world, screenshot):
    for username, role, _last, first_name, _middle in DEMO_USERS:
        sign_in(page, live_server.url, username)
        page.wait_for_selector(f"[data-testid=role-{role.value}]")
        assert first_name in page.inner_text("[data-testid=greeting]")
        screenshot(username)
        sign_out(page)


def test_language_switch_changes_the_page_and_stays(page, live_server, demo_world, screenshot):
    sign_in(page, live_server.url, "doctor")
    page.wait_for_selector("[data-testid=role-clinician]")
    assert "Shifokor" in page.inner_text("[data-testid=role-clinician]")
    # The switch submits from a script run once the page has loaded: a choice made
    # before (a busy home page) changes nothing and no page follows.
    page.wait_for_load_state("load")

    for language, clinician, sign_out_label in [("ru", "Врач", "Выйти"),
                                          ("uz-cyrl", "Шифокор", "Чиқиш"),
                                          ("en", "Clinician", "Sign out")]:
        with page.expect_navigation():
            page.select_option("[data-testid=language]", language)
        assert page.get_attribute("html", "lang") == language
        assert clinician in page.inner_text("[data-testid=role-clinician]")
        assert page.is_visible(f"text={sign_out_label}")
        screenshot(language)

    page.reload()
    assert page.get_attribute("html", "lang") == "en"
