"""Apps acting for a signed-in person (SMART App Launch, the authorization code grant with
PKCE): which scopes a person may grant, their consents (writes and the reads they see),
and what a token of such an app carries into a FHIR request.

A patient grants `patient/…` scopes: the token reads their own record and their represented
children's, exactly as their pages do. Staff grant `user/…` scopes: the token reads within
their scope and need-to-know, exactly as their pages do. Every selector takes the person as
the actor, so the audit trail names them; the request's origin names the app (its user
agent reads `SMART app <client id> (<name>)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from dmed.audit import current_origin, record_audit_event, set_request_origin
from dmed.models import AuditAction, User
from dmed.roles import Role
from fhir.models import AppConsent, PersonApp
from fhir.scopes import LAUNCH_PATIENT, OFFLINE_ACCESS

CONSENT_OBJECT = "fhir.app_consent"
PATIENT_CONTEXT, USER_CONTEXT = "patient", "user"


def scope_context(user: User) -> str | None:
    """The SMART scope context a person may grant: a patient their own record, staff and
    administrators what their role reaches; None for an account without a role."""
    if user.role == Role.PATIENT:
        return PATIENT_CONTEXT
    return USER_CONTEXT if user.role else None


def scopes_beyond_role(user: User, scopes) -> list[str]:
    """The scopes this person may not grant (another context's, or a system's)."""
    context = scope_context(user)
    grantable = {OFFLINE_ACCESS, *([LAUNCH_PATIENT] if context == PATIENT_CONTEXT else [])}
    return [scope for scope in scopes
            if scope not in grantable and scope.split("/", 1)[0] != context]


# What a permission and a type read as on the consent screen.
_TYPES = {
    "*": gettext_lazy("all of the record"),
    "Patient": gettext_lazy("identity and contacts"),
    "Encounter": gettext_lazy("visits and hospital stays"),
    "Condition": gettext_lazy("diagnoses"),
    "Observation": gettext_lazy("lab results and vital signs"),
    "AllergyIntolerance": gettext_lazy("allergies"),
    "MedicationRequest": gettext_lazy("prescriptions"),
    "MedicationDispense": gettext_lazy("medicines handed out by pharmacies"),
    "DiagnosticReport": gettext_lazy("lab reports"),
    "ServiceRequest": gettext_lazy("lab orders and referrals"),
    "Appointment": gettext_lazy("appointments"),
    "Provenance": gettext_lazy("signatures of visits and prescriptions"),
    "AuditEvent": gettext_lazy("who opened the card"),
    "RelatedPerson": gettext_lazy("parents and guardians"),
    "Organization": gettext_lazy("facilities"),
    "Group": gettext_lazy("the populations attached to facilities"),
    "Practitioner": gettext_lazy("medical staff"),
    "PractitionerRole": gettext_lazy("medical staff's posts"),
    "Medication": gettext_lazy("the drug registry"),
    "HealthcareService": gettext_lazy("service points"),
    "Location": gettext_lazy("departments and rooms"),
}


_OTHER_SCOPES = {
    LAUNCH_PATIENT: gettext_lazy("Know whose record it reads (your MED-ID)"),
    OFFLINE_ACCESS: gettext_lazy("Keep reading while you are away, until you revoke it"),
}


@dataclass(frozen=True)
class ScopeInWords:
    scope: str
    text: str


def in_words(scope: str) -> ScopeInWords:
    """A SMART scope as a person reads it: `patient/Observation.rs` → "Read and search
    your lab results and vital signs"."""
    if scope in _OTHER_SCOPES:
        return ScopeInWords(scope, str(_OTHER_SCOPES[scope]))
    context, rest = scope.split("/", 1)
    resource_type, permissions = rest.split(".", 1)
    what = _TYPES.get(resource_type, resource_type)
    verb = {"r": _("Read"), "s": _("Search"), "rs": _("Read and search")}.get(permissions,
                                                                            permissions)
    if context == PATIENT_CONTEXT:
        text = _("%(verb)s your %(what)s (and of those you represent)")
    else:
        text = _("%(verb)s %(what)s of the patients you may see at work")
    return ScopeInWords(scope, text % {"verb": verb, "what": what})


def launch_patient(user: User) -> str | None:
    """The SMART launch context of a patient's token: their own card's MED-ID."""
    card = getattr(user, "patient_card", None) if user.role == Role.PATIENT else None
    return card.med_id if card is not None else None


def registration(application) -> PersonApp | None:
    """The application's registration as a person's app, when active."""
    app = getattr(application, "person_app", None)
    return app if app is not None and app.is_active else None


def name_app_in_the_trail(application) -> None:
    """From here on, this request's audit events name the app acting for the person."""
    origin = current_origin()
    set_request_origin(
        ip_address=origin.ip_address,
        user_agent=f"SMART app {application.client_id} ({application.name}); "
                   f"{origin.user_agent}")


# ------------------------------------------------------------------------------ writes


@transaction.atomic
def record_consent(*, user: User, application, scopes: list[str]) -> AppConsent:
    """The person approved the app for these scopes on the consent screen."""
    now = timezone.now()
    consent, _created = AppConsent.objects.update_or_create(
        user=user, application=application,
        defaults={"scopes": " ".join(scopes), "granted_at": now, "revoked_at": None})
    record_audit_event(actor=user, action=AuditAction.CREATE, object_type=CONSENT_OBJECT,
                       object_id=application.client_id[:64],
                       reason=f"granted {' '.join(scopes)}"[:1000])
    return consent


@transaction.atomic
def revoke_consent(*, user: User, client_id: str) -> AppConsent:
    """The person withdrew the app: its consent ends and every token and code it holds for
    them is deleted, so the next FHIR request with them answers 401."""
    consent = (AppConsent.objects.select_for_update().select_related("application")
               .get(user=user, application__client_id=client_id, revoked_at__isnull=True))
    application = consent.application
    get_refresh_token_model().objects.filter(user=user, application=application).delete()
    get_access_token_model().objects.filter(user=user, application=application).delete()
    get_grant_model().objects.filter(user=user, application=application).delete()
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    record_audit_event(actor=user, action=AuditAction.UPDATE, object_type=CONSENT_OBJECT,
                       object_id=client_id[:64], reason="revoked")
    return consent


# ------------------------------------------------------------------------------ reads


def consents_of(user: User) -> list[AppConsent]:
    """The apps this person has granted and not revoked, newest first."""
    consents = list(AppConsent.objects.filter(user=user, revoked_at__isnull=True)
                    .select_related("application").order_by("-granted_at", "-pk"))
    for consent in consents:
        consent.in_words = [in_words(scope) for scope in consent.scope_list()]
    return consents
