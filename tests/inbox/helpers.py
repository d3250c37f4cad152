"""The inbox tests' world: a hospital department with a head and an on-call doctor, a
polyclinic, a laboratory; and the outbox run to the end, as the relay and workers would."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from clinics.labs import services as lab_services
from dmed.models import User
from dmed.roles import Role
from outbox import services as outbox_services
from outbox.models import Delivery
from registry.models import Department, Facility, FacilityKind
from tests.factories import DepartmentFactory, FacilityFactory, StaffRecordFactory, UserFactory
from tests.patients.factories import CardFactory


@dataclass
class World:
    hospital: Facility
    department: Department
    laboratory: Facility
    doctor: User        # orders, in the department
    colleague: User     # another clinician of the department
    head: User          # head of the department
    on_call: User       # on the hospital's on-call list, another department
    stranger: User      # a clinician of the hospital the notices never reach
    technician: User
    second_technician: User
    card: object


def staff(facility, role=Role.CLINICIAN, department=None, name="Xodim", **flags) -> User:
    # English readers: the tests read the messages and pages they are sent.
    user = UserFactory(role=role, last_name=name, language="en",
                       email=f"{UserFactory._meta.model.objects.count()}@dmed.uz")
    StaffRecordFactory(user=user, facility=facility, role=role, department=department,
                       **flags)
    return user


def world() -> World:
    hospital = FacilityFactory(kind=FacilityKind.HOSPITAL, name="3-sonli shifoxona")
    department = DepartmentFactory(facility=hospital, code="CARD", name="Kardiologiya")
    surgery = DepartmentFactory(facility=hospital, code="SURG", name="Jarrohlik")
    laboratory = FacilityFactory(kind=FacilityKind.LABORATORY, name="Laboratoriya")
    card = CardFactory(attached_facility=hospital, registered_at=hospital, sex="male",
                       birth_date=date(1970, 5, 1), last_name="Rahimov", first_name="Bobur")
    return World(hospital, department, laboratory,
                 doctor=staff(hospital, department=department, name="Shifokorov"),
                 colleague=staff(hospital, department=department, name="Hamkorov"),
                 head=staff(hospital, department=department, name="Boshliqov", is_head=True),
                 on_call=staff(hospital, department=surgery, name="Navbatchiyev",
                               on_call=True),
                 stranger=staff(hospital, department=surgery, name="Begonayev"),
                 technician=staff(laboratory, Role.LAB_TECHNICIAN),
                 second_technician=staff(laboratory, Role.LAB_TECHNICIAN),
                 card=card)


def release(world: World, code: str = "K", value: str = "7.1", *, card=None, orderer=None):
    """Order, enter and release one result, then run the outbox to the end."""
    card = card or world.card
    order = lab_services.place_lab_order(actor=orderer or world.doctor, med_id=card.med_id,
                                         laboratory=world.laboratory, tests=[code])
    result = lab_services.enter_result(actor=world.technician, order_id=order.public_id,
                                       test_code=code, value=Decimal(value),
                                       sampled_at=timezone.now())
    result = lab_services.release_result(actor=world.second_technician,
                                         result_id=result.public_id)
    deliver_all()
    return result


def deliver_all() -> None:
    """Relay and handle every due delivery, again while deliveries raise new events."""
    while True:
        outbox_services.fan_out()
        due = list(Delivery.objects.filter(status="pending",
                                           next_attempt_at__lte=timezone.now())
                   .values_list("pk", flat=True))
        if not due:
            return
        outbox_services.handle_deliveries(due)
