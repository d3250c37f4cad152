"""A newborn's home visits count from its discharge home: none while a baby born in a
maternity is still there, the plan made (and remade, without doubles) from the recorded
day, from birth when there is no maternity to leave; a discharge before the birth refused
by the service and by the database."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from mch import services as mch
from mch.models import Newborn
from patronage import services
from patronage.models import PlannedVisit, PlanStatus, Reason, StreetAssignment
from registry.models import FacilityKind
from tests.factories import FacilityFactory, staff_at
from tests.mch.factories import woman

pytestmark = pytest.mark.django_db
STREET = "Bunyodkor ko‘chasi"


@pytest.fixture
def nurse(polyclinic):
    nurse = staff_at(polyclinic, Role.NURSE)
    StreetAssignment.objects.create(facility=polyclinic, street=STREET, nurse=nurse)
    return nurse


@pytest.fixture
def maternity(db):
    return FacilityFactory(kind=FacilityKind.HOSPITAL, name="Tug‘ruq kompleksi")


def born(doctor, polyclinic, facility, days_ago=10) -> Newborn:
    """A girl born `days_ago` days ago at `facility`, her mother of the polyclinic."""
    mother = woman(polyclinic, doctor, street=f"{STREET}, 12")
    mch.register_pregnancy(actor=doctor, med_id=mother.med_id, dating_method="lmp",
                           gravidity=1, parity=0,
                           lmp=timezone.localdate() - timedelta(weeks=40))
    mch.record_outcome(actor=doctor, med_id=mother.med_id, outcome="live_birth",
                       outcome_date=timezone.localdate() - timedelta(days=days_ago),
                       facility=facility, newborns=[mch.BabyAtBirth(
                           sex="female", weight_g=3300, length_cm=Decimal("50.0"),
                           apgar_1=8, apgar_5=9)])
    return Newborn.objects.select_related("pregnancy__card", "card").get(
        pregnancy__card=mother)


def discharge(doctor, newborn, on):
    return mch.record_newborn_discharge(actor=doctor, med_id=newborn.pregnancy.card.med_id,
                                        newborn=newborn.card.med_id, discharged_on=on)


def plan(newborn, start):
    """The newborn's visits as (due, overdue after), in days from `start`."""
    return [((visit.due_on - start).days, (visit.overdue_after - start).days)
            for visit in PlannedVisit.objects.filter(card=newborn.card, reason=Reason.NEWBORN)
            .order_by("due_on")]


def test_in_the_maternity_nothing_is_planned_then_the_plan_counts_from_discharge(
        doctor, polyclinic, nurse, maternity):
    newborn = born(doctor, polyclinic, maternity)
    assert newborn.born_on == newborn.pregnancy.outcome_date
    assert plan(newborn, newborn.born_on) == []
    discharge(doctor, newborn, newborn.born_on + timedelta(days=3))
    visits = plan(newborn, newborn.born_on)
    # Discharged on day 3: the first visit in days 4-6, then a week, two and three weeks
    # and 30 days after going home, monthly from two months to a year after it.
    assert visits[:5] == [(4, 6), (10, 11), (17, 18), (24, 25), (33, 35)]
    assert len(visits) == 16
    assert PlannedVisit.objects.filter(card=newborn.card, nurse=nurse).count() == 16
    assert AuditEvent.objects.filter(object_type="mch.pregnancy", action="update",
                                     patient_med_id=newborn.card.med_id).exists()


def test_a_corrected_discharge_replans_keeping_the_visit_made_and_doubling_none(
        doctor, polyclinic, nurse, maternity):
    newborn = born(doctor, polyclinic, maternity)
    discharge(doctor, newborn, newborn.born_on + timedelta(days=2))
    first = PlannedVisit.objects.filter(card=newborn.card).order_by("due_on").first()
    services.record_visit(actor=nurse, public_id=first.public_id,
                          idempotency_key=uuid.uuid4(), feeding="breast")
    # Recorded again with the same day: nothing changes.
    discharge(doctor, newborn, newborn.born_on + timedelta(days=2))
    assert len(plan(newborn, newborn.born_on)) == 16
    # The maternity corrects it to day 4: the visits ahead move, the one made stays.
    discharge(doctor, newborn, newborn.born_on + timedelta(days=4))
    visits = PlannedVisit.objects.filter(card=newborn.card).order_by("due_on")
    assert [(v.due_on - newborn.born_on).days for v in visits][:3] == [3, 5, 11]
    assert visits.filter(status=PlanStatus.DONE).get().pk == first.pk
    assert visits.count() == 17
    assert services.plan_newborn(Newborn.objects.get(pk=newborn.pk)) == 0
    assert visits.count() == 17


@pytest.mark.parametrize("kind", [FacilityKind.POLYCLINIC, FacilityKind.FAMILY_DOCTOR_POINT])
def test_born_outside_a_maternity_counts_from_birth(doctor, polyclinic, nurse, kind):
    newborn = born(doctor, polyclinic, FacilityFactory(kind=kind))
    assert plan(newborn, newborn.born_on)[:5] == [(1, 3), (7, 8), (14, 15), (21, 22), (30, 32)]


def test_a_discharge_before_the_birth_or_ahead_is_refused(doctor, polyclinic, maternity):
    newborn = born(doctor, polyclinic, maternity)
    for day, field in ((newborn.born_on - timedelta(days=1), "discharged_on"),
                       (timezone.localdate() + timedelta(days=1), "discharged_on")):
        with pytest.raises(ValidationError) as refused:
            discharge(doctor, newborn, day)
        assert field in refused.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError,
                                             match="newborn_discharged_after_birth"):
        Newborn.objects.filter(pk=newborn.pk).update(
            discharged_on=newborn.born_on - timedelta(days=1))
    newborn.refresh_from_db()
    assert newborn.discharged_on is None
    assert not PlannedVisit.objects.filter(card=newborn.card).exists()


def test_only_a_baby_of_this_mother_and_only_by_carers(doctor, polyclinic, maternity):
    newborn = born(doctor, polyclinic, maternity)
    other = woman(polyclinic, doctor)
    with pytest.raises(ValidationError) as refused:
        mch.record_newborn_discharge(actor=doctor, med_id=other.med_id,
                                     newborn=newborn.card.med_id,
                                     discharged_on=timezone.localdate())
    assert "newborn" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        discharge(staff_at(polyclinic, Role.REGISTRAR), newborn, timezone.localdate())
    with pytest.raises(PermissionDenied):
        discharge(staff_at(FacilityFactory(), Role.CLINICIAN), newborn, timezone.localdate())
    newborn.refresh_from_db()
    assert newborn.discharged_on is None
