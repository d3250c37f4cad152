"""Failed sign-ins are limited per username and address, per username from any address,
and per address over any usernames (credential spraying), each with its own limit."""

import pytest

from dmed.roles import Role
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def sign_in(api_client, username, password, address):
    return api_client.post(TOKEN_URL, {"username": username, "password": password},
                           format="json", REMOTE_ADDR=address)


@pytest.mark.django_db
def test_one_try_from_each_of_many_addresses_locks_the_username(api_client, make_user,
                                                               settings):
    make_user(Role.CLINICIAN, username="shifokor")
    make_user(Role.CLINICIAN, username="hamshira")
    assert settings.AXES_USERNAME_FAILURE_LIMIT == 10
    answers = [sign_in(api_client, "shifokor", "guess", f"198.51.100.{n}").status_code
               for n in range(10)]
    # Each address saw one failure, far below its own limits; the tenth locks the username.
    assert answers == [400] * 9 + [429]

    refused = sign_in(api_client, "shifokor", PASSWORD, "203.0.113.9")
    assert refused.status_code == 429 and refused.json()["code"] == "locked_out"
    # Those addresses and other accounts are not affected.
    assert sign_in(api_client, "hamshira", PASSWORD, "198.51.100.1").status_code == 200


@pytest.mark.django_db
def test_one_try_on_each_of_many_usernames_locks_the_address(api_client, make_user, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    make_user(Role.CLINICIAN, username="shifokor")
    answers = [sign_in(api_client, f"user{n}", "Parol123", "198.51.100.7").status_code
               for n in range(8)]
    assert answers == [400] * 7 + [429]

    assert sign_in(api_client, "shifokor", PASSWORD, "198.51.100.7").status_code == 429
    assert sign_in(api_client, "shifokor", PASSWORD, "203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_fifty_doctors_behind_one_address_each_mistyping_once_are_not_locked(api_client,
                                                                             make_user):
    make_user(Role.CLINICIAN, username="shifokor")
    for n in range(50):
        assert sign_in(api_client, f"doctor{n}", "typo", "10.20.0.1").status_code == 400
    assert sign_in(api_client, "shifokor", PASSWORD, "10.20.0.1").status_code == 200


@pytest.mark.django_db
def test_a_valid_sign_in_does_not_wipe_the_addresss_count(api_client, make_user, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    make_user(Role.PATIENT, username="bemor")
    make_user(Role.CLINICIAN, username="shifokor")
    for n in range(7):
        sign_in(api_client, f"user{n}", "Parol123", "198.51.100.7")
    # The sprayer signs in with an account of their own between rounds...
    assert sign_in(api_client, "bemor", PASSWORD, "198.51.100.7").status_code == 200
    sign_in(api_client, "user7", "Parol123", "198.51.100.7")
    # ...and the address is locked all the same at its eighth failure.
    assert sign_in(api_client, "shifokor", PASSWORD, "198.51.100.7").status_code == 429


@pytest.mark.django_db
def test_a_valid_sign_in_forgets_the_users_own_typos(api_client, make_user, settings):
    make_user(Role.CLINICIAN, username="shifokor")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(api_client, "shifokor", "typo", "10.20.0.1")
    assert sign_in(api_client, "shifokor", PASSWORD, "10.20.0.1").status_code == 200
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(api_client, "shifokor", "typo", "10.20.0.1")
    assert sign_in(api_client, "shifokor", PASSWORD, "10.20.0.1").status_code == 200


@pytest.mark.django_db
def test_the_sign_in_page_is_limited_per_username_too(client, make_user):
    make_user(Role.CLINICIAN, username="shifokor")
    for n in range(10):
        client.post("/login/", {"username": "shifokor", "password": "guess"},
                    REMOTE_ADDR=f"198.51.100.{n}")
    response = client.post("/login/", {"username": "shifokor", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_address_is_counted(api_client, make_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    make_user(Role.CLINICIAN, username="shifokor")
    for n in range(8):
        api_client.post(TOKEN_URL, {"username": f"user{n}", "password": "Parol123"},
                        format="json", REMOTE_ADDR="10.0.0.2",
                        HTTP_X_FORWARDED_FOR="198.51.100.7")
    # The proxy's address is everyone's: only the sprayer's own address is locked.
    assert api_client.post(TOKEN_URL, {"username": "shifokor", "password": PASSWORD},
                           format="json", REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200
    assert api_client.post(TOKEN_URL, {"username": "shifokor", "password": PASSWORD},
                           format="json", REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
