"""Steps the browser journeys share."""

DEMO_PASSWORD = "demo-journey-password"
DEMO_FACILITY = "TSH-CHL-P12"


def demo_room_open_around_the_clock():
    """Journeys run at any hour, and the demo polyclinic keeps office hours (Tashkent time):
    the demo doctor's room takes walk-ins and bookings all day every day, in 5-minute slots,
    with no closures. The closed-hours rule itself is tested in tests/queues."""
    from django.db.models import Q

    from queues.models import Closure, ServicePoint, WorkingHours
    from tests.queues.factories import weekly_hours

    room = ServicePoint.objects.get(facility__code=DEMO_FACILITY, ticket_prefix="A")
    WorkingHours.objects.filter(service_point=room).delete()
    Closure.objects.filter(Q(facility=room.facility_id) | Q(service_point=room)).delete()
    weekly_hours(room, slot_minutes=5)
    return room


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


def add_allergy_in_visit(page, substance: str, reaction: str, severity: str = "severe") -> None:
    """Record a verified drug allergy from the visit form's summary, in place (htmx); it
    returns once the banner shows it."""
    page.click("[data-testid=summary-in-visit] > summary")
    page.click("[data-testid=add-allergy]")
    page.select_option("#id_allergy-kind", "drug")
    page.fill("#id_allergy-substance", substance)
    page.fill("#id_allergy-reaction", reaction)
    page.select_option("#id_allergy-severity", severity)
    page.select_option("#id_allergy-verification", "verified")
    page.click("[data-testid=save-allergy]")
    page.wait_for_selector("[data-testid=banner-allergy][data-severe]"
                           if severity == "severe" else "[data-testid=banner-allergy]")
