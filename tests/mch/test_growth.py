"""Growth z-scores against the WHO Child Growth Standards' published tables (weight-,
length- and head-circumference-for-age, 2006), and the flags beyond ±2 and ±3 SD."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dmed.roles import Role
from mch import services
from mch.growth import GrowthFlag, flag, z_scores
from tests.factories import FacilityFactory, staff_at
from tests.mch.factories import child

BORN = date(2025, 1, 1)

# (sex, age in days, field, published value, its SD in the table). Ages are whole months
# of the tables (6 months = 183 days, 12 months = 365 days); the tables round to 0.1.
WHO_TABLE = [
    ("male", 0, "weight_kg", 3.3, 0), ("male", 0, "length_cm", 49.9, 0),
    ("female", 0, "weight_kg", 3.2, 0), ("female", 0, "length_cm", 49.1, 0),
    ("male", 183, "weight_kg", 7.9, 0), ("male", 183, "weight_kg", 6.4, -2),
    ("male", 183, "weight_kg", 9.8, 2), ("male", 183, "length_cm", 67.6, 0),
    ("male", 183, "head_circumference_cm", 43.3, 0),
    ("female", 365, "weight_kg", 8.9, 0), ("female", 365, "weight_kg", 7.0, -2),
    ("female", 365, "length_cm", 74.0, 0), ("female", 365, "length_cm", 68.9, -2),
    ("female", 365, "head_circumference_cm", 44.9, 0),
]


@pytest.mark.parametrize(("sex", "days", "field", "value", "expected"), WHO_TABLE)
def test_z_scores_match_the_who_tables(sex, days, field, value, expected):
    scores, errors = z_scores(sex=sex, birth_date=BORN, measured_on=BORN + timedelta(days=days),
                              values={field: value})
    assert not errors
    assert scores[field] == pytest.approx(expected, abs=0.15)


@pytest.mark.parametrize(("sds", "expected"), [
    (None, GrowthFlag.NORMAL), (0.0, GrowthFlag.NORMAL), (-2.0, GrowthFlag.NORMAL),
    (2.01, GrowthFlag.FLAG), (-2.5, GrowthFlag.FLAG), (3.0, GrowthFlag.FLAG),
    (-3.01, GrowthFlag.URGENT), (4.2, GrowthFlag.URGENT)])
def test_flags(sds, expected):
    assert flag(sds) == expected


@pytest.mark.django_db
def test_recorded_growth_keeps_its_scores_and_refuses_what_cannot_be_scored(client):
    polyclinic = FacilityFactory()
    nurse = staff_at(polyclinic, Role.NURSE)
    baby = child(polyclinic, days_old=183)
    today = timezone.localdate()
    measured = services.record_growth(actor=nurse, med_id=baby.med_id, measured_on=today,
                                      weight_kg=Decimal("5.9"), length_cm=Decimal("67.6"))
    assert measured.weight_sds < -2 and abs(measured.length_sds) < 0.2
    assert measured.head_circumference_sds is None
    with pytest.raises(ValidationError) as refused:
        services.record_growth(actor=nurse, med_id=baby.med_id,
                               measured_on=today - timedelta(days=400), weight_kg=Decimal(5))
    assert "measured_on" in refused.value.message_dict
    client.force_login(nurse)
    page = client.get(f"/patients/{baby.med_id}/immunisation/").content.decode()
    assert 'data-flag="flag"' in page or 'data-flag="urgent"' in page
    empty = client.post(f"/patients/{baby.med_id}/immunisation/growth/",
                        {"measured_on": today.isoformat()})
    assert empty.status_code == 400
    assert empty.context["growth_form"].non_field_errors()
