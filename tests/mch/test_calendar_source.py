"""The loaded immunisation calendar against the Ministry's table cited in mch/catalogue.py,
and migration 0007's correction of an earlier load (edited rows left alone)."""

import pytest

from mch.catalogue import CALENDAR_BEFORE_0007, bring_calendar_in_line, months, years
from mch.models import CalendarDose, Vaccine

pytestmark = pytest.mark.django_db

# The table: (vaccine, dose) at its age, as the Ministry's table gives it.
MINISTRY_TABLE = {
    ("hepb", 1): 0, ("bcg", 1): 2,
    ("opv", 1): months(2), ("rota", 1): months(2), ("penta", 1): months(2),
    ("pcv", 1): months(2),
    ("opv", 2): months(3), ("rota", 2): months(3), ("penta", 2): months(3),
    ("pcv", 2): months(3),
    ("opv", 3): months(4), ("rota", 3): months(4), ("penta", 3): months(4),
    ("ipv", 1): months(4),
    ("mmr", 1): months(12), ("pcv", 3): months(12),
    ("opv", 4): months(16), ("dtp", 1): months(16),
    ("mmr", 2): years(6),
    ("opv", 5): years(7), ("td", 1): years(7),
    ("hpv", 1): years(9),
    ("td", 2): years(16),
}


def loaded():
    return {(dose.vaccine.code, dose.number): dose
            for dose in CalendarDose.objects.select_related("vaccine")}


def test_the_calendar_is_the_ministrys_table():
    doses = loaded()
    assert {key: dose.min_age_days for key, dose in doses.items()} == MINISTRY_TABLE
    assert doses[("hpv", 1)].latest_age_days == years(14)  # "9-13 years"
    assert doses[("hpv", 1)].sex == "female"


def test_migration_0007_corrects_the_first_load_but_not_an_administrators_edit():
    doses = loaded()
    CalendarDose.objects.filter(vaccine__code="rota", number=3).delete()
    for (code, number), (age, interval, latest) in CALENDAR_BEFORE_0007.items():
        dose = doses[(code, number)]
        dose.min_age_days, dose.min_interval_days, dose.latest_age_days = age, interval, latest
        dose.save()
    edited = doses[("hpv", 1)]
    edited.min_age_days = years(10)  # the administrator's own decision
    edited.save()
    changed = bring_calendar_in_line(vaccine_model=Vaccine, dose_model=CalendarDose)
    assert sorted(changed) == [("opv", number) for number in range(1, 6)]
    doses = loaded()
    assert doses[("opv", 1)].min_age_days == months(2)
    assert doses[("opv", 5)].min_age_days == years(7)
    assert doses[("rota", 3)].min_age_days == months(4)
    assert doses[("hpv", 1)].min_age_days == years(10)
