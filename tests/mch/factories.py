import datetime

from django.utils import timezone

from patients.models import Sex
from tests.patients.factories import CardFactory


def woman(polyclinic, doctor=None, born=datetime.date(1995, 6, 1), **fields):
    return CardFactory(attached_facility=polyclinic, family_doctor=doctor, sex=Sex.FEMALE,
                       last_name="Karimova", first_name="Dilnoza", middle_name="Akmalovna",
                       birth_date=born, **fields)


def child(polyclinic, doctor=None, days_old=0, **fields):
    return CardFactory(attached_facility=polyclinic, family_doctor=doctor,
                       birth_date=timezone.localdate() - datetime.timedelta(days=days_old),
                       **fields)
