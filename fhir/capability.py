"""What the interface implements, in one place: the views check search parameters against
it and `GET /fhir/metadata` states it, so the CapabilityStatement cannot drift from the
code."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from fhir import mapping
from fhir.scopes import RESOURCE_TYPES

FHIR_VERSION = "5.0.0"

# resource type → (profile, {search parameter: (type, what it matches)}, _include values)
SERVED = {
    "Patient": (mapping.PATIENT_PROFILE, {
        "identifier": ("token", "system|value: PINFL, MED-ID (health card), Uzbek passport "
                                "or ID card, foreign passport"),
        "name": ("string", "any part of the name, by prefix, in either script"),
        "birthdate": ("date", "eq, lt, le, gt, ge"),
    }, []),
    "Organization": (mapping.ORGANIZATION_PROFILE, {
        "identifier": ("token", "system|value: tax ID (Soliq), insurance fund (SHIF) code"),
        "name": ("string", "part of the name"),
    }, []),
    "Practitioner": (mapping.PRACTITIONER_PROFILE, {
        "identifier": ("token", "system|value: HRM Argos ID"),
        "name": ("string", "part of the name, specialty or facility, in either script"),
    }, []),
    "PractitionerRole": (mapping.PRACTITIONER_ROLE_PROFILE, {
        "practitioner": ("reference", "Practitioner/<id>"),
        "organization": ("reference", "Organization/<id>"),
    }, []),
    "Encounter": (mapping.ENCOUNTER_PROFILE, {
        "patient": ("reference", "required: Patient/<MED-ID>"),
        "subject": ("reference", "the same as patient"),
        "date": ("date", "when the visit opened or the stay began; eq, lt, le, gt, ge"),
    }, ["Encounter:patient"]),
    "Condition": (mapping.CONDITION_PROFILE, {
        "patient": ("reference", "required: Patient/<MED-ID>"),
        "subject": ("reference", "the same as patient"),
        "recorded-date": ("date", "eq, lt, le, gt, ge"),
    }, []),
    "Observation": (mapping.OBSERVATION_PROFILE, {
        "patient": ("reference", "required: Patient/<MED-ID>"),
        "subject": ("reference", "the same as patient"),
        "category": ("token", "laboratory | vital-signs"),
        "date": ("date", "when sampled or measured; eq, lt, le, gt, ge"),
    }, []),
}
assert tuple(SERVED) == RESOURCE_TYPES  # noqa: S101 - the scopes offered are the types served


def search_parameters(resource_type: str) -> set[str]:
    return set(SERVED[resource_type][1])


def capability_statement(base: str) -> dict:
    lifetime = settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    rest_resources = []
    for resource_type, (profile, parameters, includes) in SERVED.items():
        entry = {
            "type": resource_type, "profile": profile,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version", "readHistory": False, "updateCreate": False,
            "searchParam": [{"name": name, "type": kind, "documentation": text}
                            for name, (kind, text) in parameters.items()]
            + [{"name": "_count", "type": "number", "documentation": "1 to 100; default 25"}],
        }
        if includes:
            entry["searchInclude"] = includes
        rest_resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active", "date": timezone.localdate().isoformat(), "kind": "instance",
        "publisher": "DMED",
        "name": "DMEDFHIRServer",
        "description": "Read and search of MED-ID cards, visits and stays, diagnoses, lab "
                       "results and vital signs, facilities and staff, on the UZ Core "
                       "profiles. No writes, no history, no bulk export. Paging is by keyset "
                       "(Bundle.link next), with no totals.",
        "implementation": {"description": "DMED portal", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "implementationGuide": ["https://dhp.uz/fhir/core"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}],
                    "text": "OAuth 2.0 client credentials (token endpoint /o/token/), SMART "
                            "v2 system scopes such as system/Patient.rs; each client acts "
                            "for one facility with the rights of its account's role."}],
                "description": f"Access tokens last {lifetime} seconds.",
            },
            "resource": rest_resources,
        }],
    }
