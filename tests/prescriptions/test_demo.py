"""seed_demo: prescriptions in every state for the demo patient, pharmacy API keys."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from prescriptions.models import ItemStatus, PharmacyApiKey, Prescription, PrescriptionItem

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_state_and_working_pharmacy_keys(settings, api_client):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    settings.DEMO_PHARMACY_KEY = "demo-pharmacy-secret"
    call_command("seed_demo")
    counts = (Prescription.objects.count(), PharmacyApiKey.objects.count())
    call_command("seed_demo")
    assert (Prescription.objects.count(), PharmacyApiKey.objects.count()) == counts
    assert set(Prescription.objects.values_list("status", flat=True)) == {
        "issued", "partially_dispensed", "dispensed", "cancelled", "expired"}
    assert Prescription.objects.filter(issues_total=3).count() == 3
    assert Prescription.objects.filter(controlled=True).exists()
    assert PrescriptionItem.objects.filter(status=ItemStatus.NOT_DISPENSED).exists()

    out = io.StringIO()
    settings.DEBUG = True
    call_command("demo_pharmacy_keys", stdout=out)
    key = out.getvalue().splitlines()[0].split("Api-Key ")[1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api_client.get(reverse("api-prescriber-keys")).status_code == 200
    settings.DEBUG = False
    out = io.StringIO()
    call_command("demo_pharmacy_keys", stdout=out)
    assert "demo-pharmacy-secret" not in out.getvalue()
