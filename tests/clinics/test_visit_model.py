"""What the database itself holds about visits, whatever code writes to it."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from clinics.models import Visit, VisitAddendum, VisitDiagnosis
from tests.clinics.factories import VisitFactory

pytestmark = pytest.mark.django_db


def _close_directly(visit):
    Visit.objects.filter(pk=visit.pk).update(status="closed", closed_at=timezone.now(),
                                             content_digest="0" * 64)


@pytest.mark.parametrize("field,value", [
    ("bp_systolic", 301), ("bp_diastolic", 10), ("pulse", 19), ("pulse", 301),
    ("temperature", Decimal("29.9")), ("temperature", Decimal("45.1")), ("spo2", 101),
    ("spo2", 49), ("weight", Decimal("0.2")), ("height", Decimal("250.1")),
])
def test_impossible_vitals_are_refused_by_the_database(field, value):
    visit = VisitFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(**{field: value})


def test_blood_pressure_needs_both_numbers_and_systolic_above_diastolic():
    visit = VisitFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(bp_systolic=120)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(bp_systolic=80, bp_diastolic=120)
    Visit.objects.filter(pk=visit.pk).update(bp_systolic=120, bp_diastolic=80)


def test_bmi_is_derived_by_the_database():
    visit = VisitFactory(weight=Decimal("81.0"), height=Decimal("180.0"))
    visit.refresh_from_db()
    assert visit.bmi == Decimal("25.0")
    assert VisitFactory(weight=Decimal("70.0")).bmi is None


def test_one_primary_diagnosis_per_visit():
    visit = VisitFactory()
    VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitDiagnosis.objects.create(visit=visit, code_id="E11.9", kind="primary")
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="secondary")
    VisitDiagnosis.objects.create(visit=visit, code_id="E11.9", kind="secondary")


def test_a_visit_cannot_close_without_a_primary_diagnosis():
    visit = VisitFactory()
    VisitDiagnosis.objects.create(visit=visit, code_id="E11.9", kind="secondary")
    with pytest.raises(DatabaseError, match="primary diagnosis"), transaction.atomic():
        _close_directly(visit)


def test_a_closed_visit_and_its_diagnoses_are_final():
    visit = VisitFactory()
    diagnosis = VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    _close_directly(visit)
    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(plan="changed afterwards")
    with pytest.raises(DatabaseError, match="closed"), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).delete()
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        VisitDiagnosis.objects.filter(pk=diagnosis.pk).update(code_id="I11.9")
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        VisitDiagnosis.objects.create(visit=visit, code_id="E11.9", kind="secondary")
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        diagnosis.delete()


def test_addenda_only_on_closed_visits_and_never_changed():
    visit = VisitFactory()
    with pytest.raises(DatabaseError, match="closed visit only"), transaction.atomic():
        VisitAddendum.objects.create(visit=visit, author=visit.clinician, text="early")
    VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    _close_directly(visit)
    addendum = VisitAddendum.objects.create(visit=visit, author=visit.clinician,
                                            text="Potassium result came back normal.")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        VisitAddendum.objects.filter(pk=addendum.pk).update(text="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        VisitAddendum.objects.filter(pk=addendum.pk).delete()
