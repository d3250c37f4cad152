"""SMART on FHIR v2 scopes: which a client may be given, and what a token grants.

Systems get `system/…` scopes; apps acting for a person `patient/…` or `user/…`
(fhir.grants decides which person may grant which), with `launch/patient` and
`offline_access`.

A scope reads `system/<resource type>.<permissions>`, the permissions a subset of "cruds"
in that order (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). Every
type served is read and searched (`r`, `s`, `rs`; a Group is only read, an AuditEvent only
searched); the types a system may write are created
(`c`: a laboratory's reports and results, a pharmacy's dispenses), never updated or deleted.
The token endpoint (django-oauth-toolkit) asks `ClientScopes` what a client may request:
the scopes its registration allows, and any narrower ones (`.r` under an allowed `.rs`).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import combinations

from oauth2_provider.scopes import BaseScopes

CREATE, READ, SEARCH = "c", "r", "s"
PERMISSION_ORDER = "cruds"
# What the interface serves (fhir.views): the CapabilityStatement lists the same.
RESOURCE_TYPES = ("Patient", "Organization", "Practitioner", "PractitionerRole", "Encounter",
                  "Condition", "Observation", "AllergyIntolerance", "Medication",
                  "MedicationRequest", "MedicationDispense", "DiagnosticReport",
                  "ServiceRequest", "Appointment", "HealthcareService", "Location",
                  "Provenance", "AuditEvent", "RelatedPerson", "Group")
# What systems create (fhir.transactions, fhir.writes): the CapabilityStatement says so.
CREATED_TYPES = ("Observation", "MedicationDispense", "DiagnosticReport")
# `system/` for a system acting for itself, `patient/` and `user/` for an app acting for a
# signed-in patient or staff member (fhir.grants decides which role may hold which).
_SCOPE = re.compile(r"^(?P<context>system|patient|user)/(?P<type>\*|[A-Z][A-Za-z]+)"
                    r"\.(?P<permissions>[cruds]+)$")


def registrable_scopes() -> list[str]:
    """What an administrator may allow a client: read-and-search of each type served,
    create of each type written."""
    return ([f"system/{resource_type}.rs" for resource_type in RESOURCE_TYPES]
            + [f"system/{resource_type}.c" for resource_type in CREATED_TYPES])


def _narrower(scope: str) -> list[str]:
    match = _SCOPE.match(scope)
    if match is None:
        return [scope]  # launch/patient, offline_access: nothing narrower
    permissions = match["permissions"]
    return [f"{match['context']}/{match['type']}.{''.join(chosen)}"
            for size in range(1, len(permissions) + 1)
            for chosen in combinations(permissions, size)]


def grants(scopes, resource_type: str, permission: str) -> bool:
    """Does any of a token's scopes allow `permission` ("c", "r", "s") on `resource_type`?"""
    for scope in scopes:
        match = _SCOPE.match(scope)
        if match and match["type"] in (resource_type, "*") and permission in match["permissions"]:
            return True
    return False


# SMART's other scopes an app for a person may ask for: the patient in context (a patient's
# token always names them) and a refresh token (always issued, revocable by the person).
LAUNCH_PATIENT, OFFLINE_ACCESS = "launch/patient", "offline_access"


def person_app_scopes() -> list[str]:
    """What an administrator may allow an app acting for a person: read-and-search of
    every type served, for a patient's own record or within a staff member's scope."""
    return [*(f"{context}/{resource_type}.rs" for context in ("patient", "user")
              for resource_type in ("*", *RESOURCE_TYPES)), LAUNCH_PATIENT, OFFLINE_ACCESS]


def _allowed(application) -> list[str]:
    for registration in ("fhir_client", "person_app"):
        client = getattr(application, registration, None)
        if client is not None:
            return client.scope_list() if client.is_active else []
    return []


@cache
def _all_scopes() -> dict[str, str]:
    # Asked on every request a token authenticates: built once, a constant of the code.
    return {scope: scope for allowed in (*registrable_scopes(), *person_app_scopes())
            for scope in _narrower(allowed)}


class ClientScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend (settings.OAUTH2_PROVIDER)."""

    def get_all_scopes(self):
        return dict(_all_scopes())

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return sorted({scope for allowed in _allowed(application) for scope in _narrower(allowed)})

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        # A client that asks for no scope gets what its registration allows.
        return _allowed(application)
