"""The stored next dose and next antenatal contact: written by the services with what
decides them, refreshed daily when they may change by themselves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.roles import Role
from mch import dating, schedules, services
from mch.models import AntenatalContact, ExemptionKind, ImmunisationStatus, Outcome
from patients.models import PatientCard
from patients.services import change_attachment, merge_cards
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.mch.factories import child, woman
from tests.mch.test_services import baby, dose, register, vaccinate

pytestmark = pytest.mark.django_db


def stored(card):
    return ImmunisationStatus.objects.get(card=card)


def test_a_vaccination_and_an_exemption_move_the_next_dose(doctor, polyclinic):
    card = child(polyclinic, doctor, days_old=120)
    vaccinate(doctor, card, "hepb", 1, card.birth_date)
    status = stored(card)
    assert (status.next_dose, status.next_due_on) == (dose("bcg", 1),
                                                       card.birth_date + timedelta(days=2))
    vaccinate(doctor, card, "bcg", 1, card.birth_date + timedelta(days=3))
    # The two-month doses are next, in calendar order: OPV first.
    status = stored(card)
    assert (status.next_dose, status.next_due_on) == (dose("opv", 1),
                                                       card.birth_date + timedelta(days=61))
    today = timezone.localdate()
    services.record_exemption(actor=doctor, med_id=card.med_id, vaccine=dose("opv", 1).vaccine,
                              kind=ExemptionKind.REFUSAL, reason="Parents refuse",
                              revisit_on=today + timedelta(days=30))
    status = stored(card)
    assert status.next_dose == dose("pcv", 1)
    assert today < status.recheck_on <= today + timedelta(days=30)
    # On the revisit day the daily refresh puts the refused vaccine back first.
    assert schedules.refresh_stale(today + timedelta(days=30)) >= 1
    assert stored(card).next_dose == dose("opv", 1)


def test_the_daily_refresh_adds_children_registered_elsewhere_and_corrected_cards(
        doctor, polyclinic):
    today = timezone.localdate()
    newcomer = child(polyclinic, doctor, days_old=70)
    adult = woman(polyclinic, doctor)
    assert schedules.refresh_stale(today) == 1
    # The hepatitis B birth dose is missed after a day: BCG, from day 2, comes first.
    assert (stored(newcomer).next_dose, stored(newcomer).next_due_on) == (
        dose("bcg", 1), newcomer.birth_date + timedelta(days=2))
    assert not ImmunisationStatus.objects.filter(card=adult).exists()
    assert schedules.refresh_stale(today) == 0  # nothing changed: nothing to redo
    PatientCard.objects.filter(pk=newcomer.pk).update(birth_date=today)
    assert schedules.refresh_stale(today) == 1
    assert stored(newcomer).birth_date == today


def test_a_birth_gives_the_newborn_its_next_dose_and_a_merge_keeps_one(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=39))
    today = timezone.localdate()
    pregnancy = services.record_outcome(actor=doctor, med_id=mother.med_id,
                                        outcome=Outcome.LIVE_BIRTH, outcome_date=today,
                                        facility=polyclinic, newborns=[baby()])
    temporary = pregnancy.newborns.get().card
    assert (stored(temporary).next_dose, stored(temporary).next_due_on) == (dose("hepb", 1),
                                                                            today)
    assert pregnancy.next_contact is None
    identified = child(polyclinic, doctor, days_old=0, sex="female")
    vaccinate(doctor, temporary, "hepb", 1, today)
    merge_cards(actor=UserFactory(role=Role.ADMINISTRATOR), source_med_id=temporary.med_id,
                target_med_id=identified.med_id)
    assert not ImmunisationStatus.objects.filter(card=temporary).exists()
    assert stored(identified).next_dose == dose("bcg", 1)


def test_antenatal_visits_move_the_next_contact(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    pregnancy = register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=10))
    first = AntenatalContact.objects.get(number=1)
    assert pregnancy.next_contact == first
    assert pregnancy.next_contact_closes_on == \
        dating.week_date(pregnancy.edd, first.week_to + 1) - timedelta(days=1)
    services.record_antenatal_visit(actor=doctor, med_id=mother.med_id,
                                    visited_on=timezone.localdate(),
                                    measurements=services.Measurements())
    pregnancy.refresh_from_db()
    assert pregnancy.next_contact.number == 2


def test_the_next_dose_follows_the_card_to_its_new_district(doctor, polyclinic):
    card = child(polyclinic, doctor, days_old=30)
    vaccinate(doctor, card, "hepb", 1, card.birth_date)
    assert (stored(card).family_doctor, stored(card).facility) == (doctor, polyclinic)
    elsewhere = FacilityFactory()
    colleague = staff_at(elsewhere, Role.CLINICIAN)
    change_attachment(actor=UserFactory(role=Role.ADMINISTRATOR), med_id=card.med_id,
                      facility=elsewhere, family_doctor=colleague, reason="Moved house")
    assert (stored(card).family_doctor, stored(card).facility) == (colleague, elsewhere)
    # A district changed around the services (an import, a fix in the database) is caught
    # by the daily refresh.
    PatientCard.objects.filter(pk=card.pk).update(family_doctor=None)
    assert schedules.refresh_stale() == 1
    assert stored(card).family_doctor is None


def test_an_edit_of_the_calendar_redoes_every_next_dose_that_night(doctor, polyclinic):
    card = child(polyclinic, doctor, days_old=30)
    vaccinate(doctor, card, "hepb", 1, card.birth_date)
    vaccinate(doctor, card, "bcg", 1, card.birth_date + timedelta(days=2))
    assert stored(card).next_due_on == card.birth_date + timedelta(days=61)
    penta = dose("penta", 1)
    for early in (dose("opv", 1), dose("pcv", 1), penta, dose("rota", 1)):
        early.min_age_days = 42  # the admin brings the two-month doses to six weeks
        early.save()
    assert stored(card).recheck_on == timezone.localdate()
    schedules.refresh_stale()
    assert stored(card).next_due_on == card.birth_date + timedelta(days=42)


def test_an_edit_of_the_antenatal_schedule_is_worked_out_again_that_night(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    pregnancy = register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=10))
    first = AntenatalContact.objects.get(number=1)
    first.week_to = 14
    first.save()
    pregnancy.refresh_from_db()
    assert pregnancy.next_contact is None
    assert schedules.refresh_next_contacts() == 1
    pregnancy.refresh_from_db()
    assert pregnancy.next_contact == first
    assert pregnancy.next_contact_closes_on == dating.week_date(pregnancy.edd, 15) - timedelta(
        days=1)
