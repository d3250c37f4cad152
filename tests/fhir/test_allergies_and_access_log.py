"""AllergyIntolerance (the card's allergies, current and ended) and AuditEvent (the card's
access log, for the patient and the national platform, on the UZ Core AuditEvent)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dmed.models import AuditEvent
from dmed.roles import Role
from fhir import mapping
from patients.models import AllergenKind, Allergy, Severity, Verification
from patients.selectors import ACCESS_LOG_OBJECT
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db


def _ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_allergies_read_current_and_ended_with_their_atc_group(fhir, world, card):
    penicillins = Allergy.objects.create(
        card=card, kind=AllergenKind.DRUG_GROUP, substance="Penicillins", atc_code="J01C",
        reaction="urticaria", severity=Severity.SEVERE, verification=Verification.VERIFIED,
        recorded_by=world.doctor)
    pollen = Allergy.objects.create(card=card, substance="Birch pollen",
                                    severity=Severity.MILD, ended_at=timezone.now(),
                                    end_reason="recorded in error")
    bundle = fhir.get("AllergyIntolerance", {"patient": f"Patient/{card.med_id}"}).json()
    assert _ids(bundle) == [str(pollen.public_id), str(penicillins.public_id)]
    severe = fhir.get(f"AllergyIntolerance/{penicillins.public_id}").json()
    assert severe["code"]["coding"] == [{"system": mapping.ATC, "code": "J01C"}]
    assert severe["criticality"] == "high" and severe["category"] == ["medication"]
    assert severe["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert severe["reaction"][0]["manifestation"][0]["concept"]["text"] == "urticaria"
    assert severe["participant"][0]["actor"]["reference"] == (
        f"Practitioner/{world.doctor.public_id.hex}")
    ended = bundle["entry"][0]["resource"]
    assert ended["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert "category" not in ended
    assert AuditEvent.objects.filter(patient_med_id=card.med_id, object_type="patients.allergy",
                                     action="list").exists()
    assert AuditEvent.objects.filter(object_id=str(penicillins.public_id),
                                     action="view").exists()
    assert fhir.get("AllergyIntolerance/not-a-uuid").status_code == 404


def test_the_national_platform_reads_a_cards_access_log(fhir, world, card):
    fhir.get(f"Patient/{card.med_id}")  # the polyclinic's system opens the card
    national = make_system_client(role=Role.NATIONAL_PLATFORM, facility=None)
    bundle = Fhir(token_for(national)).get("AuditEvent", {"patient": card.med_id}).json()
    entries = [e["resource"] for e in bundle["entry"]]
    assert entries, bundle
    opened = entries[-1]
    assert opened["meta"]["profile"] == [mapping.AUDIT_EVENT_PROFILE]
    assert opened["action"] == "R" and opened["code"]["coding"][0]["code"] == "read"
    assert opened["code"]["text"] == "opened the card"
    assert world.polyclinic.name in opened["agent"][0]["who"]["display"]
    assert opened["patient"] == {"reference": f"Patient/{card.med_id}"}
    assert AuditEvent.objects.filter(actor=national.account, object_type=ACCESS_LOG_OBJECT,
                                     allowed=True).exists()


def test_a_clinicians_system_does_not_read_the_access_log_403(fhir, card):
    refused = fhir.get("AuditEvent", {"patient": card.med_id})
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(object_type=ACCESS_LOG_OBJECT, allowed=False).exists()
    # Entries have no address of their own: the CapabilityStatement offers no read.
    assert fhir.get("AuditEvent/1").status_code == 404
    statement = fhir.get("metadata").json()
    audit = next(r for r in statement["rest"][0]["resource"] if r["type"] == "AuditEvent")
    assert audit["interaction"] == [{"code": "search-type"}]


def test_last_updated_finds_what_changed_since(fhir, card):
    old = Allergy.objects.create(card=card, substance="Latex", severity=Severity.MILD)
    new = Allergy.objects.create(card=card, substance="Walnut", severity=Severity.MODERATE)
    Allergy.objects.filter(pk=old.pk).update(changed_at=timezone.now() - timedelta(days=30))
    today = timezone.localdate().isoformat()
    changed = fhir.get("AllergyIntolerance", {"patient": card.med_id, "_lastUpdated": f"ge{today}"})
    assert _ids(changed.json()) == [str(new.public_id)]
    before = fhir.get("AllergyIntolerance", {"patient": card.med_id, "_lastUpdated": f"lt{today}"})
    assert _ids(before.json()) == [str(old.public_id)]
    cards = fhir.get("Patient", {"identifier": card.pinfl, "_lastUpdated": f"ge{today}"}).json()
    assert _ids(cards) == [card.med_id]
    assert _ids(fhir.get("Patient", {"identifier": card.pinfl,
                                     "_lastUpdated": f"lt{today}"}).json()) == []
    assert fhir.get("Patient", {"_lastUpdated": "yesterday"}).status_code == 400
