"""Writes of pregnancies, antenatal contacts, births and vaccinations: rules per field,
scope refusals audited, and what a live birth creates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from mch import services
from mch.models import (
    CalendarDose,
    ExemptionKind,
    GrowthMeasurement,
    Outcome,
    Pregnancy,
    RiskFactor,
    Vaccination,
)
from mch.selectors import current_gestational_age
from patients.access import CardAccessDenied
from patients.models import Attachment, CardStatus, Representation
from patients.services import break_the_glass, merge_cards, register_card
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.mch.factories import child, woman
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


def register(doctor, card, **fields):
    arguments = {"dating_method": "lmp", "gravidity": 2, "parity": 1,
                 "lmp": timezone.localdate() - timedelta(weeks=10)} | fields
    return services.register_pregnancy(actor=doctor, med_id=card.med_id, **arguments)


def test_registered_by_last_period_with_naegele_and_risk_group(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    anaemia = RiskFactor.objects.get(code="anaemia")
    pregnancy = register(doctor, mother, risk_factors=[anaemia])
    assert pregnancy.edd == timezone.localdate() + timedelta(weeks=30)
    assert pregnancy.risk_group == "medium"
    assert str(current_gestational_age(mother)) == "10+0"
    assert AuditEvent.objects.filter(object_type="mch.pregnancy",
                                     patient_med_id=mother.med_id, allowed=True).exists()


def test_her_age_adds_its_risk_factor_and_a_high_factor_makes_high_risk(doctor, polyclinic):
    today = timezone.localdate()
    mother = woman(polyclinic, doctor, born=today.replace(year=today.year - 38))
    pregnancy = register(doctor, mother, risk_factors=[RiskFactor.objects.get(code="diabetes")])
    assert set(pregnancy.risk_factors.values_list("code", flat=True)) == {"diabetes",
                                                                          "age-35-plus"}
    assert pregnancy.risk_group == "high"


def test_dated_by_scan(doctor, polyclinic):
    today = timezone.localdate()
    pregnancy = register(doctor, woman(polyclinic, doctor), dating_method="ultrasound",
                         lmp=None, scan_date=today - timedelta(days=7), scan_weeks=12,
                         scan_days=3)
    assert pregnancy.edd == today - timedelta(days=7) + timedelta(days=280 - 87)
    assert pregnancy.lmp is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"lmp": None}, "lmp"),
    ({"lmp": timezone.localdate() + timedelta(days=1)}, "lmp"),
    ({"lmp": timezone.localdate() - timedelta(weeks=45)}, "lmp"),
    ({"gravidity": 0}, "gravidity"),
    ({"gravidity": 2, "parity": 2}, "parity"),
    ({"dating_method": "ultrasound", "scan_date": None, "scan_weeks": 3, "scan_days": 7},
     "scan_weeks"),
    ({"dating_method": "guess"}, "dating_method"),
])
def test_bad_input_is_refused_per_field(doctor, polyclinic, fields, field):
    with pytest.raises(ValidationError) as refused:
        register(doctor, woman(polyclinic, doctor), **fields)
    assert field in refused.value.message_dict
    assert not Pregnancy.objects.exists()


def test_one_open_pregnancy_and_not_on_a_mans_card(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    register(doctor, mother)
    with pytest.raises(ValidationError, match="already open"):
        register(doctor, mother)
    with pytest.raises(ValidationError, match="man"):
        register(doctor, CardFactory(attached_facility=polyclinic))
    with pytest.raises(ValidationError, match="7 years old"):
        register(doctor, woman(polyclinic, doctor,
                               born=timezone.localdate() - timedelta(days=7 * 366)))


def test_outside_scope_is_refused_and_audited(doctor):
    stranger = woman(FacilityFactory())
    with pytest.raises(CardAccessDenied):
        register(doctor, stranger)
    assert AuditEvent.objects.filter(patient_med_id=stranger.med_id, allowed=False).exists()
    nurse = staff_at(doctor.staff_records.first().facility, Role.NURSE)
    with pytest.raises(PermissionDenied):
        register(nurse, woman(doctor.staff_records.first().facility))


def test_antenatal_visits_fill_the_schedule_in_order(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    pregnancy = register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=25))
    today = timezone.localdate()
    # Registered late: her first contact is the one of her week (24–26), not contact 1.
    first = services.record_antenatal_visit(
        actor=doctor, med_id=mother.med_id, visited_on=today,
        measurements=services.Measurements(systolic=118, diastolic=76,
                                           weight_kg=Decimal("64.5"), fetal_heart_rate=140))
    assert first.contact.number == 3
    second = services.record_antenatal_visit(actor=doctor, med_id=mother.med_id,
                                             visited_on=today,
                                             measurements=services.Measurements())
    assert second.contact.number == 4
    with pytest.raises(ValidationError) as refused:
        services.record_antenatal_visit(actor=doctor, med_id=mother.med_id, visited_on=today,
                                        measurements=services.Measurements(systolic=120))
    assert "diastolic" in refused.value.message_dict
    assert pregnancy.visits.count() == 2


def baby(**fields):
    return services.BabyAtBirth(**({"sex": "female", "weight_g": 3350,
                                    "length_cm": Decimal("51.0"), "apgar_1": 8, "apgar_5": 9}
                                   | fields))


def test_live_birth_creates_the_newborns_temporary_card_with_the_mother(polyclinic):
    doctor = staff_at(polyclinic, Role.CLINICIAN)
    account = UserFactory(role=Role.PATIENT)
    mother = woman(polyclinic, doctor, user=account, phone="+998901234567")
    register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=39))
    maternity = FacilityFactory(kind="hospital", name="1-sonli tug‘ruqxona")
    obstetrician = staff_at(maternity, Role.CLINICIAN)
    # The maternity's obstetrician has the mother in care through a break-the-glass grant.
    break_the_glass(actor=obstetrician, med_id=mother.med_id, reason="Admitted in labour")
    today = timezone.localdate()
    pregnancy = services.record_outcome(actor=obstetrician, med_id=mother.med_id,
                                        outcome=Outcome.LIVE_BIRTH, outcome_date=today,
                                        facility=maternity, newborns=[baby()])
    assert (pregnancy.outcome, pregnancy.outcome_facility) == (Outcome.LIVE_BIRTH, maternity)
    newborn = pregnancy.newborns.get()
    card = newborn.card
    assert (card.status, card.sex, card.birth_date) == (CardStatus.TEMPORARY, "female", today)
    assert (card.attached_facility, card.family_doctor) == (polyclinic, doctor)
    assert card.registered_at == maternity
    assert Attachment.objects.filter(card=card, facility=polyclinic, ended_at=None).exists()
    assert Representation.objects.filter(card=card, representative=account).exists()
    assert card.emergency_contact_phone == "+998901234567"
    assert (newborn.weight_g, newborn.apgar_1, newborn.apgar_5) == (3350, 8, 9)
    assert current_gestational_age(mother) is None


@pytest.mark.parametrize(("fields", "field"), [({"apgar_5": 11}, "apgar_5"),
                                               ({"weight_g": 50}, "weight_g"),
                                               ({"sex": ""}, "sex")])
def test_bad_newborn_details_write_nothing(doctor, polyclinic, fields, field):
    mother = woman(polyclinic, doctor)
    register(doctor, mother)
    with pytest.raises(ValidationError) as refused:
        services.record_outcome(actor=doctor, med_id=mother.med_id, outcome="live_birth",
                                outcome_date=timezone.localdate(), facility=polyclinic,
                                newborns=[baby(**fields)])
    assert field in refused.value.message_dict
    assert Pregnancy.objects.get().is_open


def test_miscarriage_closes_without_a_card(doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    register(doctor, mother)
    services.record_outcome(actor=doctor, med_id=mother.med_id, outcome=Outcome.MISCARRIAGE,
                            outcome_date=timezone.localdate(), facility=polyclinic,
                            newborns=[baby()])
    pregnancy = Pregnancy.objects.get()
    assert not pregnancy.is_open and not pregnancy.newborns.exists()


def dose(vaccine, number):
    return CalendarDose.objects.get(vaccine__code=vaccine, number=number)


def vaccinate(actor, card, vaccine, number, given_on, **fields):
    return services.record_vaccination(**({
        "actor": actor, "med_id": card.med_id, "dose": dose(vaccine, number),
        "lot_number": "A123", "expiry_date": given_on + timedelta(days=200),
        "site": "left_thigh", "route": "im", "given_on": given_on} | fields))


def test_vaccinations_follow_the_series_rules(doctor, polyclinic):
    nurse = staff_at(polyclinic, Role.NURSE)
    baby_card = child(polyclinic, doctor, days_old=120)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        vaccinate(nurse, baby_card, "penta", 2, today)
    assert "dose" in refused.value.message_dict
    vaccinate(nurse, baby_card, "penta", 1, today - timedelta(days=10))
    with pytest.raises(ValidationError) as refused:
        vaccinate(nurse, baby_card, "penta", 2, today)
    assert "given_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        vaccinate(nurse, baby_card, "penta", 1, today)
    assert "dose" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        vaccinate(nurse, baby_card, "pcv", 1, today, expiry_date=today - timedelta(days=1),
                  lot_number=" ")
    assert {"expiry_date", "lot_number"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError) as refused:
        vaccinate(nurse, child(polyclinic, doctor, days_old=20), "mmr", 1, today)
    assert "given_on" in refused.value.message_dict


def test_exemption_needs_a_reason_and_a_later_revisit(doctor, polyclinic):
    card = child(polyclinic, doctor, days_old=400)
    mmr = dose("mmr", 1).vaccine
    with pytest.raises(ValidationError) as refused:
        services.record_exemption(actor=doctor, med_id=card.med_id, vaccine=mmr,
                                  kind=ExemptionKind.REFUSAL, reason=" ",
                                  revisit_on=timezone.localdate())
    assert {"reason", "revisit_on"} == set(refused.value.message_dict)
    exemption = services.record_exemption(
        actor=doctor, med_id=card.med_id, vaccine=mmr, kind=ExemptionKind.REFUSAL,
        reason="Parents refuse", revisit_on=timezone.localdate() + timedelta(days=30))
    assert exemption.recorded_by == doctor


def test_newborns_temporary_card_merged_into_the_identified_one_keeps_its_records(
        doctor, polyclinic):
    mother = woman(polyclinic, doctor)
    register(doctor, mother, lmp=timezone.localdate() - timedelta(weeks=39))
    today = timezone.localdate()
    pregnancy = services.record_outcome(actor=doctor, med_id=mother.med_id,
                                        outcome=Outcome.LIVE_BIRTH, outcome_date=today,
                                        facility=polyclinic, newborns=[baby()])
    temporary = pregnancy.newborns.get().card
    vaccinate(doctor, temporary, "hepb", 1, today)
    services.record_growth(actor=doctor, med_id=temporary.med_id, measured_on=today,
                           weight_kg=Decimal("3.35"))
    registrar = staff_at(polyclinic, Role.REGISTRAR)
    identified = register_card(actor=registrar, last_name="Karimova", first_name="Laylo",
                               birth_date=today, sex="female", confirm_not_duplicate=True)
    vaccinate(doctor, identified, "hepb", 1, today, lot_number="B2")  # recorded twice
    merge_cards(actor=doctor, source_med_id=temporary.med_id, target_med_id=identified.med_id)
    assert pregnancy.newborns.get().card == identified
    assert list(Vaccination.objects.filter(card=identified).values_list("lot_number",
                                                                        flat=True)) == ["B2"]
    assert GrowthMeasurement.objects.filter(card=identified).count() == 1


def test_a_merge_of_two_open_pregnancies_stops(doctor, polyclinic):
    first, second = woman(polyclinic, doctor), woman(polyclinic, doctor)
    register(doctor, first)
    register(doctor, second)
    admin = UserFactory(role=Role.ADMINISTRATOR)
    with pytest.raises(ValidationError, match="open pregnancy"):
        merge_cards(actor=admin, source_med_id=first.med_id, target_med_id=second.med_id)
    assert Pregnancy.objects.filter(card=first).exists()
