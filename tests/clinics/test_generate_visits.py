"""manage.py generate_visits: years of visits written set-based, valid as the services'."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from clinics.visits.models import DiagnosisKind, Visit, VisitStatus
from clinics.visits.selectors import VISIT_OBJECT
from clinics.visits.services import content_digest
from dmed.audit_chain import verify_audit_chains
from dmed.models import AuditAction, AuditEvent
from patients.access import CARD_OBJECT
from tests.factories import FacilityFactory
from tests.patients.factories import CardFactory


@pytest.mark.django_db(transaction=True)
def test_visits_are_closed_signed_diagnosed_and_audited(polyclinic, doctor):
    cards = CardFactory.create_batch(6, attached_facility=polyclinic)
    # A polyclinic without a clinician: its patients are seen where there is one.
    CardFactory.create_batch(2, attached_facility=FacilityFactory())
    out = StringIO()
    call_command("generate_visits", years=2, per_year=4, seed=7, batch=3, stdout=out)
    visits = list(Visit.objects.select_related("card", "facility", "clinician")
                  .prefetch_related("diagnoses"))
    assert len(visits) > len(cards)  # about 8 a card
    assert "rows/s" in out.getvalue()
    for visit in visits:
        assert visit.status == VisitStatus.CLOSED and visit.closed_at > visit.opened_at
        assert (visit.facility, visit.clinician) == (polyclinic, doctor)
        # Sealed as close_visit seals: the digest of what the database holds.
        assert visit.content_digest == content_digest(visit)
        kinds = [d.kind for d in visit.diagnoses.all()]
        assert kinds.count(DiagnosisKind.PRIMARY) == 1
    per_visit = (AuditEvent.objects.filter(actor=doctor, patient_med_id__in=[
        v.card.med_id for v in visits]).values("object_type", "action")
        .annotate(n=Count("id")))
    assert {(row["object_type"], row["action"], row["n"]) for row in per_visit} == {
        (CARD_OBJECT, AuditAction.VIEW, len(visits)),
        (VISIT_OBJECT, AuditAction.CREATE, len(visits)),
        (VISIT_OBJECT, AuditAction.UPDATE, len(visits)),
    }
    closing = AuditEvent.objects.filter(object_type=VISIT_OBJECT, action=AuditAction.UPDATE)
    assert {(e.object_id, e.occurred_at) for e in closing} == {
        (str(v.public_id), v.closed_at) for v in visits}
    assert verify_audit_chains().first_break is None
    # A second run adds more, next to the first.
    call_command("generate_visits", years=1, per_year=2, seed=8, stdout=StringIO())
    assert Visit.objects.count() > len(visits)
    assert not Visit.objects.filter(~Q(status=VisitStatus.CLOSED)).exists()
