"""Shared set-up of the laboratory tests: a polyclinic, a laboratory and their staff."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from clinics.labs import services
from dmed.models import User
from dmed.roles import Role
from registry.models import Facility, FacilityKind
from tests.factories import FacilityFactory, staff_at


@dataclass
class LabWorld:
    polyclinic: Facility
    laboratory: Facility
    doctor: User
    technician: User
    second_technician: User


def lab_world() -> LabWorld:
    polyclinic = FacilityFactory()
    laboratory = FacilityFactory(kind=FacilityKind.LABORATORY, name="Diagnostika laboratoriyasi")
    return LabWorld(polyclinic, laboratory, staff_at(polyclinic, Role.CLINICIAN),
                    staff_at(laboratory, Role.LAB_TECHNICIAN),
                    staff_at(laboratory, Role.LAB_TECHNICIAN))


def released_result(world: LabWorld, card, code: str, value, *, days_ago: int = 0):
    """Order, enter and release one result, as the laboratory would."""
    order = services.place_lab_order(actor=world.doctor, med_id=card.med_id,
                                     laboratory=world.laboratory, tests=[code])
    sampled_at = timezone.now() - timedelta(days=days_ago)
    if days_ago:
        type(order).objects.filter(pk=order.pk).update(
            ordered_at=sampled_at - timedelta(hours=1))
        order.refresh_from_db()
    result = services.enter_result(actor=world.technician, order_id=order.public_id,
                                   test_code=code, value=value, sampled_at=sampled_at)
    return services.release_result(actor=world.second_technician, result_id=result.public_id)
