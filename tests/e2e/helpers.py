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


# The visit form's narrative fields, which protocol templates fill with [[…]] placeholders.
NARRATIVE = ("complaints", "history", "examination", "plan", "recommendations")


def fill_placeholders(page) -> None:
    """What a clinician does before signing: every [[a/b]] choice and [[…]] gap answered."""
    from clinics.visits.services import PLACEHOLDER

    for field in NARRATIVE:
        text = page.input_value(f"#id_{field}")
        filled = PLACEHOLDER.sub(lambda mark: "yo‘q" if "/" in mark.group() else "me’yorida",
                                 text)
        if filled != text:
            page.fill(f"#id_{field}", filled)
