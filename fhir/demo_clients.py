"""Demo FHIR clients for `make run` (`manage.py demo_fhir_clients`, after seed_demo; not a
`demo` module, so seed_demo's world stays people and places): a pharmacy's system, a
laboratory's system, a polyclinic's information system and the national platform, each
with its system account.

Their secrets are derived from the portal's SECRET_KEY, so they stay the same from one
`make run` to the next on one database and are printed, in debug only, by
`manage.py demo_fhir_clients`; only their hashes are stored.

One demo app acts for patients (a public client, the authorization code with PKCE): it
has no secret, and its redirect URI is an https address nobody serves, so a developer
reads the code from the browser's address bar after approving it.
"""

from __future__ import annotations

from datetime import date

from django.utils.crypto import salted_hmac

from dmed.models import User
from dmed.roles import Role
from fhir.scopes import registrable_scopes
from fhir.services import register_client, register_person_app
from registry.models import Facility, StaffRecord

SINCE = date(2024, 1, 1)
# Reads of everything: creating is the laboratory's and the pharmacy's systems' alone.
ALL = tuple(scope for scope in registrable_scopes() if scope.endswith(".rs"))
REGISTRY = ("system/Organization.rs", "system/Practitioner.rs", "system/PractitionerRole.rs",
            "system/Location.rs", "system/HealthcareService.rs", "system/Group.rs")

DEMO_CLIENTS = [
    # client id, name, account, role, facility code, scopes
    ("demo-pharmacy-system", "Shifo-Farm dorixona tizimi", "fhir-pharmacy", Role.PHARMACIST,
     "TSH-CHL-A07", (*REGISTRY, "system/Medication.rs", "system/MedicationDispense.c")),
    ("demo-laboratory-system", "Chilonzor laboratoriya tizimi", "fhir-laboratory",
     Role.LAB_TECHNICIAN, "TSH-CHL-L01", (*REGISTRY, "system/Observation.rs",
                                          "system/ServiceRequest.rs", "system/Observation.c",
                                          "system/DiagnosticReport.c")),
    ("demo-polyclinic-system", "12-sonli poliklinika axborot tizimi", "fhir-polyclinic",
     Role.CLINICIAN, "TSH-CHL-P12", ALL),
    ("demo-national-platform", "Raqamli sog‘liqni saqlash platformasi", "fhir-national",
     Role.NATIONAL_PLATFORM, None, ALL),
]


def demo_secret(client_id: str) -> str:
    return salted_hmac("fhir.demo.client-secret", client_id).hexdigest()


def demo_clients() -> list[tuple[str, str, str]]:
    """Create or refresh the demo clients; (name, client id, secret) of each."""
    facilities = Facility.objects.in_bulk([row[4] for row in DEMO_CLIENTS if row[4]],
                                          field_name="code")
    made = []
    for client_id, name, username, role, facility_code, scopes in DEMO_CLIENTS:
        facility = facilities.get(facility_code) if facility_code else None
        if facility_code and facility is None:
            continue  # the demo world is not loaded: `manage.py seed_demo` first
        account, _ = User.objects.update_or_create(
            username=username, defaults={"role": role, "first_name": name, "is_active": True})
        account.set_unusable_password()
        account.save(update_fields=["password"])
        if facility is not None:
            StaffRecord.objects.update_or_create(
                user=account, facility=facility, role=role, active_from=SINCE)
        client = register_client(name=name, account=account, facility=facility,
                                 scopes=list(scopes), client_secret=demo_secret(client_id),
                                 client_id=client_id)
        made.append((name, client.application.client_id, demo_secret(client_id)))
    return made


DEMO_PATIENT_APP = ("demo-patient-app", "Sog‘lom hayot (demo)",
                    "https://demo-patient-app.example/callback",
                    ("patient/Patient.rs", "patient/Observation.rs", "patient/Condition.rs",
                     "patient/MedicationRequest.rs", "patient/AllergyIntolerance.rs",
                     "launch/patient", "offline_access"))


def demo_patient_app() -> tuple[str, str, str]:
    """Create or refresh the demo patients' app; (name, client id, redirect URI)."""
    client_id, name, redirect_uri, scopes = DEMO_PATIENT_APP
    register_person_app(name=name, client_id=client_id, redirect_uris=[redirect_uri],
                        scopes=list(scopes))
    return name, client_id, redirect_uri
