import datetime

import factory
from factory.django import DjangoModelFactory

from dmed.models import User
from dmed.roles import Role
from registry.models import Department, District, Facility, FacilityKind, Region, StaffRecord

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CLINICIAN
    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])


class FacilityFactory(DjangoModelFactory):
    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"TEST-F{n:04d}")
    name = factory.Sequence(lambda n: f"{n}-sonli oilaviy poliklinika")
    kind = FacilityKind.POLYCLINIC
    tax_id = factory.Sequence(lambda n: f"{200000000 + n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="1726"))
    district = factory.LazyFunction(lambda: District.objects.get(code="1726294"))
    address = "Chilonzor tumani, Bunyodkor ko‘chasi, 1"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    facility = factory.SubFactory(FacilityFactory)
    code = factory.Sequence(lambda n: f"D{n}")
    name = "Terapiya bo‘limi"


class StaffRecordFactory(DjangoModelFactory):
    class Meta:
        model = StaffRecord

    user = factory.SubFactory(UserFactory)
    facility = factory.SubFactory(FacilityFactory)
    role = factory.LazyAttribute(lambda record: record.user.role)
    active_from = datetime.date(2024, 1, 1)


def staff_at(facility: Facility, role: str = Role.CLINICIAN) -> User:
    """A member of staff with an active staff record at the facility."""
    user = UserFactory(role=role)
    StaffRecordFactory(user=user, facility=facility, role=role)
    return user
