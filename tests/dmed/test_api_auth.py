import pytest
from django.urls import reverse

from dmed.models import ApiToken, AuditAction, AuditEvent
from dmed.roles import Role
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"


@pytest.mark.django_db
def test_token_login_returns_a_token_that_authenticates(api_client, make_user):
    user = make_user(Role.PHARMACIST, username="farmatsevt")
    response = api_client.post(TOKEN_URL, {"username": "farmatsevt", "password": PASSWORD},
                               format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=user).prefix == token[:8]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(ME_URL)
    assert me.status_code == 200
    assert me.json() == {"username": "farmatsevt", "full_name": user.full_name,
                         "role": "pharmacist",
                         "facility": user.staff_records.get().facility.code}


@pytest.mark.django_db
def test_wrong_password_is_refused_in_the_common_error_format(api_client, make_user):
    make_user(Role.CLINICIAN, username="shifokor")
    response = api_client.post(TOKEN_URL, {"username": "shifokor", "password": "wrong"},
                               format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["non_field_errors"] == ["The username or password is not correct."]
    assert not ApiToken.objects.exists()
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (failed.object_id, failed.allowed) == ("shifokor", False)


@pytest.mark.django_db
def test_missing_fields_get_per_field_messages(api_client):
    response = api_client.post(TOKEN_URL, {"username": ""}, format="json",
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"username", "password"}
    assert fields["password"] == ["This field is required."]


@pytest.mark.django_db
def test_inactive_user_gets_no_token(api_client, make_user):
    make_user(Role.CLINICIAN, username="ketgan", is_active=False)
    response = api_client.post(TOKEN_URL, {"username": "ketgan", "password": PASSWORD},
                               format="json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_even_with_the_right_password(api_client, make_user,
                                                                         settings):
    make_user(Role.CLINICIAN, username="shifokor")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api_client.post(TOKEN_URL, {"username": "shifokor", "password": "guess"}, format="json")
    response = api_client.post(TOKEN_URL, {"username": "shifokor", "password": PASSWORD},
                               format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_api_refuses_anonymous_and_bad_tokens(api_client):
    anonymous = api_client.get(ME_URL)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
