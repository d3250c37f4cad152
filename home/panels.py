"""The panels of the role home pages: each reads its data from a selector of the app that
owns it, scoped to the acting facility and the person, and audited there.

A panel shows a count and its first rows; the next rows come from the panel's own URL
(home:panel, with the keyset cursor), which is also what a live panel polls with htmx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinics.labs import worklists as lab_worklists
from clinics.referrals import selectors as referral_selectors
from clinics.stays import selectors as stay_selectors
from clinics.visits import selectors as visit_selectors
from home.services import new_since
from inbox import selectors as inbox_selectors
from mch import selectors as mch_selectors
from notifications import selectors as notification_selectors
from patients import selectors as card_selectors
from patients.selectors import patients_own_cards
from prescriptions import selectors as prescription_selectors
from prescriptions.forms import PharmacyLookupForm
from queues import selectors as queue_selectors
from queues.models import AppointmentStatus
from registry.models import FacilityKind
from registry.selectors import acting_staff_record


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str | Promise
    template: str
    # (request, cursor) -> what the template shows; has `.count` unless `counted` is False
    read: Callable
    all_url: str = ""  # the full list or page the panel summarises
    live: bool = False  # polled with htmx, as the queue desk is
    counted: bool = True
    # whether the panel is on this person's page at all (a room, a hospital)
    applies: Callable = lambda request: True


@dataclass
class Panel:
    spec: PanelSpec
    data: object

    @property
    def count(self) -> int | None:
        return self.data.count if self.spec.counted and self.data is not None else None


# --- what several panels ask once per request ---

def _memo(request, name: str, compute):
    cache = request.__dict__.setdefault("_home_panels", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


def own_room(request):
    return _memo(request, "room", lambda: queue_selectors.own_room(request.user))


def in_hospital(request) -> bool:
    record = acting_staff_record(request.user)
    return record is not None and record.facility.kind == FacilityKind.HOSPITAL


def since(request):
    """What is new to a patient is what came after their previous visit to the page."""
    return _memo(request, "since",
                 lambda: new_since(user=request.user, session=request.session))


def own_cards(request):
    return _memo(request, "cards", lambda: patients_own_cards(request.user))


# --- the panels ---

ROOM_QUEUE = PanelSpec(
    "room-queue", _("Your room's queue"), "home/panels/room_queue.html",
    lambda request, cursor: queue_selectors.room_queue(request.user, own_room(request),
                                                       seen=request.session),
    live=True, applies=lambda request: own_room(request) is not None)
ROOM_APPOINTMENTS = PanelSpec(
    "room-appointments", _("Today's appointments"), "home/panels/appointments.html",
    lambda request, cursor: queue_selectors.room_appointments_today(
        request.user, own_room(request), cursor=cursor),
    applies=lambda request: own_room(request) is not None)
RESULTS_INBOX = PanelSpec(
    "inbox", _("Results inbox"), "home/panels/inbox.html",
    lambda request, cursor: inbox_selectors.inbox_panel(request.user, seen=request.session),
    all_url="inbox:inbox")
OPEN_VISITS = PanelSpec(
    "open-visits", _("Open visits, not yet signed"), "home/panels/visits.html",
    lambda request, cursor: visit_selectors.my_open_visits(request.user, cursor=cursor),
    all_url="clinics:visits")
STAYS_IN_CARE = PanelSpec(
    "stays", _("Your patients in hospital"), "home/panels/stays.html",
    lambda request, cursor: stay_selectors.stays_in_my_care(request.user, cursor=cursor),
    all_url="clinics:wards", applies=in_hospital)
REFERRALS_TO_DECIDE = PanelSpec(
    "referrals", _("Referrals to decide"), "home/panels/referrals.html",
    lambda request, cursor: referral_selectors.referrals_to_decide(request.user,
                                                                   cursor=cursor),
    all_url="referrals:incoming")
REPEATS_RUNNING_OUT = PanelSpec(
    "running-out", _("Repeat prescriptions running out within a week"),
    "home/panels/running_out.html",
    lambda request, cursor: prescription_selectors.repeats_running_out(request.user,
                                                                        cursor=cursor))

WARD_LIST = PanelSpec(
    "ward", _("The ward's patients"), "home/panels/stays.html",
    lambda request, cursor: stay_selectors.stays_in_my_care(request.user, cursor=cursor),
    all_url="clinics:wards", applies=in_hospital)
FACILITY_APPOINTMENTS = PanelSpec(
    "bookings", _("Today's bookings"), "home/panels/appointments.html",
    lambda request, cursor: queue_selectors.facility_appointments_today(request.user,
                                                                        cursor=cursor),
    all_url="queue:index")
NURSE_ROOMS = PanelSpec(
    "rooms", _("Today's patients in the rooms"), "home/panels/appointments.html",
    FACILITY_APPOINTMENTS.read, all_url="queue:index",
    applies=lambda request: not in_hospital(request))
VITALS_DUE = PanelSpec(
    "vitals", _("Vitals to measure"), "home/panels/visits.html",
    lambda request, cursor: visit_selectors.visits_needing_vitals(request.user,
                                                                  cursor=cursor))
SAMPLES_TO_TAKE = PanelSpec(
    "samples", _("Samples to take"), "home/panels/samples.html",
    lambda request, cursor: lab_worklists.samples_to_take(request.user, cursor=cursor))

WAITING_PER_POINT = PanelSpec(
    "waiting", _("Waiting now, per service point"), "home/panels/waiting.html",
    lambda request, cursor: queue_selectors.waiting_per_point(request.user),
    all_url="queue:index", live=True, counted=False)
NO_SHOWS = PanelSpec(
    "no-shows", _("Did not come today"), "home/panels/appointments.html",
    lambda request, cursor: queue_selectors.facility_appointments_today(
        request.user, status=AppointmentStatus.NO_SHOW, cursor=cursor),
    all_url="queue:index")

LAB_SUMMARY = PanelSpec(
    "lab", _("Laboratory worklist"), "home/panels/lab_summary.html",
    lambda request, cursor: lab_worklists.worklist_summary(request.user),
    all_url="labs:worklist", counted=False)

DISPENSE_BOX = PanelSpec(
    "dispense", _("Dispense a prescription"), "home/panels/dispense.html",
    lambda request, cursor: PharmacyLookupForm(), counted=False)
DISPENSINGS_TODAY = PanelSpec(
    "dispensings", _("Dispensed today"), "home/panels/dispensings.html",
    lambda request, cursor: prescription_selectors.dispensings_today(request.user,
                                                                     cursor=cursor))

MY_APPOINTMENTS = PanelSpec(
    "my-appointments", _("Your appointments"), "home/panels/my_appointments.html",
    lambda request, cursor: queue_selectors.upcoming_appointments(
        request.user, own_cards(request), cursor=cursor),
    all_url="queue:my-queue")
NEW_RESULTS = PanelSpec(
    "new-results", _("New results since your last visit"), "home/panels/results.html",
    lambda request, cursor: lab_worklists.results_released_since(
        request.user, own_cards(request), since(request), cursor=cursor),
    all_url="labs:my-results")
READY_TO_DISPENSE = PanelSpec(
    "ready", _("Prescriptions ready to dispense"), "home/panels/ready.html",
    lambda request, cursor: prescription_selectors.ready_to_dispense(
        request.user, own_cards(request), cursor=cursor),
    all_url="prescriptions:mine")
UNREAD_MESSAGES = PanelSpec(
    "messages", _("Messages since your last visit"), "home/panels/messages.html",
    lambda request, cursor: notification_selectors.messages_since(
        request.user, since(request), cursor=cursor),
    all_url="notifications:preferences")

# Facility heads review break-the-glass openings; a polyclinic's registrars and head decide
# requests of attachment to it.
GRANTS_TO_REVIEW = PanelSpec(
    "break-glass", _("Break-the-glass openings to review"), "home/panels/break_glass.html",
    lambda request, cursor: card_selectors.grants_awaiting_review(request.user, cursor=cursor),
    all_url="patients:break-glass-reviews",
    applies=lambda request: card_selectors.is_head(request.user))
AEFI_REPORTS = PanelSpec(
    "aefi", _("Adverse events following immunisation"), "home/panels/aefi.html",
    lambda request, cursor: mch_selectors.aefi_worklist(request.user, cursor=cursor,
                                                        limit=10),
    all_url="mch:aefi-list")
ATTACHMENT_REQUESTS = PanelSpec(
    "attachment-requests", _("Requests of attachment to decide"),
    "home/panels/attachment_requests.html",
    lambda request, cursor: card_selectors.attachment_requests_awaiting(request.user,
                                                                        cursor=cursor),
    all_url="patients:attachment-requests",
    applies=lambda request: card_selectors.decides_attachments(request.user))
