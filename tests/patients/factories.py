import datetime

import factory
from factory.django import DjangoModelFactory

from dmed.translit import search_key
from patients.identifiers import new_med_id
from patients.models import PatientCard, Sex
from tests.factories import FacilityFactory


class CardFactory(DjangoModelFactory):
    class Meta:
        model = PatientCard

    med_id = factory.LazyFunction(new_med_id)
    last_name = "Karimov"
    first_name = factory.Sequence(lambda n: f"Aziz{n}")
    middle_name = "Rustamovich"
    birth_date = datetime.date(1985, 3, 12)
    sex = Sex.MALE
    registered_at = factory.SubFactory(FacilityFactory)
    attached_facility = factory.SelfAttribute("registered_at")
    search_name = factory.LazyAttribute(
        lambda card: search_key(f"{card.last_name} {card.first_name} {card.middle_name}"))
