"""Conformance to UZ Core, checked against the guide's own sources (shared/uz-core/):
one test per profile served (canonical, identifier slices, required bindings that list
their codes), and the guide's example Patient, Practitioner and Organization instances,
whose identifiers (under the guide's 0.3.0 system names) find our resources carrying them
under the newest names."""

from decimal import Decimal

import pytest

from clinics.visits.models import Visit, VisitDiagnosis
from dmed.roles import Role
from fhir import identifiers, mapping
from fhir.capability import SERVED
from patients.models import IdentityDocument
from tests.clinics.factories import VisitFactory
from tests.clinics.lab_helpers import released_result
from tests.factories import FacilityFactory, StaffRecordFactory, UserFactory
from tests.fhir import uz_core
from tests.fhir.conftest import Fhir, make_system_client, token_for

pytestmark = pytest.mark.django_db

PROFILES = {"Patient": "UZCorePatient", "Organization": "UZCoreOrganization",
            "Practitioner": "UZCorePractitioner", "PractitionerRole": "UZCorePractitionerRole",
            "Encounter": "UZCoreEncounter", "Condition": "UZCoreCondition",
            "Observation": "UZCoreObservation"}
OUR_SYSTEMS = {row.system for row in identifiers.SYSTEMS}


def test_every_resource_served_on_a_uz_core_profile_has_its_test_here():
    on_uz_core = {kind for kind, served in SERVED.items()
                  if served.profile.startswith(mapping.PROFILE)}
    assert set(PROFILES) | {"AuditEvent"} == on_uz_core
    # The others claim the base R5 profiles, which fhir.resources checks in every test.
    assert all(served.profile.startswith(mapping.BASE_PROFILE)
               for kind, served in SERVED.items() if kind not in on_uz_core)


@pytest.fixture
def served(world, card):
    """A path reading one resource of each type served."""
    IdentityDocument.objects.create(card=card, kind="uz_passport", number="AC1234567")
    facility = FacilityFactory(code="UZ-CORE-1", shif_code="OAA000099")
    doctor = UserFactory(username="uzcore-doctor")
    StaffRecordFactory(user=doctor, facility=facility, argos_id="AR7", specialty="Kardiolog")
    visit = VisitFactory(card=card, clinician=world.doctor)
    Visit.objects.filter(pk=visit.pk).update(pulse=70, spo2=98)
    VisitDiagnosis.objects.create(visit=visit, code_id="I10", kind="primary")
    result = released_result(world, card, "GLU", Decimal("5.1"), days_ago=1)
    return {
        "Patient": f"Patient/{card.med_id}", "Organization": "Organization/UZ-CORE-1",
        "Practitioner": f"Practitioner/{doctor.public_id.hex}",
        "PractitionerRole": f"PractitionerRole/{doctor.public_id.hex}.UZ-CORE-1.{doctor.role}",
        "Encounter": f"Encounter/visit-{visit.public_id}",
        "Condition": f"Condition/visit-{visit.public_id}.I10",
        "Observation": f"Observation/lab-{result.public_id}",
    }


def _codings(value):
    if isinstance(value, str):
        return {value}
    items = value if isinstance(value, list) else [value]
    return {(c["system"], c["code"]) for item in items for c in item.get("coding", [])}


@pytest.mark.parametrize("resource_type", list(PROFILES))
def test_each_resource_meets_its_uz_core_profile(fhir, served, resource_type):
    resource = fhir.get(served[resource_type]).json()
    assert resource["resourceType"] == resource_type
    if resource_type == "Patient":
        assert resource["identifier"], "UZ Core Patient: identifier 1..*"
    _meets(resource, PROFILES[resource_type])


def test_the_access_log_meets_uz_core_auditevent(fhir, card):
    fhir.get(f"Patient/{card.med_id}")
    fhir.get("Encounter", {"patient": card.med_id})
    national = Fhir(token_for(make_system_client(role=Role.ADMINISTRATOR, facility=None)))
    bundle = national.get("AuditEvent", {"patient": card.med_id}).json()
    assert len(bundle["entry"]) >= 2
    for entry in bundle["entry"]:
        _meets(entry["resource"], "UZCoreAuditEvent")


def _meets(resource, profile):
    assert resource["meta"]["profile"] == [uz_core.CANONICAL + uz_core.profile_id(profile)]
    slices = uz_core.identifier_slices(profile)
    for identifier in resource.get("identifier", []):
        assert identifier["system"] in OUR_SYSTEMS
        row = identifiers.system_named(identifier["system"])
        for piece in slices.values():
            if piece["system"] in row.names() and row.type_code and "type" in piece:
                assert identifier["type"]["coding"][0]["code"] == piece["type"][1]
                assert identifier["use"] == "official"
    for path, allowed in uz_core.required_codes(profile).items():
        if path in resource:
            codes = _codings(resource[path])
            plain = {code for _system, code in allowed}
            assert codes <= allowed or codes <= plain, (path, codes)


# Kinds of identifier the guide's examples carry that no card keeps (the portal records
# no birth certificates, driving licences, diplomatic, military or prison numbers).
NOT_KEPT = {"birthCertificate", "driversLicense", "diplomaticPassport", "militaryId",
            "penitentiaryInstitution"}


def _found(fhir, resource_type, system, value):
    bundle = fhir.get(resource_type, {"identifier": f"{system}|{value}"}).json()
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_the_guides_example_patients_identifiers_find_our_patient(fhir, card):
    IdentityDocument.objects.create(card=card, kind="uz_passport", number="AC1234567")
    examples = uz_core.examples("UZCorePatient")
    assert {"example-salim", "example-david", "example-emma"} <= set(examples)
    kept = {identifiers.PINFL, identifiers.PASSPORT_LOCAL}
    for name, carried in examples.items():
        for identifier in carried:
            row = identifiers.system_named(identifier["system"])
            if identifier["slice"] in NOT_KEPT:
                assert row is None, (name, identifier)
                continue
            assert row is not None, (name, identifier)
            found = _found(fhir, "Patient", identifier["system"], identifier["value"])
            if row in kept:
                assert [p["id"] for p in found] == [card.med_id], identifier
                assert {"system": row.system, "value": identifier["value"]}.items() <= next(
                    i for i in found[0]["identifier"] if i["system"] == row.system).items()
            else:  # an international passport or a 14-digit health card: none kept here
                assert found == [], identifier


def test_the_guides_example_organizations_identifiers_find_our_facilities(fhir):
    examples = uz_core.examples("UZCoreOrganization")
    assert len(examples) == 2
    for carried in examples.values():
        tax = next(i for i in carried if identifiers.system_named(i["system"])
                   is identifiers.TAX_ID)
        facility = FacilityFactory(tax_id=tax["value"])
        for identifier in carried:
            found = _found(fhir, "Organization", identifier["system"], identifier["value"])
            if identifier is tax:
                assert [o["id"] for o in found] == [facility.code]
                assert identifiers.TAX_ID.as_fhir(tax["value"]) in found[0]["identifier"]
            else:  # the facility's HRM Argos number is not kept by the portal
                assert identifiers.system_named(identifier["system"]) is identifiers.ARGOS
                assert found == []


def test_the_guides_example_practitioners_identifiers_find_our_staff(fhir, world):
    examples = uz_core.examples("UZCorePractitioner")
    assert len(examples) == 2
    for name, carried in examples.items():
        (identifier,) = carried
        assert identifiers.system_named(identifier["system"]) is identifiers.ARGOS
        person = UserFactory(username=name)
        StaffRecordFactory(user=person, facility=world.polyclinic,
                           argos_id=identifier["value"])
        found = _found(fhir, "Practitioner", identifier["system"], identifier["value"])
        assert [p["id"] for p in found] == [person.public_id.hex]
        assert found[0]["identifier"] == [identifiers.ARGOS.as_fhir(identifier["value"])]
