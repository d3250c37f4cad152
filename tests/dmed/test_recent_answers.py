"""Who a token or a pharmacy's key is, and where staff work, are reused for
AUTH_CACHE_SECONDS per process (dmed.recent), never longer: a change made in another
process (here, an UPDATE that no Python code hears of) is obeyed once they pass, and one
made through this process's code at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dmed.api import tokens
from dmed.models import ApiToken, User
from dmed.recent import RecentAnswers
from dmed.roles import Role
from prescriptions.models import PharmacyApiKey
from prescriptions.services import create_pharmacy_api_key, revoke_pharmacy_api_key
from registry.models import Facility, FacilityKind, StaffRecord
from registry.selectors import acting_staff_record
from tests.dmed.test_api_tokens import assert_refused, me, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("answers_reused")]


@pytest.fixture
def lab_user(make_user):
    return make_user(Role.LAB_TECHNICIAN, username="laborant")


def test_a_token_revoked_elsewhere_acts_at_most_the_stated_seconds(api_client, lab_user,
                                                                    clock, settings):
    key = sign_in(api_client, "laborant")
    assert me(api_client, key).status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())  # another process's admin
    clock(settings.AUTH_CACHE_SECONDS - 0.5)
    assert me(api_client, key).status_code == 200
    clock(1)
    assert_refused(me(api_client, key))


def test_a_user_deactivated_elsewhere_acts_at_most_the_stated_seconds(api_client, lab_user,
                                                                       clock, settings):
    key = sign_in(api_client, "laborant")
    assert me(api_client, key).status_code == 200
    User.objects.filter(pk=lab_user.pk).update(is_active=False)
    assert me(api_client, key).status_code == 200
    clock(settings.AUTH_CACHE_SECONDS)
    assert_refused(me(api_client, key))


def test_changes_made_here_are_obeyed_at_once(api_client, lab_user, clock):
    revoked, deactivated = sign_in(api_client, "laborant"), sign_in(api_client, "laborant")
    assert me(api_client, revoked).status_code == 200
    tokens.revoke_token(ApiToken.objects.get(key_hash=tokens.hash_key(revoked)), by=lab_user)
    assert_refused(me(api_client, revoked))
    assert me(api_client, deactivated).status_code == 200
    lab_user.is_active = False
    lab_user.save()
    assert_refused(me(api_client, deactivated))


def test_a_known_token_costs_no_query_and_its_time_limits_stay_exact(api_client, lab_user,
                                                                      clock):
    key = sign_in(api_client, "laborant")
    assert me(api_client, key).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert me(api_client, key).status_code == 200
    assert not [q for q in queries if '"dmed_apitoken"' in q["sql"]]
    # The idle and absolute limits are read from the token each time, not from the cache's age.
    cached = tokens._alive.get(tokens.hash_key(key), lambda: None)
    cached.expires_at = timezone.now() - timedelta(seconds=1)
    assert_refused(me(api_client, key))


def test_requests_get_their_own_user(api_client, lab_user):
    key = sign_in(api_client, "laborant")
    first, second = tokens.live_token(key), tokens.live_token(key)
    assert first.user == second.user and first.user is not second.user
    first.user.noted = "for this request only"
    assert not hasattr(second.user, "noted")


def test_a_staff_record_ended_elsewhere_acts_at_most_the_stated_seconds(doctor, clock,
                                                                        settings):
    record = acting_staff_record(User.objects.get(pk=doctor.pk))
    assert record is not None
    yesterday = timezone.localdate() - timedelta(days=1)
    StaffRecord.objects.filter(pk=record.pk).update(active_from=yesterday, active_to=yesterday)
    assert acting_staff_record(User.objects.get(pk=doctor.pk)) == record
    clock(settings.AUTH_CACHE_SECONDS)
    assert acting_staff_record(User.objects.get(pk=doctor.pk)) is None


def test_a_staff_record_ended_here_is_obeyed_at_once(doctor, clock):
    record = acting_staff_record(User.objects.get(pk=doctor.pk))
    yesterday = timezone.localdate() - timedelta(days=1)
    record.active_from = record.active_to = yesterday
    record.save()
    assert acting_staff_record(User.objects.get(pk=doctor.pk)) is None


@pytest.fixture
def pharmacy_key(polyclinic):
    pharmacy = Facility.objects.create(code="TST-APT-9", name="Dorixona", tax_id="301000009",
                                       kind=FacilityKind.PHARMACY, region=polyclinic.region,
                                       district=polyclinic.district, address="Ko'cha 1")
    return create_pharmacy_api_key(pharmacy=pharmacy, name="till")


def test_a_pharmacy_key_revoked_elsewhere_acts_at_most_the_stated_seconds(
        api_client, pharmacy_key, clock, settings):
    key, plain = pharmacy_key
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    url = "/api/v1/pharmacy/prescriptions/ABCDEFGHJ/?patient_check=1234"
    assert api_client.get(url).status_code == 404  # known key, unknown code
    PharmacyApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert api_client.get(url).status_code == 404
    clock(settings.AUTH_CACHE_SECONDS)
    assert api_client.get(url).status_code == 401


def test_a_pharmacy_key_revoked_here_is_refused_at_once(api_client, pharmacy_key, clock):
    key, plain = pharmacy_key
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    url = "/api/v1/pharmacy/prescriptions/ABCDEFGHJ/?patient_check=1234"
    assert api_client.get(url).status_code == 404
    revoke_pharmacy_api_key(key)
    assert api_client.get(url).status_code == 401


def test_a_cache_keeps_its_newest_answers_within_its_size(clock):
    answers = RecentAnswers("test", size=2)
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value
        return loader

    for value in ("a", "b", "c"):
        answers.get(value, load(value))
    answers.get("c", load("c"))
    answers.get("b", load("b"))
    assert loads == ["a", "b", "c"]
    answers.get("a", load("a"))  # pushed out by "c"
    assert loads == ["a", "b", "c", "a"]
    assert repr(answers) == "<RecentAnswers test: 2 of 2>"
    assert answers.get("missing", lambda: None) is None
    answers.get("missing", load("missing"))
    assert loads[-1] == "missing"  # an unknown key is not remembered as unknown
