"""Growth charts: the WHO lines come from rcpchgrowth (the file the pages read is the
library's output, and agrees with the WHO's published tables), the child's measurements
sit where their values put them, flagged beyond ±2 and ±3 SD, on the parents' phone too."""

import re
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from dmed.roles import Role
from mch import services
from mch.growth_charts import centile_lines, chart, compute_centile_lines
from patients.models import Representation
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.mch.factories import child

BORN = date(2025, 1, 1)

# (sex, measure, month, SD line, the WHO 2006 table's value, rounded to 0.1 there)
WHO_TABLE = [
    ("male", "weight", 0, 0, 3.3), ("male", "weight", 6, 0, 7.9),
    ("male", "weight", 6, -2, 6.4), ("male", "weight", 6, 2, 9.8),
    ("male", "height", 6, 0, 67.6), ("male", "ofc", 6, 0, 43.3),
    ("female", "weight", 12, 0, 8.9), ("female", "weight", 12, -2, 7.0),
    ("female", "height", 12, 0, 74.0), ("female", "height", 12, -2, 68.9),
    ("female", "ofc", 12, 0, 44.9),
]


def test_the_chart_file_is_what_rcpchgrowth_gives():
    assert centile_lines() == compute_centile_lines()


@pytest.mark.parametrize(("sex", "measure", "month", "sds", "value"), WHO_TABLE)
def test_the_chart_lines_agree_with_the_who_tables(sex, measure, month, sds, value):
    line = dict(centile_lines()[f"{sex}:{measure}"][str(sds)])
    assert line[month] == pytest.approx(value, abs=0.06)


def measured(days, weight, sds):
    return SimpleNamespace(measured_on=BORN + timedelta(days=days), weight_kg=Decimal(weight),
                           weight_sds=sds, length_cm=None, length_sds=None)


def test_points_sit_on_the_lines_and_carry_their_flags():
    median_at_6 = dict(centile_lines()["male:weight"]["0"])[6]
    drawn = chart(sex="male", birth_date=BORN, field="weight_kg", measurements=[
        measured(round(6 * 365.25 / 12), str(median_at_6), 0.0),
        measured(250, "10.6", 2.4), measured(300, "6.2", -3.3)])
    assert [point.flag for point in drawn.points] == ["normal", "flag", "urgent"]
    assert not drawn.in_years and drawn.x_ticks[-1].label == "24"  # the first two years
    median = [tuple(map(float, pair.split(","))) for pair in dict(drawn.lines)[0].split()]
    six_months = median[6]  # the lines have a point a month
    assert drawn.points[0].x == pytest.approx(six_months[0], abs=0.5)
    assert drawn.points[0].y == pytest.approx(six_months[1], abs=0.5)
    assert [sds for sds, _points in drawn.lines] == [-3, -2, 0, 2, 3]
    assert all(drawn.left <= point.x <= drawn.right_x and 0 <= point.y <= drawn.bottom_y
               for point in drawn.points)
    older = chart(sex="female", birth_date=BORN, field="weight_kg",
                  measurements=[measured(7 * 365, "22", 0.1)])
    assert older.in_years and older.x_ticks[-1].label == "8"
    assert chart(sex="female", birth_date=BORN, field="length_cm",
                 measurements=[measured(10, "4", 0)]) is None  # no length measured


@pytest.mark.django_db
def test_the_mother_sees_the_chart_with_the_flagged_point(client, django_assert_max_num_queries):
    polyclinic = FacilityFactory()
    nurse = staff_at(polyclinic, Role.NURSE)
    baby = child(polyclinic, days_old=183, sex="male")
    mother = UserFactory(role=Role.PATIENT)
    Representation.objects.create(representative=mother, card=baby, basis="mother")
    today = timezone.localdate()
    for days_ago, weight in ((120, "4.6"), (60, "5.9"), (0, "5.6")):
        services.record_growth(actor=nurse, med_id=baby.med_id,
                               measured_on=today - timedelta(days=days_ago),
                               weight_kg=Decimal(weight))
    client.force_login(mother)
    with django_assert_max_num_queries(20), translation.override("uz"):
        page = client.get(f"/patients/{baby.med_id}/immunisation/").content.decode()
    # Coordinates stay numbers in a language that writes decimals with a comma.
    coordinates = re.findall(r' (?:cx|cy|x|y|x1|y2)="([^"]*)"', page)
    assert coordinates and all(float(value) >= 0 for value in coordinates)
    assert 'data-testid="chart-weight"' in page and 'data-testid="chart-height"' not in page
    assert page.count('<polyline class="sd') == 5
    assert page.count('<circle class="point') == 3
    assert 'data-flag="urgent"' in page or 'data-flag="flag"' in page
    assert "growth-form" not in page  # parents read, they do not record
