"""What the interface implements, in one place: the views check search parameters against
it and `GET /fhir/metadata` states it, so the CapabilityStatement cannot drift from the
code."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from fhir import mapping
from fhir.export_selectors import EXPORTABLE
from fhir.scopes import CREATED_TYPES, RESOURCE_TYPES
from fhir.transactions import REPORT_SEARCH
from fhir.writes import DISPENSE_SEARCH

FHIR_VERSION = "5.0.0"

@dataclass(frozen=True)
class Served:
    profile: str
    parameters: dict  # search parameter → (type, what it matches)
    includes: tuple[str, ...] = ()
    readable: bool = True  # False: searched only, no `<type>/<id>` read (fhir.urls)
    searchable: bool = True  # False: read only, no `<type>` search (fhir.urls)


_PATIENT = {"patient": ("reference", "required: Patient/<MED-ID>"),
            "subject": ("reference", "the same as patient")}
_LAST_UPDATED = {"_lastUpdated": ("date", "when the record last changed; eq, lt, le, gt, ge")}

SERVED = {
    "Patient": Served(mapping.PATIENT_PROFILE, {
        "identifier": ("token", "system|value: PINFL, MED-ID (health card), Uzbek passport "
                                "or ID card, foreign passport"),
        "name": ("string", "any part of the name, by prefix, in either script"),
        "birthdate": ("date", "eq, lt, le, gt, ge"),
        **_LAST_UPDATED,
    }),
    "Organization": Served(mapping.ORGANIZATION_PROFILE, {
        "identifier": ("token", "system|value: tax ID (Soliq), insurance fund (SHIF) code"),
        "name": ("string", "part of the name"),
    }),
    "Practitioner": Served(mapping.PRACTITIONER_PROFILE, {
        "identifier": ("token", "system|value: HRM Argos ID"),
        "name": ("string", "part of the name, specialty or facility, in either script"),
    }),
    "PractitionerRole": Served(mapping.PRACTITIONER_ROLE_PROFILE, {
        "practitioner": ("reference", "Practitioner/<id>"),
        "organization": ("reference", "Organization/<id>"),
    }),
    "Encounter": Served(mapping.ENCOUNTER_PROFILE, {
        **_PATIENT,
        "date": ("date", "when the visit opened or the stay began; eq, lt, le, gt, ge"),
    }, ("Encounter:patient",)),
    "Condition": Served(mapping.CONDITION_PROFILE, {
        **_PATIENT,
        "recorded-date": ("date", "eq, lt, le, gt, ge"),
    }),
    "Observation": Served(mapping.OBSERVATION_PROFILE, {
        **_PATIENT,
        "category": ("token", "laboratory | vital-signs"),
        "code": ("token", f"{mapping.LOINC}|<code>: a test's code, or {mapping.VITALS_PANEL} "
                          "for the vital signs"),
        "date": ("date", "when sampled or measured; eq, lt, le, gt, ge"),
    }),
    "AllergyIntolerance": Served(mapping.BASE_PROFILE + "AllergyIntolerance",
                                 {**_PATIENT, **_LAST_UPDATED}),
    "Medication": Served(mapping.BASE_PROFILE + "Medication", {
        "code": ("token", f"{mapping.ATC}|<ATC code>; a group's code finds its drugs"),
        "status": ("token", "active | inactive"),
    }),
    "MedicationRequest": Served(mapping.BASE_PROFILE + "MedicationRequest", {
        **_PATIENT,
        "status": ("token", "active | completed | cancelled | ended"),
        "authoredon": ("date", "when the prescription was issued; eq, lt, le, gt, ge"),
        **_LAST_UPDATED,
    }, ("MedicationRequest:medication",)),
    "MedicationDispense": Served(mapping.BASE_PROFILE + "MedicationDispense", {
        **_PATIENT,
        "whenhandedover": ("date", "eq, lt, le, gt, ge"),
    }),
    "DiagnosticReport": Served(mapping.BASE_PROFILE + "DiagnosticReport", {
        **_PATIENT,
        "date": ("date", "when the order was placed; eq, lt, le, gt, ge"),
    }),
    "ServiceRequest": Served(mapping.BASE_PROFILE + "ServiceRequest", {
        **_PATIENT,
        "category": ("token", f"{mapping.SNOMED}|108252007 (laboratory procedure: ordered "
                              "tests) | 3457005 (patient referral)"),
        "authored": ("date", "eq, lt, le, gt, ge"),
    }),
    "Appointment": Served(mapping.BASE_PROFILE + "Appointment", {
        **_PATIENT,
        "status": ("token", "booked | checked-in | noshow | cancelled"),
        "date": ("date", "when it starts; eq, lt, le, gt, ge"),
        **_LAST_UPDATED,
    }),
    "HealthcareService": Served(mapping.BASE_PROFILE + "HealthcareService", {
        "organization": ("reference", "Organization/<id>: the facility's service points"),
    }),
    "Location": Served(mapping.BASE_PROFILE + "Location", {
        "organization": ("reference", "Organization/<id>: the facility's departments"),
        "name": ("string", "part of the name"),
    }),
    "Provenance": Served(mapping.PROVENANCE_PROFILE, {
        **_PATIENT,
        "recorded": ("date", "when the visit was closed or the prescription signed; eq, lt, "
                             "le, gt, ge"),
    }),
    "AuditEvent": Served(mapping.AUDIT_EVENT_PROFILE, {
        "patient": ("reference", "required: Patient/<MED-ID>; the latest 200 entries of the "
                                 "card's access log, for the patient and administrators"),
    }, readable=False),
    "RelatedPerson": Served(mapping.BASE_PROFILE + "RelatedPerson", {**_PATIENT}),
    # A facility's attached population, its id the facility's code: read, and exported.
    "Group": Served(mapping.BASE_PROFILE + "Group", {}, searchable=False),
}
assert tuple(SERVED) == RESOURCE_TYPES  # noqa: S101 - the scopes offered are the types served


# What systems create (scopes system/<type>.c), how, and the If-None-Exist searches.
CREATES = {
    "Observation": ("A laboratory system's results of its own laboratory's order, only "
                    "inside a transaction Bundle (POST /fhir/) with their DiagnosticReport.",
                    ()),
    "MedicationDispense": ("A pharmacy system's dispense of one prescription item "
                           "(authorizingPrescription MedicationRequest/<code>.<line>), the "
                           "patient named by PINFL in subject.identifier; its identifier is "
                           "the idempotency key: a repeated POST dispenses nothing more.",
                           DISPENSE_SEARCH),
    "DiagnosticReport": ("A laboratory system's report of one order of its laboratory "
                         "(basedOn ServiceRequest/<order>.<test>), only inside a transaction "
                         "Bundle (POST /fhir/) with its Observations; final releases the "
                         "results, preliminary leaves them to be verified.",
                         REPORT_SEARCH),
}
assert tuple(CREATES) == CREATED_TYPES  # noqa: S101 - the scopes offered are the types created


def search_parameters(resource_type: str) -> set[str]:
    return set(SERVED[resource_type].parameters)


BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/"
_EXPORT_TEXT = (f"Prefer: respond-async; _type ({', '.join(EXPORTABLE)}), _since, "
                "_outputFormat=application/fhir+ndjson. Needs system/<type>.r for each type; "
                "the patients the client may open, the kinds of record its role sees. Files "
                "are fetched with the same token and kept for a limited time (Expires).")


def capability_statement(base: str) -> dict:
    lifetime = settings.OAUTH2_PROVIDER["ACCESS_TOKEN_EXPIRE_SECONDS"]
    site = base.removesuffix("fhir/")
    rest_resources = []
    for resource_type, served in SERVED.items():
        interactions = [code for code, offered in (("read", served.readable),
                                                   ("search-type", served.searchable))
                        if offered]
        entry = {
            "type": resource_type, "profile": served.profile,
            "interaction": [{"code": code} for code in interactions],
            "versioning": "no-version", "readHistory": False, "updateCreate": False,
        }
        if served.searchable:
            entry["searchParam"] = (
                [{"name": name, "type": kind, "documentation": text}
                 for name, (kind, text) in served.parameters.items()]
                + [{"name": "_count", "type": "number", "documentation": "1 to 100; default 25"}])
        if served.includes:
            entry["searchInclude"] = list(served.includes)
        if resource_type in CREATES:
            text, conditional = CREATES[resource_type]
            entry["interaction"].append({"code": "create", "documentation": text})
            entry["conditionalCreate"] = bool(conditional)
            if conditional:
                entry["documentation"] = ("If-None-Exist (ifNoneExist in a transaction) "
                                          "searches by " + ", ".join(conditional) + ".")
        if resource_type == "Patient":
            entry["operation"] = [{
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                "documentation": "The card and every kind of record the client may search "
                                 "and its role may see, a kind at a time in keyset pages."}]
        if resource_type == "Group":
            entry["documentation"] = ("A Group is a facility's attached population, its id "
                                      "the facility's code (Organization id).")
            entry["operation"] = [{"name": "export", "definition": BULK_DATA
                                   + "OperationDefinition/group-export",
                                   "documentation": _EXPORT_TEXT}]
        rest_resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active", "date": timezone.localdate().isoformat(), "kind": "instance",
        "publisher": "DMED",
        "name": "DMEDFHIRServer",
        "description": "Read and search of MED-ID cards, visits and stays, diagnoses, lab "
                       "results and vital signs, allergies, prescriptions and what pharmacies "
                       "dispensed, the drug registry, a card's access log, facilities, "
                       "their attached populations (Group) and staff, on the UZ Core "
                       "profiles where the guide has one. Writes: "
                       "a laboratory system's transaction of a DiagnosticReport and its "
                       "Observations, a pharmacy system's MedicationDispense; no updates or "
                       "deletes, no history. Bulk export (FHIR Bulk Data, NDJSON). Paging "
                       "is by keyset (Bundle.link next), with no totals.",
        "implementation": {"description": "DMED portal", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "implementationGuide": ["https://dhp.uz/fhir/core"],
        "instantiates": [BULK_DATA + "CapabilityStatement/bulk-data"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": False,
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                           "oauth-uris",
                    "extension": [{"url": name, "valueUri": f"{site}o/{path}"}
                                  for name, path in (("authorize", "authorize/"),
                                                     ("token", "token/"),
                                                     ("revoke", "revoke_token/"))]}],
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}],
                    "text": "OAuth 2.0 client credentials (token endpoint /o/token/), SMART "
                            "v2 system scopes such as system/Patient.rs and "
                            "system/MedicationDispense.c; each client acts "
                            "for one facility with the rights of its account's role. Apps "
                            "acting for a person: the authorization code grant with PKCE "
                            "(S256; endpoint /o/authorize/, public clients allowed), SMART "
                            "v2 patient scopes (patient/*.rs, patient/Observation.rs, …) for "
                            "a signed-in patient's own record and those they represent, "
                            "user scopes (user/*.rs) for a clinician within their scope; "
                            "the token response names the patient; the person revokes an "
                            "app on their connected-apps page."}],
                "description": f"Access tokens last {lifetime} seconds. Discovery: "
                               ".well-known/smart-configuration.",
            },
            "resource": rest_resources,
            "interaction": [{"code": "transaction", "documentation": (
                "A laboratory system's DiagnosticReport and its Observations for one order, "
                "all or nothing; the answer is a transaction-response Bundle with each "
                "entry's location.")}],
            "operation": [{"name": "export",
                           "definition": BULK_DATA + "OperationDefinition/export",
                           "documentation": _EXPORT_TEXT}],
        }],
    }
