"""The test catalogue: the starter set, band constraints, and flags at every edge."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinics.labs.catalogue import load_lab_catalogue
from clinics.labs.catalogue_data import CATALOGUE
from clinics.labs.flags import Limits, age_in_months, flag_for, matching_range
from clinics.labs.models import Flag, LabTest, RangeSex, ReferenceRange

pytestmark = pytest.mark.django_db

STARTER = {"HGB", "GLU", "HBA1C", "CREA", "ALT", "AST", "CHOL", "WBC", "PLT", "FERR", "TSH",
           "CRP", "NA", "K", "UREA"}


def flag(code: str, value: str, *, sex: str, born: date, sampled: date) -> str:
    test = LabTest.objects.get(code=code)
    reference = matching_range(test, sex=sex, birth_date=born, sampled_on=sampled)
    return flag_for(Decimal(value), Limits.of(reference))


def test_the_starter_catalogue_is_loaded_with_ranges_for_both_sexes():
    assert set(LabTest.objects.values_list("code", flat=True)) >= STARTER
    for test in LabTest.objects.filter(code__in=STARTER):
        sexes = set(test.ranges.values_list("sex", flat=True))
        assert sexes == {RangeSex.MALE, RangeSex.FEMALE}, test.code
        assert test.name_ru and test.name_uz


def test_loading_again_keeps_a_laboratorys_own_ranges():
    reference = ReferenceRange.objects.get(test__code="HGB", sex="male", age_from_months=216)
    reference.low = Decimal("132")
    reference.save()
    load_lab_catalogue()
    reference.refresh_from_db()
    assert reference.low == Decimal("132")
    assert LabTest.objects.filter(code__in=STARTER).count() == len(STARTER)
    assert len(CATALOGUE) == len(STARTER)


def test_overlapping_age_bands_of_one_test_and_sex_are_refused_by_the_database():
    test = LabTest.objects.get(code="HGB")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceRange.objects.create(test=test, sex="male", age_from_months=200,
                                      age_to_months=230, low=1, high=2)
    with pytest.raises(IntegrityError), transaction.atomic():  # open-ended overlaps too
        ReferenceRange.objects.create(test=test, sex="female", age_from_months=600,
                                      low=1, high=2)
    # Adjacent bands ([a, b) then [b, c)) and the other sex do not collide.
    other = LabTest.objects.create(code="XTEST", specimen="serum", unit="g/L", name_uz="X")
    ReferenceRange.objects.create(test=other, sex="male", age_from_months=0,
                                  age_to_months=12, low=1, high=2)
    ReferenceRange.objects.create(test=other, sex="male", age_from_months=12, low=1, high=2)
    ReferenceRange.objects.create(test=other, sex="female", age_from_months=0, low=1, high=2)


@pytest.mark.parametrize("fields", [
    {"low": 5, "high": 4},
    {"low": 4, "high": 5, "critical_low": 4.5},
    {"low": 4, "high": 5, "critical_high": 4.9},
    {"low": None, "high": None},
    {"low": 4, "high": 5, "age_from_months": 12, "age_to_months": 12},
])
def test_nonsense_ranges_are_refused_by_the_database(fields):
    test = LabTest.objects.create(code="YTEST", specimen="serum", unit="g/L", name_uz="Y")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceRange.objects.create(test=test, sex="male", **fields)


@pytest.mark.parametrize(("born", "on", "months"), [
    (date(2000, 1, 31), date(2000, 2, 29), 0),
    (date(2000, 1, 31), date(2000, 3, 1), 1),
    (date(2008, 3, 12), date(2026, 3, 11), 18 * 12 - 1),
    (date(2008, 3, 12), date(2026, 3, 12), 18 * 12),
    (date(2026, 3, 12), date(2026, 3, 12), 0),
])
def test_age_in_completed_months(born, on, months):
    assert age_in_months(born, on) == months


ADULT_MAN = {"sex": "male", "born": date(1980, 5, 1), "sampled": date(2026, 5, 1)}
ADULT_WOMAN = {"sex": "female", "born": date(1980, 5, 1), "sampled": date(2026, 5, 1)}


@pytest.mark.parametrize(("value", "expected"), [
    ("69", Flag.CRITICAL_LOW), ("70", Flag.LOW), ("129", Flag.LOW), ("130", Flag.NORMAL),
    ("170", Flag.NORMAL), ("171", Flag.HIGH), ("200", Flag.HIGH),
    ("201", Flag.CRITICAL_HIGH),
])
def test_haemoglobin_flags_at_the_edges_for_an_adult_man(value, expected):
    assert flag("HGB", value, **ADULT_MAN) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("119", Flag.LOW), ("120", Flag.NORMAL), ("150", Flag.NORMAL), ("151", Flag.HIGH),
])
def test_haemoglobin_flags_at_the_edges_for_an_adult_woman(value, expected):
    assert flag("HGB", value, **ADULT_WOMAN) == expected


def test_the_same_value_flags_differently_by_sex():
    assert flag("HGB", "125", **ADULT_MAN) == Flag.LOW
    assert flag("HGB", "125", **ADULT_WOMAN) == Flag.NORMAL
    assert flag("FERR", "20", **ADULT_MAN) == Flag.LOW
    assert flag("FERR", "20", **ADULT_WOMAN) == Flag.NORMAL


def test_the_adult_band_starts_on_the_eighteenth_birthday():
    born = date(2008, 3, 12)
    # 165 g/L: above the adolescent limit (160), inside the adult one (170).
    assert flag("HGB", "165", sex="male", born=born, sampled=date(2026, 3, 11)) == Flag.HIGH
    assert flag("HGB", "165", sex="male", born=born, sampled=date(2026, 3, 12)) == Flag.NORMAL


def test_fasting_glucose_limits_change_at_fourteen():
    born = date(2012, 6, 15)
    # 3.5 mmol/L: normal for a child (from 3.3), low for an adult (from 3.9).
    assert flag("GLU", "3.5", sex="female", born=born, sampled=date(2026, 6, 14)) == Flag.NORMAL
    assert flag("GLU", "3.5", sex="female", born=born, sampled=date(2026, 6, 15)) == Flag.LOW
    assert flag("GLU", "2.4", sex="female", born=born,
                sampled=date(2026, 6, 15)) == Flag.CRITICAL_LOW
    assert flag("GLU", "25.0", **ADULT_MAN) == Flag.HIGH
    assert flag("GLU", "25.1", **ADULT_MAN) == Flag.CRITICAL_HIGH


def test_a_newborns_haemoglobin_is_read_against_the_neonatal_band():
    born = date(2026, 5, 1)
    assert flag("HGB", "190", sex="male", born=born, sampled=date(2026, 5, 20)) == Flag.NORMAL
    assert flag("HGB", "190", sex="male", born=born, sampled=date(2026, 6, 1)) == Flag.HIGH


def test_one_sided_limits():
    assert flag("ALT", "41", **ADULT_MAN) == Flag.NORMAL
    assert flag("ALT", "42", **ADULT_MAN) == Flag.HIGH
    assert flag("ALT", "34", **ADULT_WOMAN) == Flag.HIGH
    assert flag("ALT", "0", **ADULT_MAN) == Flag.NORMAL
    assert flag("CRP", "5.0", **ADULT_MAN) == Flag.NORMAL
    assert flag("CRP", "5.1", **ADULT_MAN) == Flag.HIGH


def test_without_sex_birth_date_or_a_band_there_is_no_range():
    assert flag("HGB", "120", sex="", born=date(1980, 1, 1),
                sampled=date(2026, 1, 1)) == Flag.NO_RANGE
    test = LabTest.objects.get(code="HGB")
    assert matching_range(test, sex="male", birth_date=None, sampled_on=date(2026, 1, 1)) is None
    # Cholesterol has no band under two years.
    assert flag("CHOL", "3.0", sex="male", born=date(2025, 6, 1),
                sampled=date(2026, 5, 1)) == Flag.NO_RANGE
