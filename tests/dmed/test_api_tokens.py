"""API tokens end: idle and absolute limits, logout, a password change, the admin."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dmed.api import tokens
from dmed.celery import app
from dmed.models import ApiToken, AuditAction, AuditEvent
from dmed.roles import Role
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"


def sign_in(api_client, username):
    response = api_client.post(TOKEN_URL, {"username": username, "password": PASSWORD},
                               format="json")
    assert response.status_code == 200
    return response.json()["token"]


def me(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    try:
        return api_client.get(ME_URL)
    finally:
        api_client.credentials()


def assert_refused(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "authentication_failed"


@pytest.fixture
def lab_user(make_user):
    return make_user(Role.LAB_TECHNICIAN, username="laborant")


@pytest.mark.django_db
def test_each_sign_in_issues_a_new_token_and_only_its_hash_is_kept(api_client, lab_user):
    first, second = sign_in(api_client, "laborant"), sign_in(api_client, "laborant")
    assert first != second
    stored = ApiToken.objects.filter(user=lab_user)
    assert sorted(stored.values_list("key_hash", flat=True)) == sorted(
        hashlib.sha256(key.encode()).hexdigest() for key in (first, second))
    for row in stored.values():
        assert first not in row.values() and second not in row.values()
    assert me(api_client, first).status_code == 200
    assert me(api_client, second).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, object_type="dmed.apitoken",
                                     actor=lab_user).count() == 2


@pytest.mark.django_db
def test_an_idle_token_ends(api_client, lab_user, settings):
    key = sign_in(api_client, "laborant")
    ApiToken.objects.update(last_used_at=timezone.now()
                            - timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS + 1))
    assert_refused(me(api_client, key))


@pytest.mark.django_db
def test_a_token_in_use_still_ends_at_the_absolute_limit(api_client, lab_user):
    key = sign_in(api_client, "laborant")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(me(api_client, key))


@pytest.mark.django_db
def test_the_limits_come_from_settings(api_client, lab_user, settings):
    settings.API_TOKEN_ABSOLUTE_SECONDS = 3600
    before = timezone.now()
    api_client.post(TOKEN_URL, {"username": "laborant", "password": PASSWORD}, format="json")
    token = ApiToken.objects.get()
    assert before + timedelta(hours=1) <= token.expires_at <= timezone.now() + timedelta(hours=1)


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(api_client, lab_user):
    key = sign_in(api_client, "laborant")
    with CaptureQueriesContext(connection) as queries:
        assert me(api_client, key).status_code == 200
    assert not [q for q in queries if 'UPDATE "dmed_apitoken"' in q["sql"]]

    a_while_ago = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.update(last_used_at=a_while_ago)
    with CaptureQueriesContext(connection) as queries:
        assert me(api_client, key).status_code == 200
    assert len([q for q in queries if 'UPDATE "dmed_apitoken"' in q["sql"]]) == 1
    assert ApiToken.objects.get().last_used_at > a_while_ago


@pytest.mark.django_db
def test_a_password_change_ends_every_token(api_client, lab_user):
    key = sign_in(api_client, "laborant")
    lab_user.set_password("a-new-long-password-42")
    lab_user.save()
    assert_refused(me(api_client, key))


@pytest.mark.django_db
def test_changing_the_password_on_the_page_ends_tokens_but_keeps_the_session(client, api_client,
                                                                             lab_user):
    key = sign_in(api_client, "laborant")
    client.force_login(lab_user)
    response = client.post("/password/", {"old_password": PASSWORD,
                                          "new_password1": "a-new-long-password-42",
                                          "new_password2": "a-new-long-password-42"})
    assert response.status_code == 302
    assert_refused(me(api_client, key))
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_an_inactive_users_token_is_refused(api_client, lab_user):
    key = sign_in(api_client, "laborant")
    lab_user.is_active = False
    lab_user.save()
    assert_refused(me(api_client, key))


@pytest.mark.django_db
def test_api_logout_ends_the_presented_token_only(api_client, lab_user):
    ended, other = sign_in(api_client, "laborant"), sign_in(api_client, "laborant")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {ended}")
    assert api_client.post(LOGOUT_URL).status_code == 204
    api_client.credentials()
    assert_refused(me(api_client, ended))
    assert me(api_client, other).status_code == 200
    revoked = AuditEvent.objects.get(action=AuditAction.LOGOUT, object_type="dmed.apitoken")
    assert (revoked.actor, revoked.object_id) == (lab_user, ended[:8])


@pytest.mark.django_db
def test_signing_out_of_the_browser_leaves_integration_tokens_alone(client, api_client,
                                                                    lab_user):
    """Tokens are held by integrations, never by the browser: the page's "sign out" ends
    the browser session only (see dmed.api.tokens)."""
    key = sign_in(api_client, "laborant")
    client.force_login(lab_user)
    client.post("/logout/")
    assert me(api_client, key).status_code == 200


@pytest.mark.django_db
def test_the_admin_lists_tokens_and_revokes_them(client, api_client, lab_user, make_user):
    key = sign_in(api_client, "laborant")
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/dmed/apitoken/")
    assert listing.status_code == 200
    assert key[:8].encode() in listing.content and b"laborant" in listing.content
    token = ApiToken.objects.get()
    response = client.post("/admin/dmed/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert_refused(me(api_client, key))
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=admin,
                                     object_id=key[:8]).exists()


@pytest.mark.django_db
def test_ended_tokens_are_deleted_by_the_periodic_task(api_client, lab_user, settings):
    live, idle, old = (sign_in(api_client, "laborant") for _ in range(3))
    now = timezone.now()
    ApiToken.objects.filter(prefix=idle[:8]).update(
        last_used_at=now - timedelta(seconds=settings.API_TOKEN_IDLE_SECONDS + 1))
    ApiToken.objects.filter(prefix=old[:8]).update(expires_at=now - timedelta(seconds=1))

    app.loader.import_default_modules()
    task = settings.CELERY_BEAT_SCHEDULE["delete-ended-api-tokens"]["task"]
    assert app.tasks[task].apply().get() == 2
    assert list(ApiToken.objects.values_list("prefix", flat=True)) == [live[:8]]


@pytest.mark.django_db
def test_a_token_on_the_pharmacy_api_ends_too(api_client, make_user):
    make_user(Role.PHARMACIST, username="farmatsevt")
    key = sign_in(api_client, "farmatsevt")
    ApiToken.objects.update(expires_at=timezone.now())
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/pharmacy/prescriptions/RX0000000000/?patient_check=1234")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_expires_is_the_earlier_of_the_two_limits(settings):
    settings.API_TOKEN_IDLE_SECONDS = 60
    now = timezone.now()
    token = ApiToken(last_used_at=now, expires_at=now + timedelta(hours=1))
    assert tokens.expires_at(token) == now + timedelta(seconds=60)
    token.expires_at = now + timedelta(seconds=30)
    assert tokens.expires_at(token) == now + timedelta(seconds=30)
