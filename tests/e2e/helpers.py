"""Steps the browser journeys share."""

DEMO_PASSWORD = "demo-journey-password"


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=greeting]")


def sign_out(page) -> None:
    page.click("text=Chiqish")  # "Sign out" in Uzbek Latin, the default language
    page.wait_for_selector("#id_username")
