"""What each role's home page offers, composed from the apps' own tiles.

This module sits above every app (nothing imports it but the home view), so the apps and
the core stay free of each other: an app defines its tiles in its `entry_points.py`, and a
new page appears on a home page by being listed here.
"""

from django.utils.translation import gettext_lazy as _

from clinics.entry_points import VISITS, WARDS
from clinics.labs.entry_points import LAB_WORKLIST, MY_RESULTS
from clinics.referrals.entry_points import INCOMING_REFERRALS
from dmed.home import ACCOUNT, ADMIN, API_DOCS, EntryPoint
from dmed.roles import Role
from home import panels
from mch.entry_points import AEFI_LIST, DISTRICT
from notifications.entry_points import NOTIFICATION_SETTINGS
from patients.entry_points import FIND_PATIENT, MY_ACCESS_LOG, MY_CARD, REGISTER_CARD
from patronage.entry_points import ROUTE
from prescriptions.entry_points import DISPENSE, MY_PRESCRIPTIONS
from queues.entry_points import BOOK, MY_QUEUE, QUEUE_DESKS, WALK_IN

GREETINGS = {
    Role.CLINICIAN: _("Your patients and today's work at your facility."),
    Role.NURSE: _("Your patients and today's work at your facility."),
    Role.REGISTRAR: _("Registration, appointments and walk-in tickets."),
    Role.LAB_TECHNICIAN: _("The laboratory worklist and results."),
    Role.PHARMACIST: _("Verify and dispense e-prescriptions."),
    Role.PATIENT: _("Your medical card, results, prescriptions and appointments."),
    Role.ADMINISTRATOR: _("Registries, users, roles and the audit trail."),
    Role.EPIDEMIOLOGIST: _("Adverse events following immunisation in your district."),
    Role.NATIONAL_PLATFORM: _("A system account: the national platform works through the "
                              "FHIR interface, not these pages."),
}

ENTRY_POINTS: dict[str, list[EntryPoint]] = {
    Role.CLINICIAN: [QUEUE_DESKS, FIND_PATIENT, VISITS, WARDS, REGISTER_CARD, INCOMING_REFERRALS,
                     DISTRICT, API_DOCS, ACCOUNT],
    Role.NURSE: [QUEUE_DESKS, FIND_PATIENT, VISITS, WARDS, INCOMING_REFERRALS, DISTRICT, ROUTE,
                 ACCOUNT],
    Role.REGISTRAR: [WALK_IN, BOOK, QUEUE_DESKS, FIND_PATIENT, REGISTER_CARD, ACCOUNT],
    Role.LAB_TECHNICIAN: [LAB_WORKLIST, INCOMING_REFERRALS, API_DOCS, ACCOUNT],
    Role.PHARMACIST: [DISPENSE, API_DOCS, ACCOUNT],
    Role.PATIENT: [MY_CARD, MY_RESULTS, MY_PRESCRIPTIONS, MY_QUEUE, MY_ACCESS_LOG,
                   NOTIFICATION_SETTINGS, ACCOUNT],
    Role.ADMINISTRATOR: [ADMIN, FIND_PATIENT, API_DOCS, ACCOUNT],
    Role.EPIDEMIOLOGIST: [AEFI_LIST, ACCOUNT],
    Role.NATIONAL_PLATFORM: [ACCOUNT],
}

# The worklists at the top of each role's page, in the order they are read.
PANELS: dict[str, list[panels.PanelSpec]] = {
    Role.CLINICIAN: [panels.ROOM_QUEUE, panels.ROOM_APPOINTMENTS, panels.RESULTS_INBOX,
                     panels.OPEN_VISITS, panels.STAYS_IN_CARE, panels.REFERRALS_TO_DECIDE,
                     panels.REPEATS_RUNNING_OUT, panels.GRANTS_TO_REVIEW,
                     panels.ATTACHMENT_REQUESTS],
    Role.NURSE: [panels.WARD_LIST, panels.NURSE_ROOMS, panels.VITALS_DUE,
                 panels.SAMPLES_TO_TAKE, panels.GRANTS_TO_REVIEW],
    Role.REGISTRAR: [panels.FACILITY_APPOINTMENTS, panels.WAITING_PER_POINT,
                     panels.NO_SHOWS, panels.ATTACHMENT_REQUESTS, panels.GRANTS_TO_REVIEW],
    Role.LAB_TECHNICIAN: [panels.LAB_SUMMARY],
    Role.PHARMACIST: [panels.DISPENSE_BOX, panels.DISPENSINGS_TODAY],
    Role.PATIENT: [panels.MY_APPOINTMENTS, panels.NEW_RESULTS, panels.READY_TO_DISPENSE,
                   panels.UNREAD_MESSAGES],
    Role.EPIDEMIOLOGIST: [panels.AEFI_REPORTS],
    Role.NATIONAL_PLATFORM: [],
}
