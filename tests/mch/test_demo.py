"""seed_demo gives the demo doctor's district pregnancies and infants, once."""

import pytest
from django.core.management import call_command
from django.test import Client

from dmed.models import User
from mch.models import Pregnancy, Vaccination

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_district_idempotently(settings):
    settings.DEMO_PASSWORD = "demo-test-password-1"
    call_command("seed_demo")
    counts = (Pregnancy.objects.count(), Vaccination.objects.count())
    call_command("seed_demo")
    assert (Pregnancy.objects.count(), Vaccination.objects.count()) == counts == (3, 10)
    client = Client()
    client.force_login(User.objects.get(username="doctor"))
    listing = client.get("/district/").context["listing"]
    assert listing.pregnant == 3
    assert any(line.overdue_contact for line in listing.pregnancies.results)
    assert {line.card.first_name for line in listing.due.results} >= {"Muhammad"}
