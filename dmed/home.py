"""What each role's home page offers. Apps add their pages here as they land."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dmed.roles import Role


@dataclass(frozen=True)
class EntryPoint:
    title: str | Promise
    url_name: str
    description: str | Promise


ACCOUNT = EntryPoint(_("Change password"), "password_change",
                     _("Set a new password for your account."))
API_DOCS = EntryPoint(_("API documentation"), "api-docs",
                      _("The interactive reference of the portal's API for integrations."))
ADMIN = EntryPoint(_("Administration"), "admin:index",
                   _("Registries, users and roles, the audit trail."))

GREETINGS = {
    Role.CLINICIAN: _("Your patients and today's work at your facility."),
    Role.NURSE: _("Your patients and today's work at your facility."),
    Role.REGISTRAR: _("Registration, appointments and walk-in tickets."),
    Role.LAB_TECHNICIAN: _("The laboratory worklist and results."),
    Role.PHARMACIST: _("Verify and dispense e-prescriptions."),
    Role.PATIENT: _("Your medical card, results, prescriptions and appointments."),
    Role.ADMINISTRATOR: _("Registries, users, roles and the audit trail."),
}

ENTRY_POINTS: dict[str, list[EntryPoint]] = {
    Role.CLINICIAN: [API_DOCS, ACCOUNT],
    Role.NURSE: [ACCOUNT],
    Role.REGISTRAR: [ACCOUNT],
    Role.LAB_TECHNICIAN: [API_DOCS, ACCOUNT],
    Role.PHARMACIST: [API_DOCS, ACCOUNT],
    Role.PATIENT: [ACCOUNT],
    Role.ADMINISTRATOR: [ADMIN, API_DOCS, ACCOUNT],
}
