"""Reads of queues that people see: scoped to who asks, with flat query counts."""

from __future__ import annotations

import math
import operator
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.referrals.models import ReferralTarget
from clinics.referrals.selectors import active_referrals_of
from dmed.audit import record_audit_event, record_list_event, record_polled_list_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from dmed.worklists import WORKLIST_ROWS, Worklist, worklist
from patients.access import FACILITY_ROLES, card_for
from queues.models import (
    HOLDS_SLOT,
    Appointment,
    AppointmentStatus,
    ServicePoint,
    ServicePointKind,
    Ticket,
    TicketStatus,
)
from queues.schedules import Slot, hours_on, slots_on
from registry.selectors import acting_staff_record

TICKET_OBJECT = "queue.ticket"
APPOINTMENT_OBJECT = "queue.appointment"
# How many recent services the estimated wait averages over.
RECENT_SERVICES = 20
DEFAULT_SERVICE_MINUTES = 10
BOARD_CALLED = 8
BOARD_NEXT_PER_POINT = 4


# --- the care relations of patients.access (settings.PATIENT_CARE_RELATIONS) ---

def cards_with_ticket_here_today(user: User, record):
    return Ticket.objects.filter(service_point__facility_id=record.facility_id,
                                 day=timezone.localdate(), card__isnull=False).values("card_id")


def cards_with_appointment_here(user: User, record):
    """An appointment at the facility, today or ahead, brings its patient into its care."""
    return Appointment.objects.filter(
        service_point__facility_id=record.facility_id, day__gte=timezone.localdate(),
        status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN],
    ).values("card_id")


# --- service points and slots (no patient data) ---

def _public_id(value) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError as error:
        raise Http404 from error


def service_point_for(public_id) -> ServicePoint:
    """An active service point by its public id, or 404."""
    try:
        return ServicePoint.objects.select_related("facility", "practitioner").get(
            public_id=_public_id(public_id), is_active=True)
    except ServicePoint.DoesNotExist as missing:
        raise Http404 from missing


def service_points(*, facility_code: str = "", kind: str = ""):
    points = (ServicePoint.objects.filter(is_active=True)
              .select_related("facility", "practitioner").order_by("facility__code",
                                                                   "ticket_prefix"))
    if facility_code:
        points = points.filter(facility__code=facility_code)
    if kind:
        points = points.filter(kind=kind)
    return points


def facility_service_points(user: User):
    """The points of the facility the member of staff works at."""
    record = acting_staff_record(user)
    if record is None:
        return ServicePoint.objects.none()
    return service_points(facility_code=record.facility.code)


def slots(service_point: ServicePoint, day: date) -> list[Slot]:
    """The day's slots still ahead, each marked free or taken."""
    taken = frozenset(Appointment.objects.filter(HOLDS_SLOT, service_point=service_point,
                                                 day=day).values_list("starts_at", flat=True))
    now = timezone.now()
    return [slot for slot in slots_on(service_point, day, taken) if slot.starts_at > now]


# --- who works a service point ---

def require_staff_at(user: User, service_point: ServicePoint):
    """Clinicians, nurses and registrars of the point's facility work its queue."""
    record = acting_staff_record(user)
    if (user.role not in FACILITY_ROLES or record is None
            or record.facility_id != service_point.facility_id):
        raise PermissionDenied(_("Only staff of this facility work its queues."))
    return record


# --- the desk ---

def waiting_line(service_point: ServicePoint, day: date):
    """Waiting tickets in the order "call next" takes them."""
    return (Ticket.objects.filter(service_point=service_point, day=day,
                                  status=TicketStatus.WAITING)
            .select_related("card", "appointment").order_by("priority", "queued_for", "id"))


@dataclass
class Desk:
    service_point: ServicePoint
    waiting: list[Ticket]
    called: list[Ticket]
    served_today: int
    transfer_targets: list[ServicePoint]


def _record_desk_read(user: User, service_point: ServicePoint, waiting: list[Ticket],
                      called: list[Ticket], seen: MutableMapping) -> None:
    """Audit what the desk shows, once for each set of tickets it shows (the line refreshes
    every five seconds; see dmed.audit.record_polled_list_event). A ticket only moving
    from waiting to called shows no new patient and records nothing here (calling it is
    audited by call_next)."""
    shown = sorted(waiting + called, key=lambda ticket: ticket.pk)
    record_polled_list_event(
        seen=seen, key=f"queue-desk-shown:{service_point.public_id}", actor=user,
        object_type=TICKET_OBJECT, list_id=str(service_point.public_id),
        shown=[(t.public_id, t.card.med_id if t.card_id else "") for t in shown],
        reason=f"{service_point.public_id}: {len(waiting)} waiting, {len(called)} called")


def ticket_being_served(user: User, service_point: ServicePoint, day) -> Ticket | None:
    """The ticket this person called at this point and has not finished (at most one)."""
    return (Ticket.objects.filter(service_point=service_point, day=day, called_by=user,
                                  status=TicketStatus.CALLED).first())


def desk(user: User, service_point: ServicePoint, *, seen: MutableMapping) -> Desk:
    """What a desk shows: the waiting line with names, and the tickets being served.
    `seen` remembers what was audited already (see _record_desk_read)."""
    require_staff_at(user, service_point)
    today = timezone.localdate()
    waiting = list(waiting_line(service_point, today))
    called = list(Ticket.objects.filter(service_point=service_point, day=today,
                                        status=TicketStatus.CALLED)
                  .select_related("card", "called_by").order_by("-called_at"))
    served = Ticket.objects.filter(service_point=service_point, day=today,
                                   status=TicketStatus.COMPLETED).count()
    targets = list(service_points(facility_code=service_point.facility.code)
                   .exclude(pk=service_point.pk))
    _record_desk_read(user, service_point, waiting, called, seen)
    return Desk(service_point, waiting, called, served, targets)


# --- the display board (public: numbers and rooms, never names) ---

@dataclass(frozen=True)
class BoardLine:
    number: str
    room: str
    point: str
    desk: str
    called_at: object


@dataclass
class Board:
    called: list[BoardLine]
    next_numbers: list[str]


def _board_lines(tickets) -> list[BoardLine]:
    return [BoardLine(t.display_number, t.service_point.room, t.service_point.name, t.desk,
                      t.called_at) for t in tickets]


def board(*, facility=None, service_point: ServicePoint | None = None) -> Board:
    """The tickets being called and the next ones, for a facility or one of its points."""
    today = timezone.localdate()
    tickets = Ticket.objects.filter(day=today).select_related("service_point")
    if service_point is not None:
        tickets = tickets.filter(service_point=service_point)
    else:
        tickets = tickets.filter(service_point__facility=facility)
    called = tickets.filter(status=TicketStatus.CALLED).order_by("-called_at")[:BOARD_CALLED]
    # The next few of every point's line, in the order call-next takes them.
    upcoming = (tickets.filter(status=TicketStatus.WAITING)
                .annotate(place=Window(RowNumber(), partition_by=F("service_point"),
                                       order_by=[F("priority"), F("queued_for"), F("id")]))
                .filter(place__lte=BOARD_NEXT_PER_POINT)
                .order_by("service_point__ticket_prefix", "place"))
    return Board(called=_board_lines(called),
                 next_numbers=[t.display_number for t in upcoming])


# --- a patient's own tickets and appointments ---

def _check_patient_or_staff(user: User, card, service_point: ServicePoint, object_type: str,
                            object_id: str):
    """Patients (and their representatives) reach their own records; staff their
    facility's; for everyone else the record does not exist."""
    if user.role == Role.PATIENT:
        card_for(user, card.med_id, object_type=object_type, record_success=False)
        return
    try:
        require_staff_at(user, service_point)
    except PermissionDenied as refused:
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=object_type,
                           object_id=object_id, patient_med_id=card.med_id if card else "",
                           allowed=False)
        raise Http404 from refused


def ticket_for(user: User, public_id, *, action: str = AuditAction.VIEW,
               record_success: bool = True, lock: bool = False) -> Ticket:
    """Load a ticket for this user or answer 404; audit the read."""
    tickets = Ticket.objects.select_related("service_point__facility", "card", "appointment")
    if lock:
        tickets = tickets.select_for_update(of=("self",))
    try:
        ticket = tickets.get(public_id=_public_id(public_id))
    except Ticket.DoesNotExist as missing:
        raise Http404 from missing
    _check_patient_or_staff(user, ticket.card, ticket.service_point, TICKET_OBJECT,
                            str(ticket.public_id))
    if record_success:
        record_audit_event(actor=user, action=action, object_type=TICKET_OBJECT,
                           object_id=str(ticket.public_id),
                           patient_med_id=ticket.card.med_id if ticket.card_id else "")
    return ticket


def appointment_for(user: User, public_id, *, lock: bool = False,
                    record_success: bool = True) -> Appointment:
    appointments = Appointment.objects.select_related("service_point__facility",
                                                      "service_point__practitioner", "card")
    if lock:
        appointments = appointments.select_for_update(of=("self",))
    try:
        appointment = appointments.get(public_id=_public_id(public_id))
    except Appointment.DoesNotExist as missing:
        raise Http404 from missing
    _check_patient_or_staff(user, appointment.card, appointment.service_point,
                            APPOINTMENT_OBJECT, str(appointment.public_id))
    if record_success:
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=APPOINTMENT_OBJECT,
                           object_id=str(appointment.public_id),
                           patient_med_id=appointment.card.med_id)
    return appointment


@dataclass
class TicketProgress:
    ticket: Ticket
    ahead: int
    estimated_wait: timedelta | None

    @property
    def wait_minutes(self) -> int:
        return math.ceil(self.estimated_wait.total_seconds() / 60) if self.estimated_wait else 0


def average_service_time(service_point: ServicePoint) -> timedelta:
    """From the point's recent completed tickets; the slot length until there are any."""
    # One statement over the newest few (each month's partial index entered once), not
    # the ids looked up again in every month's partition.
    recent = (Ticket.objects.filter(service_point=service_point,
                                    status=TicketStatus.COMPLETED,
                                    finished_at__gte=timezone.now() - timedelta(days=14))
              .order_by("-finished_at")[:RECENT_SERVICES])
    average = recent.aggregate(average=Avg(F("finished_at") - F("called_at")))["average"]
    if average:
        return average
    hours = hours_on(service_point, timezone.localdate())
    return timedelta(minutes=hours.slot_minutes if hours else DEFAULT_SERVICE_MINUTES)


def ticket_progress(user: User, public_id) -> TicketProgress:
    """The patient's ticket page: how many are ahead and about how long it takes."""
    ticket = ticket_for(user, public_id)
    if ticket.status != TicketStatus.WAITING:
        return TicketProgress(ticket, 0, None)
    ahead = Ticket.objects.filter(
        Q(priority__lt=ticket.priority)
        | Q(priority=ticket.priority, queued_for__lt=ticket.queued_for)
        | Q(priority=ticket.priority, queued_for=ticket.queued_for, pk__lt=ticket.pk),
        service_point=ticket.service_point_id, day=ticket.day, status=TicketStatus.WAITING,
    ).count()
    return TicketProgress(ticket, ahead, average_service_time(ticket.service_point) * ahead)


def patient_queue(user: User, card) -> dict:
    """A patient's appointments from today on and today's tickets (card already checked)."""
    today = timezone.localdate()
    appointments = list(Appointment.objects.filter(card=card, day__gte=today)
                        .exclude(status=AppointmentStatus.CANCELLED)
                        .select_related("service_point__facility", "service_point__practitioner")
                        .order_by("starts_at")[:50])
    tickets = list(Ticket.objects.filter(card=card, day=today)
                   .select_related("service_point__facility").order_by("-issued_at"))
    return {"appointments": appointments, "tickets": tickets}


def _receiving_points(referral) -> Q | None:
    """The service points that receive a referral: the specialist's room at the facility
    the referral names, or the laboratory points of the referred laboratory. A referral to
    a hospital department is an admission, taken by the ward (clinics.stays), not booked
    in a queue."""
    if referral.target == ReferralTarget.SPECIALIST:
        return Q(kind=ServicePointKind.DOCTOR_ROOM, practitioner_id=referral.to_clinician_id,
                 facility_id=referral.to_facility_id)
    if referral.target == ReferralTarget.LABORATORY:
        return Q(kind=ServicePointKind.LABORATORY, facility_id=referral.to_facility_id)
    return None


def bookable_points(user: User, card) -> list[ServicePoint]:
    """Where a patient may book online: their family doctor's room and the services their
    active referrals send them to (sent or accepted and unexpired; a declined, cancelled
    or expired referral books nothing)."""
    places = [_receiving_points(referral) for referral in active_referrals_of(card)]
    if card.family_doctor_id:
        places.append(Q(kind=ServicePointKind.DOCTOR_ROOM,
                        practitioner_id=card.family_doctor_id))
    places = [place for place in places if place is not None]
    if not places:
        return []
    return list(service_points().filter(reduce(operator.or_, places)))


def is_family_doctors_room(card, service_point: ServicePoint) -> bool:
    return (service_point.kind == ServicePointKind.DOCTOR_ROOM
            and service_point.practitioner_id is not None
            and service_point.practitioner_id == card.family_doctor_id)


def referral_to(card, service_point: ServicePoint):
    """The active referral that sends the patient to this service point, the one valid
    longest when there are several; none is looked for at their family doctor's room."""
    if is_family_doctors_room(card, service_point):
        return None
    for referral in active_referrals_of(card):
        place = _receiving_points(referral)
        if place is not None and ServicePoint.objects.filter(place,
                                                             pk=service_point.pk).exists():
            return referral
    return None


def parse_day(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValidationError({"date": [_("Give the date as YYYY-MM-DD.")]}) from error


# --- the worklists of the role home pages (home/) ---

def _facility_record(user: User, roles=FACILITY_ROLES):
    record = acting_staff_record(user)
    if user.role not in roles or record is None:
        raise PermissionDenied(_("Only staff of a facility see its queues."))
    return record


def own_room(user: User) -> ServicePoint | None:
    """The clinician's own doctor's room at the facility they act for, if they have one."""
    record = _facility_record(user, (Role.CLINICIAN,))
    return (ServicePoint.objects.filter(kind=ServicePointKind.DOCTOR_ROOM, practitioner=user,
                                        facility_id=record.facility_id, is_active=True)
            .select_related("facility").order_by("ticket_prefix").first())


@dataclass
class RoomQueue:
    service_point: ServicePoint
    called: list[Ticket]
    waiting: list[Ticket]  # the head of the line, in call order
    waiting_count: int
    checked_in_count: int  # of the waiting, those who came for an appointment

    @property
    def count(self) -> int:
        return self.waiting_count


def room_queue(user: User, service_point: ServicePoint, *, seen: MutableMapping,
               limit: int = WORKLIST_ROWS) -> RoomQueue:
    """The live line of one room for its home panel: who is called, the first ones waiting
    and how many wait. Three queries; audited as the desk is (_record_desk_read)."""
    require_staff_at(user, service_point)
    today = timezone.localdate()
    counts = Ticket.objects.filter(service_point=service_point, day=today,
                                   status=TicketStatus.WAITING).aggregate(
        waiting=Count("pk"), checked_in=Count("pk", filter=Q(appointment__isnull=False)))
    waiting = list(waiting_line(service_point, today)[:limit])
    called = list(Ticket.objects.filter(service_point=service_point, day=today,
                                        status=TicketStatus.CALLED)
                  .select_related("card", "appointment").order_by("-called_at"))
    _record_desk_read(user, service_point, waiting, called, seen)
    return RoomQueue(service_point, called, waiting, counts["waiting"], counts["checked_in"])


def _appointments_listed(user: User, appointments, *, list_id: str, reason: str = "",
                         cursor: str | None = None, order=("starts_at", "pk")) -> Worklist:
    listed = worklist(appointments.select_related("card", "service_point__practitioner",
                                                  "ticket"),
                      order=order, cursor=cursor)
    record_list_event(actor=user, object_type=APPOINTMENT_OBJECT, list_id=list_id,
                      shown=[(a.public_id, a.card.med_id) for a in listed.rows], reason=reason)
    return listed


def room_appointments_today(user: User, service_point: ServicePoint, *,
                            cursor: str | None = None) -> Worklist:
    """Today's appointments in one room, cancelled ones left out, by time."""
    require_staff_at(user, service_point)
    return _appointments_listed(
        user, Appointment.objects.filter(service_point=service_point,
                                         day=timezone.localdate()).exclude(
            status=AppointmentStatus.CANCELLED),
        list_id=str(service_point.public_id), reason="today", cursor=cursor)


def facility_appointments_today(user: User, *, status: str = "",
                                cursor: str | None = None) -> Worklist:
    """Today's bookings of the facility the member of staff acts for (of one status, or
    all but the cancelled), by time."""
    record = _facility_record(user)
    appointments = Appointment.objects.filter(service_point__facility_id=record.facility_id,
                                              day=timezone.localdate())
    appointments = (appointments.filter(status=status) if status
                    else appointments.exclude(status=AppointmentStatus.CANCELLED))
    return _appointments_listed(user, appointments, list_id=record.facility.code,
                                reason=status or "today", cursor=cursor)


def waiting_per_point(user: User) -> list[ServicePoint]:
    """Every active point of the facility with today's waiting and called tickets counted
    (numbers only, no patient): one query."""
    record = _facility_record(user)
    today = timezone.localdate()
    return list(service_points(facility_code=record.facility.code).annotate(
        waiting=Count("tickets", filter=Q(tickets__day=today,
                                          tickets__status=TicketStatus.WAITING)),
        called=Count("tickets", filter=Q(tickets__day=today,
                                         tickets__status=TicketStatus.CALLED))))


def upcoming_appointments(user: User, cards, *, cursor: str | None = None) -> Worklist:
    """A patient's booked and checked-in appointments from today on, soonest first; `cards`
    are the patient's own (patients.selectors.patients_own_cards)."""
    appointments = (Appointment.objects.filter(
        card__in=cards, day__gte=timezone.localdate(),
        status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
        .select_related("service_point__facility"))
    return _appointments_listed(user, appointments, list_id="mine", reason="upcoming",
                                cursor=cursor)
