"""Plans generated from the rules (idempotent, following changes), nurses by street and by
hand, and the visit recorded once per idempotency key, with its refusals and audit."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from mch import services as mch
from mch.models import Newborn, RiskFactor
from patients.services import merge_cards
from patronage import services
from patronage.models import (
    CareListing,
    HomeVisit,
    PlannedVisit,
    PlanStatus,
    Reason,
    StreetAssignment,
    WarningSign,
)
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.mch.factories import woman
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db
STREET = "Bunyodkor ko‘chasi"


@pytest.fixture
def nurse(polyclinic):
    nurse = staff_at(polyclinic, Role.NURSE)
    StreetAssignment.objects.create(facility=polyclinic, street=STREET, nurse=nurse)
    return nurse


def _register(doctor, mother, factors=()):
    return mch.register_pregnancy(actor=doctor, med_id=mother.med_id, dating_method="lmp",
                                  gravidity=2, parity=1, risk_factors=factors,
                                  lmp=timezone.localdate() - timedelta(weeks=10))


def _visits(card, reason):
    return list(PlannedVisit.objects.filter(card=card, reason=reason).order_by("due_on"))


def test_a_registered_pregnancy_is_planned_by_its_risk_group_once(doctor, polyclinic, nurse):
    mother = woman(polyclinic, doctor, street=f"{STREET}, 12")
    pregnancy = _register(doctor, mother, [RiskFactor.objects.get(code="diabetes")])
    assert pregnancy.risk_group == "high"
    visits = _visits(mother, Reason.PREGNANCY)
    today = timezone.localdate()
    # Every two weeks from a week after registration to the expected delivery (30 weeks).
    assert [(v.due_on - today).days for v in visits] == list(range(7, 211, 14))
    assert {v.nurse_id for v in visits} == {nurse.pk}
    assert services.plan_pregnancy(pregnancy) == 0
    assert len(_visits(mother, Reason.PREGNANCY)) == len(visits)
    # The risk falls to low: the visits ahead follow the low group.
    pregnancy.risk_group = "low"
    pregnancy.save(update_fields=["risk_group"])
    assert [(v.due_on - today).days for v in _visits(mother, Reason.PREGNANCY)] == [7, 63,
                                                                                     119, 175]


def test_a_birth_plans_the_newborn_and_ends_the_pregnancy_visits(doctor, polyclinic, nurse):
    mother = woman(polyclinic, doctor, street=f"{STREET}, 12")
    _register(doctor, mother)
    born = timezone.localdate()
    mch.record_outcome(actor=doctor, med_id=mother.med_id, outcome="live_birth",
                       outcome_date=born, facility=polyclinic, newborns=[mch.BabyAtBirth(
                           sex="female", weight_g=3300, length_cm=Decimal("50.0"),
                           apgar_1=8, apgar_5=9)])
    newborn = Newborn.objects.get(pregnancy__card=mother)
    visits = _visits(newborn.card, Reason.NEWBORN)
    assert [(v.due_on - born).days for v in visits][:5] == [1, 7, 14, 21, 30]
    assert len(visits) == 16
    assert {v.nurse_id for v in visits} == {nurse.pk}  # the baby lives at the mother's
    assert services.plan_newborn(newborn) == 0
    assert len(_visits(newborn.card, Reason.NEWBORN)) == 16
    assert _visits(mother, Reason.PREGNANCY) == []


def test_lists_are_planned_and_the_nightly_run_never_doubles(doctor, polyclinic, nurse):
    card = CardFactory(attached_facility=polyclinic, street=f"{STREET}, 3")
    listing = CareListing.objects.create(card=card, kind=Reason.BEDRIDDEN, added_by=doctor)
    assert len(_visits(card, Reason.BEDRIDDEN)) == 12
    assert services.refresh_lists() == 0
    assert len(_visits(card, Reason.BEDRIDDEN)) == 12
    listing.ended_on = timezone.localdate()
    listing.save()
    assert _visits(card, Reason.BEDRIDDEN) == []


def test_the_nurse_of_the_longest_matching_street(polyclinic, nurse):
    lane = staff_at(polyclinic, Role.NURSE)
    StreetAssignment.objects.create(facility=polyclinic, street=f"{STREET} 2-tor", nurse=lane)
    assert services.nurse_for_street(polyclinic.pk, f"{STREET} 2-tor, 5") == lane.pk
    assert services.nurse_for_street(polyclinic.pk, f"{STREET.upper()}, 5") == nurse.pk
    assert services.nurse_for_street(polyclinic.pk, "Navoiy ko‘chasi, 1") is None
    assert services.nurse_for_street(FacilityFactory().pk, f"{STREET}, 5") is None


def _planned(polyclinic, nurse, reason=Reason.NEWBORN, **card):
    card = CardFactory(attached_facility=polyclinic, street=f"{STREET}, 4", **card)
    today = timezone.localdate()
    return PlannedVisit.objects.create(card=card, reason=reason, due_on=today,
                                       overdue_after=today, facility=polyclinic, nurse=nurse)


def test_reassigned_by_hand_within_the_polyclinic_and_kept(doctor, polyclinic, nurse):
    visit = _planned(polyclinic, nurse)
    other = staff_at(polyclinic, Role.NURSE)
    services.reassign(actor=doctor, public_id=visit.public_id, nurse=other)
    visit.refresh_from_db()
    assert (visit.nurse_id, visit.assigned_by_hand) == (other.pk, True)
    assert AuditEvent.objects.filter(object_type="patronage.visit", action="update",
                                     object_id=str(visit.public_id)).exists()
    with pytest.raises(ValidationError) as refused:
        services.reassign(actor=doctor, public_id=visit.public_id,
                          nurse=staff_at(FacilityFactory(), Role.NURSE))
    assert "nurse" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.reassign(actor=staff_at(FacilityFactory(), Role.NURSE),
                          public_id=visit.public_id, nurse=other)
    visit.refresh_from_db()
    assert visit.nurse_id == other.pk


def _record(nurse, visit, key=None, **fields):
    return services.record_visit(actor=nurse, public_id=visit.public_id,
                                 idempotency_key=key or uuid.uuid4(),
                                 **({"systolic": 110, "diastolic": 70, "pulse": 120,
                                     "temperature": Decimal("36.8"), "weight_kg": Decimal("4.2"),
                                     "feeding": "breast", "advice": "Keep warm", "notes": ""}
                                    | fields))


def test_recorded_signed_audited_and_a_replay_returns_the_same_visit(polyclinic, nurse):
    visit = _planned(polyclinic, nurse)
    key = uuid.uuid4()
    jaundice = WarningSign.objects.get(code="jaundice")
    record, created = _record(nurse, visit, key, warning_signs=[jaundice])
    assert created
    assert record.content_digest == services.content_digest(record, [jaundice])
    assert AuditEvent.objects.filter(object_type="patronage.visit", action="create",
                                     patient_med_id=visit.card.med_id, allowed=True).count() == 1
    again, created = _record(nurse, visit, key, advice="typed twice")
    assert (again.pk, created) == (record.pk, False)
    assert HomeVisit.objects.count() == 1
    visit.refresh_from_db()
    assert visit.status == PlanStatus.DONE
    with pytest.raises(ValidationError) as refused:
        _record(nurse, visit)  # a new key for a visit already recorded
    assert "visit" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _record(nurse, _planned(polyclinic, nurse), key)  # the key of another visit
    assert "idempotency_key" in refused.value.message_dict


def test_refusals_by_who_asks(doctor, polyclinic, nurse):
    visit = _planned(polyclinic, nurse)
    with pytest.raises(PermissionDenied):
        _record(staff_at(FacilityFactory(), Role.NURSE), visit)
    with pytest.raises(PermissionDenied):
        _record(doctor, visit)
    with pytest.raises(PermissionDenied):
        _record(staff_at(polyclinic, Role.REGISTRAR), visit)
    with pytest.raises(Http404):
        _record(UserFactory(role=Role.PATIENT), visit)
    assert AuditEvent.objects.filter(object_type="patronage.visit", allowed=False).count() == 3
    assert not HomeVisit.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"systolic": 70, "diastolic": 90}, "systolic"),
    ({"systolic": 120, "diastolic": None}, "systolic"),
    ({"warning_signs": "bleeding"}, "warning_signs"),
])
def test_bad_input_is_refused_per_field_and_nothing_written(polyclinic, nurse, fields, field):
    visit = _planned(polyclinic, nurse)
    if "warning_signs" in fields:
        fields = {"warning_signs": [WarningSign.objects.get(code=fields["warning_signs"])]}
    with pytest.raises(ValidationError) as refused:
        _record(nurse, visit, **fields)
    assert field in refused.value.message_dict
    assert not HomeVisit.objects.exists()


def test_feeding_is_for_newborns(polyclinic, nurse):
    with pytest.raises(ValidationError) as refused:
        _record(nurse, _planned(polyclinic, nurse, reason=Reason.BEDRIDDEN))
    assert "feeding" in refused.value.message_dict


def test_a_merged_card_takes_its_visits_along_keeping_the_one_made(polyclinic, nurse):
    admin = UserFactory(role=Role.ADMINISTRATOR)
    made = _planned(polyclinic, nurse)
    _record(nurse, made)
    ahead = PlannedVisit.objects.create(
        card=made.card, reason=Reason.NEWBORN, due_on=made.due_on + timedelta(days=7),
        overdue_after=made.due_on + timedelta(days=8), facility=polyclinic, nurse=nurse)
    target = CardFactory(attached_facility=polyclinic, street=f"{STREET}, 4")
    twin = PlannedVisit.objects.create(card=target, reason=Reason.NEWBORN, due_on=made.due_on,
                                       overdue_after=made.due_on, facility=polyclinic,
                                       nurse=nurse)
    same_ahead = PlannedVisit.objects.create(
        card=target, reason=Reason.NEWBORN, due_on=ahead.due_on,
        overdue_after=ahead.overdue_after, facility=polyclinic, nurse=nurse)
    merge_cards(actor=admin, source_med_id=made.card.med_id, target_med_id=target.med_id)
    left = {visit.pk: visit.card_id for visit in PlannedVisit.objects.all()}
    assert left == {made.pk: target.pk, same_ahead.pk: target.pk}
    assert twin.pk not in left and ahead.pk not in left
