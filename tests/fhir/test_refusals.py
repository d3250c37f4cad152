"""Every resource refuses as the REST API does: a card outside the client's scope (403
for a clinician's system, which may know it exists; 404 where existence must not leak),
another facility's client, a token without the scope, an expired token."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from clinics.visits.models import Visit, VisitDiagnosis
from dmed.models import AuditEvent
from dmed.roles import Role
from fhir.capability import SERVED
from fhir.mapping import related_person_id
from patients.models import Allergy, Representation, Severity
from prescriptions.models import Drug
from prescriptions.services import dispense, issue_prescription, pharmacist_actor
from registry.models import FacilityKind
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory, UserFactory, staff_at
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, card):
    """One record of every clinical kind on the card, and the paths that read them."""
    visit = VisitFactory(card=card, clinician=world.doctor)
    Visit.objects.filter(pk=visit.pk).update(pulse=70)
    VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    result = released_result(world, card, "GLU", Decimal("5.1"), days_ago=1)
    allergy = Allergy.objects.create(card=card, substance="Latex", severity=Severity.MILD)
    drug = Drug.objects.order_by("pk").first()
    prescription = issue_prescription(actor=world.doctor, patient=card.med_id, diagnosis="I10",
                                      items=[{"drug": drug.pk, "quantity": 2, "dosage": "1"}])
    pharmacist = staff_at(FacilityFactory(kind=FacilityKind.PHARMACY), Role.PHARMACIST)
    dispensing, _new = dispense(by=pharmacist_actor(pharmacist), code=prescription.code,
                                patient_check=card.pinfl[-4:], items=[{"item": 1, "quantity": 1}])
    parent = Representation.objects.create(card=card, basis="mother",
                                           representative=UserFactory(role=Role.PATIENT))
    return {
        "Patient": (f"Patient/{card.med_id}", {"identifier": card.pinfl}),
        "Encounter": (f"Encounter/visit-{visit.public_id}", {"patient": card.med_id}),
        "Condition": (f"Condition/visit-{visit.public_id}.I10", {"patient": card.med_id}),
        "Observation": (f"Observation/lab-{result.public_id}", {"patient": card.med_id}),
        "AllergyIntolerance": (f"AllergyIntolerance/{allergy.public_id}",
                               {"patient": card.med_id}),
        "MedicationRequest": (f"MedicationRequest/{prescription.code}.1",
                              {"patient": card.med_id}),
        "MedicationDispense": (f"MedicationDispense/{dispensing.public_id}.1",
                               {"patient": card.med_id}),
        "Medication": (f"Medication/{drug.pk}", {"code": drug.atc_code}),
        "DiagnosticReport": (f"DiagnosticReport/{result.item.order.public_id}",
                             {"patient": card.med_id}),
        "ServiceRequest": (f"ServiceRequest/{result.item.order.public_id}.GLU",
                           {"patient": card.med_id}),
        "RelatedPerson": (f"RelatedPerson/{related_person_id(parent)}",
                          {"patient": card.med_id}),
    }


CLINICAL = ["Patient", "Encounter", "Condition", "Observation", "AllergyIntolerance",
            "MedicationRequest", "MedicationDispense", "DiagnosticReport", "ServiceRequest",
            "RelatedPerson"]
# A prescription is found by its code, whose existence does not leak even to a clinician
# who may know the card: its items and dispenses read 404 outside scope, as the REST API.
READ_BY_CODE = {"MedicationRequest", "MedicationDispense"}


@pytest.mark.parametrize("resource", CLINICAL)
def test_another_polyclinics_system_is_refused_403_and_the_refusal_audited(
        world, card, records, resource):
    other = make_system_client(role=Role.CLINICIAN, facility=FacilityFactory())
    fhir = Fhir(token_for(other))
    path, params = records[resource]
    read = fhir.get(path)
    if resource in READ_BY_CODE:
        assert read.status_code == 404
    else:
        assert read.status_code == 403
        assert read.json()["issue"][0]["code"] == "forbidden"
    if resource != "Patient":  # a search of cards simply finds none in scope
        assert fhir.get(resource, params).status_code == 403
    refused = AuditEvent.objects.filter(actor=other.account, allowed=False)
    assert refused.exists()
    assert not AuditEvent.objects.filter(actor=other.account, allowed=True).exists()


def test_vital_signs_are_the_visits_clinical_record_not_its_time_and_place(world, card,
                                                                          records):
    """A registrar's system sees that the visit took place, as on the pages and in the API,
    and not what was measured at it; the polyclinic's clinicians do."""
    visit = Visit.objects.get(card=card)
    vitals = f"Observation/vitals-{visit.public_id}"
    registry = make_system_client(role=Role.REGISTRAR, facility=world.polyclinic)
    desk = Fhir(token_for(registry))
    assert desk.get(f"Encounter/visit-{visit.public_id}").status_code == 200
    assert desk.get(vitals).status_code == 403
    assert desk.get("Observation", {"patient": card.med_id,
                                    "category": "vital-signs"}).status_code == 403
    assert set(AuditEvent.objects.filter(actor=registry.account, allowed=False)
               .values_list("object_type", flat=True)) == {"clinics.vital_signs"}

    clinician = Fhir(token_for(make_system_client(role=Role.CLINICIAN,
                                                  facility=world.polyclinic)))
    assert clinician.get(vitals).status_code == 200


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.ADMINISTRATOR])
def test_diagnoses_are_read_only_by_the_roles_that_see_diagnoses(world, card, records, role):
    """A registrar's system, or an administrator's, sees that the visit took place and not
    what it found, as on the pages and in the API; a clinician's system and the national
    platform read the diagnosis."""
    condition, search = records["Condition"]
    visit = Visit.objects.get(card=card)
    system = make_system_client(role=role, facility=world.polyclinic
                                if role == Role.REGISTRAR else None)
    refused = Fhir(token_for(system))
    assert refused.get(f"Encounter/visit-{visit.public_id}").status_code == 200
    for response in (refused.get(condition), refused.get("Condition", search)):
        assert response.status_code == 403
        assert response.json()["issue"][0]["code"] == "forbidden"
    assert list(AuditEvent.objects.filter(actor=system.account, allowed=False)
                .values_list("object_type", "action")) == [("clinics.diagnosis", "view"),
                                                           ("clinics.diagnosis", "list")]
    # Its $everything leaves the diagnoses out rather than be refused for them.
    everything = refused.get(f"Patient/{card.med_id}/$everything").json()
    assert not [e for e in everything["entry"]
                if e["resource"]["resourceType"] == "Condition"]

    for reader in (make_system_client(role=Role.CLINICIAN, facility=world.polyclinic),
                   make_system_client(role=Role.NATIONAL_PLATFORM, facility=None)):
        fhir = Fhir(token_for(reader))
        assert fhir.get(condition).json()["code"]["coding"][0]["code"] == "I10"
        assert [e["resource"]["id"] for e in fhir.get("Condition", search).json()["entry"]] \
            == [condition.removeprefix("Condition/")]
        assert AuditEvent.objects.filter(actor=reader.account, object_type="clinics.diagnosis",
                                         patient_med_id=card.med_id, allowed=True).count() == 2


@pytest.mark.parametrize("resource", CLINICAL)
def test_a_pharmacy_system_learns_nothing_404(world, card, records, resource):
    pharmacy = make_system_client(role=Role.PHARMACIST, facility=FacilityFactory(
        kind="pharmacy"))
    fhir = Fhir(token_for(pharmacy))
    path, params = records[resource]
    assert fhir.get(path).status_code == 404
    if resource != "Patient":
        assert fhir.get(resource, params).status_code == 404


@pytest.mark.parametrize("resource", [*CLINICAL, "Organization", "Practitioner",
                                      "PractitionerRole", "Medication", "AuditEvent",
                                      "Appointment", "HealthcareService", "Location",
                                      "Provenance"])
def test_a_token_without_the_resources_scope_is_refused_403(
        world, polyclinic_system, records, resource):
    others = [scope for scope in ("system/Patient.rs", "system/Organization.rs")
              if not scope.startswith(f"system/{resource}.")]
    fhir = Fhir(token_for(polyclinic_system, scope=others[0]))
    path, params = records.get(resource, (f"{resource}/X", {"patient": "X"}))
    reads = [fhir.get(path)] if SERVED[resource].readable else []
    for response in (*reads, fhir.get(resource, params)):
        assert response.status_code == 403
        assert resource in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("resource", [*CLINICAL, "Organization", "Medication"])
def test_an_expired_token_is_refused_401(polyclinic_system, records, resource):
    fhir = Fhir(token_for(polyclinic_system))
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    path, _params = records.get(resource, (f"{resource}/X", {}))
    response = fhir.get(path)
    assert response.status_code == 401
    assert response.json()["issue"][0]["code"] == "login"


def test_unknown_paths_answer_operation_outcome(fhir):
    response = fhir.get("Medicine/1")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
