"""The lists of the newer resources read a page in a fixed number of queries, however many
records it shows (measured at sizes where a per-row query would show)."""

from decimal import Decimal

import pytest

from clinics.referrals import services as referrals
from clinics.referrals.models import ReferralTarget
from dmed.roles import Role
from prescriptions.models import Drug
from prescriptions.services import issue_prescription
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory, staff_at

pytestmark = pytest.mark.django_db
ROWS = 6


@pytest.fixture
def busy_card(world, card):
    for days in range(ROWS):
        released_result(world, card, "GLU", Decimal("5.0") + days, days_ago=days + 1)
    specialist = staff_at(FacilityFactory(), Role.CLINICIAN)
    for _ in range(ROWS):
        referrals.refer(actor=world.doctor, med_id=card.med_id, target=ReferralTarget.SPECIALIST,
                        reason="Review", diagnosis_code="I10", to_clinician=specialist)
    drugs = list(Drug.objects.order_by("pk")[:2])
    for _ in range(ROWS):
        issue_prescription(actor=world.doctor, patient=card.med_id, diagnosis="I10",
                           items=[{"drug": drug.pk, "quantity": 2, "dosage": "1"}
                                  for drug in drugs])
    return card


@pytest.mark.parametrize(("resource", "most"), [
    ("DiagnosticReport", 10), ("ServiceRequest", 11), ("Provenance", 12),
    ("MedicationRequest", 9), ("Observation", 11),
])
def test_a_page_costs_the_same_however_many_rows(fhir, busy_card, resource, most,
                                                  django_assert_max_num_queries):
    with django_assert_max_num_queries(most):
        bundle = fhir.get(resource, {"patient": busy_card.med_id, "_count": "100"}).json()
    assert len(bundle["entry"]) >= ROWS
