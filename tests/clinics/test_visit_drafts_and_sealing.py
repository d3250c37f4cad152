"""A visit's text is not lost (drafts kept by the server) nor sealed by accident (a
confirmation first, and never while a protocol template's placeholders remain)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from clinics.coding.models import ClinicalProtocol
from clinics.visits import services
from clinics.visits.models import VisitDraft, VisitStatus
from clinics.visits.services import PLACEHOLDER
from dmed.models import AuditEvent
from dmed.roles import Role
from tests.factories import FacilityFactory, staff_at
from tests.patients.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(doctor, polyclinic):
    return services.open_visit(doctor, CardFactory(attached_facility=polyclinic))


def with_primary(doctor, visit, **fields):
    return services.record_visit(doctor, visit.public_id,
                                 diagnoses=[{"code": "I10", "kind": "primary"}], **fields)


class TestPlaceholders:
    def test_the_shipped_templates_mark_what_to_fill_in(self):
        hypertension = ClinicalProtocol.objects.get(slug="essential-hypertension")
        assert PLACEHOLDER.findall(hypertension.section_texts()["examination"])

    def test_a_visit_holding_one_is_not_sealed_and_the_field_is_named(self, doctor, visit):
        with_primary(doctor, visit, examination="Heart sounds: [[…]] Oedema: [[none/present]]",
                     plan="Review in 4 weeks.")
        with pytest.raises(ValidationError) as refused:
            services.close_visit(doctor, visit.public_id)
        errors = refused.value.message_dict
        assert list(errors) == ["examination"]
        assert "[[…]]" in errors["examination"][0] and "[[none/present]]" in errors[
            "examination"][0]
        visit.refresh_from_db()
        assert visit.status == VisitStatus.OPEN
        with_primary(doctor, visit, examination="Heart sounds clear. Oedema: none.")
        assert services.close_visit(doctor, visit.public_id).status == VisitStatus.CLOSED

    def test_the_page_refuses_it_per_field_before_and_at_sealing(self, client, doctor, visit):
        client.force_login(doctor)
        response = client.post(reverse("clinics:visit-edit", args=[visit.public_id]), {
            "complaints": "Headache", "plan": "ECG. [[…]]", "primary_diagnosis": "I10",
            "close": "1"})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'data-testid="error-plan"' in page and 'data-testid="confirm-seal"' not in page
        # Posted straight to sealing (the confirmation page skipped): refused the same way.
        response = client.post(reverse("clinics:visit-close", args=[visit.public_id]))
        assert response.status_code == 400
        assert 'data-testid="error-plan"' in response.content.decode()
        visit.refresh_from_db()
        assert visit.status == VisitStatus.OPEN and visit.plan == "ECG. [[…]]"


class TestConfirmation:
    def test_closing_shows_what_will_be_sealed_and_seals_only_when_confirmed(self, client,
                                                                           doctor, visit):
        client.force_login(doctor)
        response = client.post(reverse("clinics:visit-edit", args=[visit.public_id]), {
            "complaints": "Headache at the back of the head", "primary_diagnosis": "I10",
            "close": "1"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "Headache at the back of the head" in page and "I10" in page
        assert 'data-testid="confirm-seal"' in page
        visit.refresh_from_db()
        assert visit.status == VisitStatus.OPEN
        response = client.post(reverse("clinics:visit-close", args=[visit.public_id]))
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CLOSED

    def test_only_the_clinician_holding_the_visit_seals_it(self, client, polyclinic, doctor,
                                                           visit):
        with_primary(doctor, visit)
        client.force_login(staff_at(polyclinic, Role.NURSE))
        assert client.post(reverse("clinics:visit-close",
                                   args=[visit.public_id])).status_code == 403
        visit.refresh_from_db()
        assert visit.status == VisitStatus.OPEN


class TestDrafts:
    def test_a_sitting_of_autosaves_is_audited_once(self, client, doctor, visit):
        client.force_login(doctor)
        url = reverse("clinics:visit-draft", args=[visit.public_id])
        drafts = AuditEvent.objects.filter(actor=doctor, object_type="clinics.visit_draft")
        for typed in ("Bosh", "Bosh og'rig'i", "Bosh og'rig'i, isitma"):
            assert client.post(url, {"complaints": typed}).status_code == 200
        assert drafts.count() == 1
        # Back at the form after a break: a new sitting, audited again.
        VisitDraft.objects.update(saved_at=timezone.now() - timedelta(minutes=20))
        client.post(url, {"complaints": "Bosh og'rig'i, isitma, yo'tal"})
        assert drafts.count() == 2

    def test_a_draft_is_kept_restored_and_cleared_by_saving(self, client, doctor, visit):
        client.force_login(doctor)
        url = reverse("clinics:visit-draft", args=[visit.public_id])
        response = client.post(url, {"complaints": "Typed, not saved", "pulse": "8o",
                                     "primary_diagnosis": "I1"})
        assert response.status_code == 200 and response.json()["saved_at"]
        draft = VisitDraft.objects.get(visit=visit, author=doctor)
        # Kept as typed: a half-typed value is not the record, nothing is checked yet.
        assert draft.fields == {"complaints": "Typed, not saved", "pulse": "8o",
                                "primary_diagnosis": "I1"}
        visit.refresh_from_db()
        assert visit.complaints == "" and visit.pulse is None
        assert AuditEvent.objects.filter(actor=doctor, object_type="clinics.visit_draft",
                                         patient_med_id=visit.card.med_id).exists()
        page = client.get(reverse("clinics:visit-edit", args=[visit.public_id]))
        content = page.content.decode()
        assert 'data-testid="draft-restored"' in content and "Typed, not saved" in content
        assert "data-draft-restored" in content
        client.post(reverse("clinics:visit-edit", args=[visit.public_id]),
                    {"complaints": "Typed, now saved", "pulse": "80"})
        assert not VisitDraft.objects.exists()
        visit.refresh_from_db()
        assert visit.complaints == "Typed, now saved"

    def test_a_draft_is_one_per_author_and_can_be_discarded(self, client, polyclinic,
                                                            doctor, visit):
        nurse = staff_at(polyclinic, Role.NURSE)
        services.save_draft(doctor, visit.public_id, fields={"complaints": "doctor's"})
        services.save_draft(doctor, visit.public_id, fields={"complaints": "doctor's, more"})
        services.save_draft(nurse, visit.public_id, fields={"pulse": "72"})
        assert VisitDraft.objects.count() == 2
        client.force_login(doctor)
        client.post(reverse("clinics:visit-draft-discard", args=[visit.public_id]))
        assert list(VisitDraft.objects.values_list("author", flat=True)) == [nurse.pk]

    def test_refused_unknown_fields_closed_visits_and_others(self, client, doctor, visit):
        with pytest.raises(ValidationError) as refused:
            services.save_draft(doctor, visit.public_id, fields={"digest": "x"})
        assert "digest" in refused.value.message_dict
        outsider = staff_at(FacilityFactory(), Role.CLINICIAN)
        with pytest.raises(PermissionDenied):
            services.save_draft(outsider, visit.public_id, fields={"complaints": "x"})
        client.force_login(outsider)
        url = reverse("clinics:visit-draft", args=[visit.public_id])
        assert client.post(url, {"complaints": "x"}).status_code == 403
        with_primary(doctor, visit)
        services.close_visit(doctor, visit.public_id)
        client.force_login(doctor)
        assert client.post(url, {"complaints": "after sealing"}).status_code == 409
        assert not VisitDraft.objects.exists()
