"""A pregnancy shows on the clinical banner of every page about the woman, as weeks and
days, to those who read the clinical part of the banner."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics.visits import services as visit_services
from dmed.roles import Role
from mch import services
from patients.models import Sex
from patients.selectors import clinical_banner
from tests.factories import staff_at
from tests.mch.factories import woman
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


def pregnant(polyclinic, doctor, weeks: int, days: int):
    mother = woman(polyclinic, doctor)
    services.register_pregnancy(
        actor=doctor, med_id=mother.med_id, dating_method="lmp",
        lmp=timezone.localdate() - timedelta(weeks=weeks, days=days), gravidity=2, parity=1)
    return mother


def test_the_banner_carries_the_weeks_on_the_card_and_the_visit(client, doctor, polyclinic):
    mother = pregnant(polyclinic, doctor, weeks=24, days=3)
    visit = visit_services.open_visit(doctor, mother)
    client.force_login(doctor)
    for url in (reverse("patients:card", args=[mother.med_id]),
                reverse("clinics:visit-edit", args=[visit.public_id])):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'data-testid="banner-pregnancy"' in page, url
        assert "24 weeks 3 days · trimester 2" in page, url


def test_no_pregnancy_line_without_an_open_pregnancy_or_for_a_man(doctor, polyclinic,
                                                                 django_assert_num_queries):
    assert clinical_banner(doctor, woman(polyclinic, doctor)).pregnancy is None
    man = CardFactory(attached_facility=polyclinic, sex=Sex.MALE)
    with django_assert_num_queries(4):  # no pregnancy query for a man
        assert clinical_banner(doctor, man).pregnancy is None


def test_after_the_outcome_the_line_is_gone(doctor, polyclinic):
    mother = pregnant(polyclinic, doctor, weeks=10, days=0)
    assert clinical_banner(doctor, mother).pregnancy.weeks == 10
    services.record_outcome(actor=doctor, med_id=mother.med_id, outcome="miscarriage",
                            outcome_date=timezone.localdate(), facility=polyclinic)
    assert clinical_banner(doctor, mother).pregnancy is None


def test_a_registrar_does_not_see_the_pregnancy(client, doctor, polyclinic):
    mother = pregnant(polyclinic, doctor, weeks=30, days=0)
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    assert clinical_banner(registrar, mother).pregnancy is None
    client.force_login(registrar)
    page = client.get(reverse("patients:card", args=[mother.med_id])).content.decode()
    assert 'data-testid="banner-pregnancy"' not in page
