"""Sign-in, session lifetime, role home pages, error pages and the language switch."""

import time

import pytest
from django.urls import reverse

from dmed.middleware import SESSION_LOGIN_AT, SESSION_SEEN_AT
from dmed.models import AuditAction, AuditEvent
from dmed.roles import Role
from home.pages import ENTRY_POINTS
from tests.factories import PASSWORD


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_own_home_page(client, make_user, role):
    user = make_user(role, username=f"u-{role}")
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="role-{role}"' in page
    for entry in ENTRY_POINTS[role]:
        assert reverse(entry.url_name) in page
    others = {e.url_name for r, entries in ENTRY_POINTS.items() if r != role for e in entries}
    for url_name in others - {e.url_name for e in ENTRY_POINTS[role]}:
        assert f'href="{reverse(url_name)}"' not in page


@pytest.mark.django_db
def test_home_shows_where_staff_work(client, make_user):
    user = make_user(Role.CLINICIAN)
    client.force_login(user)
    record = user.staff_records.get()
    assert record.facility.name in client.get(reverse("home")).content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_in_and_out_through_the_form_are_audited(client, make_user):
    make_user(Role.REGISTRAR, username="registrator")
    response = client.post(reverse("login"), {"username": "registrator", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    # The home page's worklists are reads of their own (audited as lists in between).
    actions = list(AuditEvent.objects.exclude(action=AuditAction.LIST).order_by("id")
                   .values_list("action", flat=True))
    assert actions == [AuditAction.LOGIN, AuditAction.LOGOUT]


@pytest.mark.django_db
def test_sign_in_form_locks_after_repeated_failures(client, make_user, settings):
    make_user(Role.CLINICIAN, username="shifokor")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "shifokor", "password": "x"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": "shifokor", "password": "x"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "shifokor", "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def _age_session(client, *, login_ago: int, seen_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[SESSION_LOGIN_AT] = now - login_ago
    session[SESSION_SEEN_AT] = now - seen_ago
    session.save()


@pytest.mark.django_db
def test_session_ends_after_thirty_idle_minutes(client, make_user):
    client.force_login(make_user(Role.CLINICIAN))
    _age_session(client, login_ago=40 * 60, seen_ago=29 * 60)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, login_ago=40 * 60, seen_ago=31 * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_session_ends_eight_hours_after_sign_in_however_active(client, make_user):
    client.force_login(make_user(Role.CLINICIAN))
    _age_session(client, login_ago=8 * 3600 - 60, seen_ago=10)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, login_ago=8 * 3600 + 60, seen_ago=10)
    assert client.get(reverse("home")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_ended_session_answers_the_api_with_401(client, make_user):
    client.force_login(make_user(Role.CLINICIAN))
    _age_session(client, login_ago=9 * 3600, seen_ago=10)
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401


@pytest.mark.django_db
def test_activity_moves_the_idle_clock(client, make_user):
    client.force_login(make_user(Role.CLINICIAN))
    _age_session(client, login_ago=3600, seen_ago=20 * 60)
    client.get(reverse("home"))
    assert int(time.time()) - client.session[SESSION_SEEN_AT] < 5


@pytest.mark.django_db
def test_not_found_page_is_the_portals_own(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Not found." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("uz", "Kirish"), ("uz-cyrl", "Кириш"), ("ru", "Войти"), ("en", "Sign in")],
)
def test_language_switch_translates_the_pages(client, language, expected):
    response = client.post(reverse("set_language"), {"language": language, "next": "/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{expected}</h1>" in page


@pytest.mark.django_db
def test_uzbek_latin_is_the_default_language(client):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="uz">' in page
    assert "<h1>Kirish</h1>" in page
