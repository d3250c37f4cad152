import factory
from factory.django import DjangoModelFactory

from clinics.models import Visit
from tests.factories import UserFactory
from tests.patients.factories import CardFactory


class VisitFactory(DjangoModelFactory):
    """An open visit at the card's facility (the ICD-10 table is loaded by migration)."""

    class Meta:
        model = Visit

    card = factory.SubFactory(CardFactory)
    facility = factory.SelfAttribute("card.attached_facility")
    clinician = factory.SubFactory(UserFactory)
