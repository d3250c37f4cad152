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
FIND_PATIENT = EntryPoint(_("Find a patient"), "patients:search",
                          _("By MED-ID, PINFL, phone, birth date or name in either script."))
REGISTER_CARD = EntryPoint(_("Register a new card"), "patients:register",
                           _("A MED-ID card for a person who has none."))
MY_CARD = EntryPoint(_("My card"), "patients:my-card",
                     _("Your MED-ID, allergies and chronic conditions."))
MY_ACCESS_LOG = EntryPoint(_("Who opened my card"), "patients:my-access-log",
                           _("Every person who opened your card, when and why."))
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

# Apps' own tiles, imported after EntryPoint exists (they build on it).
from clinics.entry_points import VISITS, WARDS  # noqa: E402
from notifications.entry_points import NOTIFICATION_SETTINGS  # noqa: E402
from prescriptions.entry_points import DISPENSE, MY_PRESCRIPTIONS  # noqa: E402
from queues.entry_points import BOOK, MY_QUEUE, QUEUE_DESKS, WALK_IN  # noqa: E402

ENTRY_POINTS: dict[str, list[EntryPoint]] = {
    Role.CLINICIAN: [QUEUE_DESKS, FIND_PATIENT, VISITS, WARDS, REGISTER_CARD, API_DOCS,
                     ACCOUNT],
    Role.NURSE: [QUEUE_DESKS, FIND_PATIENT, VISITS, WARDS, ACCOUNT],
    Role.REGISTRAR: [WALK_IN, BOOK, QUEUE_DESKS, FIND_PATIENT, REGISTER_CARD, ACCOUNT],
    Role.LAB_TECHNICIAN: [API_DOCS, ACCOUNT],
    Role.PHARMACIST: [DISPENSE, API_DOCS, ACCOUNT],
    Role.PATIENT: [MY_CARD, MY_PRESCRIPTIONS, MY_QUEUE, MY_ACCESS_LOG, NOTIFICATION_SETTINGS,
                   ACCOUNT],
    Role.ADMINISTRATOR: [ADMIN, FIND_PATIENT, API_DOCS, ACCOUNT],
}
