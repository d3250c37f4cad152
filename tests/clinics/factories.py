import factory
from factory.django import DjangoModelFactory

from clinics.models import Bed, Visit, Ward
from registry.models import FacilityKind
from tests.factories import DepartmentFactory, FacilityFactory, UserFactory
from tests.patients.factories import CardFactory


class VisitFactory(DjangoModelFactory):
    """An open visit at the card's facility (the ICD-10 table is loaded by migration)."""

    class Meta:
        model = Visit

    card = factory.SubFactory(CardFactory)
    facility = factory.SelfAttribute("card.attached_facility")
    clinician = factory.SubFactory(UserFactory)


class WardFactory(DjangoModelFactory):
    class Meta:
        model = Ward

    department = factory.SubFactory(DepartmentFactory,
                                    facility=factory.SubFactory(FacilityFactory,
                                                                kind=FacilityKind.HOSPITAL))
    code = factory.Sequence(lambda n: f"{n + 1}")


class BedFactory(DjangoModelFactory):
    class Meta:
        model = Bed

    ward = factory.SubFactory(WardFactory)
    code = factory.Sequence(lambda n: f"{n % 6 + 1}-{n}")
