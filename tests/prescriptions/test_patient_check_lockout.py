"""The patient check cannot be brute-forced: wrong checks are counted per prescription code
and per checker (key or pharmacist), then refused with 429 + Retry-After, audited."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dmed.celery import app
from dmed.models import AuditEvent
from prescriptions import services
from prescriptions.models import FailedPatientCheck, PrescriptionItem
from prescriptions.patient_checks import PatientCheckLocked
from prescriptions.services import create_pharmacy_api_key

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def wrong_check(right: str) -> str:
    return f"{(int(right) + 1) % 10000:04d}"


def with_key(pharmacy, name="till") -> APIClient:
    _key, plain = create_pharmacy_api_key(pharmacy=pharmacy, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client


def look_up(client, code, check):
    return client.get(reverse("api-pharmacy-prescription", args=[code]),
                      {"patient_check": check}, **EN)


def pass_the_window():
    FailedPatientCheck.objects.update(failed_at=timezone.now() - timedelta(hours=1, seconds=1))


def test_five_wrong_checks_lock_the_code_then_the_window_passes(write, card, pharmacy,
                                                                 patient_check, settings):
    assert settings.PATIENT_CHECK_FAILURES_PER_CODE == 5
    code, other = write(("Amoxicillin", 20)).code, write(("Ibuprofen", 10)).code
    client = with_key(pharmacy)
    for _guess in range(5):
        assert look_up(client, code, wrong_check(patient_check)).status_code == 404

    locked = look_up(client, code, patient_check)
    assert locked.status_code == 429
    assert 3500 <= int(locked["Retry-After"]) <= 3600
    assert locked.json()["code"] == "patient_check_locked"
    assert "Too many wrong patient checks for this prescription" in locked.json()["detail"]
    refusal = AuditEvent.objects.filter(object_id=code, allowed=False).latest("pk")
    assert refusal.reason.startswith("api-key ") and "patient check locked" in refusal.reason

    # Dispensing the locked code is refused the same way, and gives nothing.
    dispense = client.post(reverse("api-pharmacy-dispense", args=[code]),
                           {"patient_check": patient_check,
                            "items": [{"item": 1, "quantity": 1}]}, format="json")
    assert dispense.status_code == 429 and dispense["Retry-After"]
    assert PrescriptionItem.objects.get(prescription__code=code).dispensed_quantity == 0

    # Other codes are unaffected, from the same key.
    assert look_up(client, other, patient_check).status_code == 200

    pass_the_window()
    assert look_up(client, code, patient_check).status_code == 200


def test_the_lock_of_a_code_holds_whichever_pharmacy_guesses(write, pharmacy, patient_check,
                                                             pharmacist, client):
    code = write(("Amoxicillin", 20)).code
    for name in "ABCDE":
        look_up(with_key(pharmacy, name), code, wrong_check(patient_check))
    # Five keys guessed once each; a pharmacist's page now refuses the right check too.
    client.force_login(pharmacist)
    page = client.post(reverse("prescriptions:pharmacy"),
                       {"code": code, "patient_check": patient_check}, **EN)
    assert page.status_code == 429
    assert "Too many wrong patient checks for this prescription" in page.content.decode()
    assert AuditEvent.objects.filter(actor=pharmacist, object_id=code, allowed=False,
                                     reason__startswith="patient check locked").exists()


def test_a_key_guessing_over_many_codes_is_locked_and_others_are_not(write, pharmacy,
                                                                     patient_check, settings):
    settings.PATIENT_CHECK_FAILURES_PER_CHECKER = 3
    codes = [write(("Amoxicillin", 20)).code for _ in range(4)]
    guessing, honest = with_key(pharmacy, "guessing"), with_key(pharmacy, "honest")
    for code in codes[:3]:
        assert look_up(guessing, code, wrong_check(patient_check)).status_code == 404

    locked = look_up(guessing, codes[3], patient_check)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "from this account" in locked.json()["detail"]
    assert look_up(honest, codes[3], patient_check).status_code == 200


def test_a_pharmacist_is_counted_on_their_own(write, card, at_pharmacy, patient_check, settings):
    settings.PATIENT_CHECK_FAILURES_PER_CHECKER = 2
    first, second = write(("Amoxicillin", 20)).code, write(("Ibuprofen", 10)).code
    for code in (first, second):
        with pytest.raises(Http404):
            services.refuse_item(by=at_pharmacy, code=code, line=1, reason="no stock",
                                 patient_check=wrong_check(patient_check))
    with pytest.raises(PatientCheckLocked) as locked:
        services.dispense(by=at_pharmacy, code=first, patient_check=patient_check,
                          items=[{"item": 1, "quantity": 1}])
    assert locked.value.retry_after > 0
    # The refusal's audit row outlives the dispensing's rolled-back transaction.
    assert AuditEvent.objects.filter(actor=at_pharmacy.user, object_id=first, allowed=False,
                                     reason__contains="wrong checks by user:").exists()


def test_the_page_after_the_check_goes_back_to_the_lookup_when_locked(client, write,
                                                                      pharmacist, pharmacy,
                                                                      patient_check):
    code = write(("Amoxicillin", 20)).code
    client.force_login(pharmacist)
    found = client.post(reverse("prescriptions:pharmacy"),
                        {"code": code, "patient_check": patient_check})
    assert found.status_code == 302
    for name in "ABCDE":
        look_up(with_key(pharmacy, name), code, wrong_check(patient_check))
    page = client.get(reverse("prescriptions:pharmacy-prescription", args=[code]), **EN,
                      follow=True)
    assert page.redirect_chain[-1][0] == f"{reverse('prescriptions:pharmacy')}?code={code}"
    assert "Too many wrong patient checks" in page.content.decode()


def test_old_wrong_checks_are_forgotten_by_the_periodic_task(write, pharmacy, patient_check,
                                                             settings):
    code = write(("Amoxicillin", 20)).code
    client = with_key(pharmacy)
    look_up(client, code, wrong_check(patient_check))
    pass_the_window()
    look_up(client, code, wrong_check(patient_check))
    app.loader.import_default_modules()
    task = settings.CELERY_BEAT_SCHEDULE["forget-old-patient-checks"]["task"]
    assert app.tasks[task].apply().get() == 1
    assert FailedPatientCheck.objects.count() == 1
