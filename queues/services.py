"""Every write of the queues: bookings, tickets and the desk. One transaction each, with
its audit event; the database's constraints and row locks keep the races honest.

Outbox events (appointment booked or cancelled, ticket called) are emitted here, inside
the same transactions: these functions are the single place each of those things happens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.visits.services import open_visit
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from outbox import kinds
from outbox.events import emit
from patients.access import card_at_the_desk, card_for
from queues import selectors
from queues.models import (
    OPEN_TICKET,
    Appointment,
    AppointmentStatus,
    Priority,
    ServicePoint,
    ServicePointKind,
    Ticket,
    TicketCounter,
    TicketStatus,
)
from queues.schedules import closing_time
from queues.selectors import APPOINTMENT_OBJECT, TICKET_OBJECT, require_staff_at

# Patients change or cancel a booking until this long before it; staff until it starts.
CHANGE_CUTOFF = timedelta(hours=2)
# How far ahead patients book online.
BOOKING_HORIZON = timedelta(days=14)
# A patient checks in from this long before the appointment…
CHECK_IN_OPENS = timedelta(hours=1)
# …and one not checked in this long after its start did not come.
NO_SHOW_GRACE = timedelta(minutes=30)


class SlotTaken(Exception):
    """Someone else holds this slot (the API answers 409)."""

    code = "slot_taken"

    def __init__(self):
        super().__init__(_("This slot has just been taken. Choose another."))


def _audit(actor, action, object_type, record, card, reason=""):
    record_audit_event(actor=actor, action=action, object_type=object_type,
                       object_id=str(record.public_id),
                       patient_med_id=card.med_id if card else "", reason=reason)


# --- appointments ---

def _emit_appointment(kind: str, appointment: Appointment, **extra) -> None:
    point = appointment.service_point
    doctor = point.practitioner.get_full_name() if point.practitioner_id else point.name
    variant = "".join(f":{value}" for value in extra.values())
    emit(kind, {"med_id": appointment.card.med_id, "appointment": appointment.public_id,
                "starts_at": appointment.starts_at.isoformat(),
                "facility": point.facility.name, "doctor": doctor, **extra},
         dedupe_key=f"appointment:{appointment.public_id}:{kind}{variant}:"
                    f"{int(appointment.starts_at.timestamp())}")


def _check_slot(service_point: ServicePoint, starts_at: datetime, *, actor: User) -> datetime:
    """The end of the slot that starts at `starts_at`, or a field error."""
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    now = timezone.now()
    if starts_at <= now:
        raise ValidationError({"starts_at": [_("This time has passed.")]})
    if actor.role == Role.PATIENT and starts_at > now + BOOKING_HORIZON:
        raise ValidationError({"starts_at": [_("Online booking is open %(days)s days ahead.")
                                             % {"days": BOOKING_HORIZON.days}]})
    day = timezone.localtime(starts_at).date()
    slot = next((s for s in selectors.slots(service_point, day) if s.starts_at == starts_at),
                None)
    if slot is None:
        raise ValidationError({"starts_at": [_("There is no slot at this time.")]})
    if not slot.free:
        raise SlotTaken
    return slot.ends_at


def _check_may_book(actor: User, service_point: ServicePoint, card) -> None:
    if actor.role == Role.PATIENT:
        if service_point not in selectors.bookable_points(actor, card):
            raise PermissionDenied(_("Online you can book your own family doctor or a service "
                                     "you are referred to."))
        return
    require_staff_at(actor, service_point)


def _referral_for_day(actor: User, referral, day):
    """The referral a booking on `day` rests on. A patient booking online anything but
    their family doctor needs it valid that day; staff may book past it, and then the
    booking rests on no referral."""
    if referral is None or referral.valid_until >= day:
        return referral
    if actor.role == Role.PATIENT:
        raise ValidationError({"starts_at": [
            _("Your referral is valid until %(date)s; choose a day by then.")
            % {"date": referral.valid_until.strftime("%d.%m.%Y")}]})
    return None


def _save_slot(appointment: Appointment) -> None:
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        if "appointment_one_per_slot" in str(error):
            raise SlotTaken from error
        if "appointment_one_per_patient_day" in str(error):
            raise ValidationError({"starts_at": [_("The patient already has an appointment "
                                                   "here that day.")]}) from error
        raise


def book_appointment(*, actor: User, service_point: ServicePoint, med_id: str,
                     starts_at: datetime) -> Appointment:
    """Book a slot: patients with their family doctor or where referred, staff for anyone
    in their scope. Two people pressing at once: the database keeps one, the other gets
    SlotTaken."""
    access = card_for(actor, med_id, action=AuditAction.CREATE,
                      object_type=APPOINTMENT_OBJECT, record_success=False)
    _check_may_book(actor, service_point, access.card)
    ends_at = _check_slot(service_point, starts_at, actor=actor)
    day = timezone.localtime(starts_at).date()
    referral = _referral_for_day(actor, selectors.referral_to(access.card, service_point), day)
    with transaction.atomic():
        appointment = Appointment(service_point=service_point, card=access.card,
                                  starts_at=starts_at, ends_at=ends_at, day=day,
                                  booked_by=actor, referral=referral)
        _save_slot(appointment)
        _audit(actor, AuditAction.CREATE, APPOINTMENT_OBJECT, appointment, access.card)
        _emit_appointment(kinds.APPOINTMENT_BOOKED, appointment)
    return appointment


def _check_changeable(actor: User, appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": [_("Only a booked appointment can be changed.")]})
    cutoff = CHANGE_CUTOFF if actor.role == Role.PATIENT else timedelta(0)
    if timezone.now() > appointment.starts_at - cutoff:
        raise ValidationError({"starts_at": [
            _("It is too late to change this appointment online; call the registry.")
            if actor.role == Role.PATIENT else _("This appointment has started.")]})


@transaction.atomic
def cancel_appointment(*, actor: User, appointment_id) -> Appointment:
    appointment = selectors.appointment_for(actor, appointment_id, lock=True,
                                            record_success=False)
    _check_changeable(actor, appointment)
    _cancel(appointment, actor, reason="cancelled")
    return appointment


def _cancel(appointment: Appointment, actor: User, *, reason: str) -> None:
    """Free the slot; the patient hears of it."""
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status", "changed_at"])
    _audit(actor, AuditAction.UPDATE, APPOINTMENT_OBJECT, appointment, appointment.card,
           reason=reason)
    _emit_appointment(kinds.APPOINTMENT_CANCELLED, appointment)


def withdraw_referred_appointments(*, referral, actor: User) -> list[Appointment]:
    """Appointments still waiting on a referral that is declined or cancelled go with it,
    in the same transaction, and each patient hears of it as of any cancellation. An
    appointment already checked in is a patient in the building: it stays."""
    appointments = list(Appointment.objects.select_for_update(of=("self",))
                        .filter(referral=referral, status=AppointmentStatus.BOOKED)
                        .select_related("card", "service_point__facility",
                                        "service_point__practitioner"))
    for appointment in appointments:
        _cancel(appointment, actor, reason="cancelled with its referral")
    return appointments


@transaction.atomic
def move_appointment(*, actor: User, appointment_id, starts_at: datetime) -> Appointment:
    appointment = selectors.appointment_for(actor, appointment_id, lock=True,
                                            record_success=False)
    _check_changeable(actor, appointment)
    appointment.ends_at = _check_slot(appointment.service_point, starts_at, actor=actor)
    appointment.starts_at = starts_at
    appointment.day = timezone.localtime(starts_at).date()
    if appointment.referral_id:
        appointment.referral = _referral_for_day(actor, appointment.referral,
                                                 appointment.day)
    _save_slot(appointment)
    _audit(actor, AuditAction.UPDATE, APPOINTMENT_OBJECT, appointment, appointment.card,
           reason="moved")
    # The patient hears of the new time as of a booking (reminders follow the new time).
    _emit_appointment(kinds.APPOINTMENT_BOOKED, appointment)
    return appointment


@transaction.atomic
def check_in(*, actor: User, appointment_id, priority: int = Priority.NORMAL) -> Ticket:
    """The patient arrived: the appointment becomes a ticket, in line for its time."""
    appointment = selectors.appointment_for(actor, appointment_id, lock=True,
                                            record_success=False)
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": [_("This appointment is not waiting for check-in.")]})
    now = timezone.now()
    if appointment.day != timezone.localdate():
        raise ValidationError({"status": [_("Check in on the day of the appointment.")]})
    if actor.role == Role.PATIENT:
        if now < appointment.starts_at - CHECK_IN_OPENS:
            raise ValidationError({"status": [_("Check-in opens an hour before the "
                                                "appointment.")]})
        priority = _patient_priority(priority)
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.save(update_fields=["status", "changed_at"])
    _audit(actor, AuditAction.UPDATE, APPOINTMENT_OBJECT, appointment, appointment.card,
           reason="checked in")
    return _issue(service_point=appointment.service_point, card=appointment.card,
                  priority=priority, queued_for=appointment.starts_at, actor=actor,
                  appointment=appointment)


def mark_missed_appointments(*, now: datetime | None = None) -> int:
    """Booked appointments not checked in within the grace period become no-shows."""
    now = now or timezone.now()
    with transaction.atomic():
        missed = list(Appointment.objects.select_for_update(skip_locked=True)
                      .filter(status=AppointmentStatus.BOOKED, starts_at__lt=now - NO_SHOW_GRACE)
                      .select_related("card").order_by("starts_at")[:1000])
        for appointment in missed:
            appointment.status = AppointmentStatus.NO_SHOW
            appointment.save(update_fields=["status", "changed_at"])
            _audit(None, AuditAction.UPDATE, APPOINTMENT_OBJECT, appointment,
                   appointment.card, reason="no-show: not checked in")
    return len(missed)


# Reminders go this long before an appointment (the notifications have a text for each).
REMINDER_HOURS = (24, 2)
# A beat run looks back this far, so a missed run or a slow worker loses no reminder.
REMINDER_LOOKBACK = timedelta(minutes=30)


def send_appointment_reminders(*, now: datetime | None = None) -> int:
    """Raise the 24-hour and 2-hour reminders of booked appointments (beat, every minute).

    Picked from the appointments themselves, never scheduled as far-future Celery tasks
    (a Redis visibility timeout would hand those out twice); an appointment entering a
    reminder's horizon gets it once, whatever the number of runs (the event's dedupe
    key), and one booked inside the horizon gets none. A moved appointment is reminded
    of its new time. Returns how many reminders were raised (repeats included).
    """
    now = now or timezone.now()
    raised = 0
    for hours in REMINDER_HOURS:
        ahead = timedelta(hours=hours)
        due = (Appointment.objects
               .filter(status=AppointmentStatus.BOOKED, starts_at__lte=now + ahead,
                       starts_at__gt=now + ahead - REMINDER_LOOKBACK,
                       # booked inside the horizon: the booking message said it all
                       booked_at__lte=F("starts_at") - ahead)
               .select_related("card", "service_point__facility",
                               "service_point__practitioner")
               .order_by("starts_at")[:5000])
        for appointment in due:
            with transaction.atomic():
                _emit_appointment(kinds.APPOINTMENT_REMINDER, appointment,
                                  hours_before=hours)
            raised += 1
    return raised


# --- tickets ---

def _insert_numbered(ticket: Ticket) -> None:
    """Insert the ticket with the next number of its point's day, in one statement: the
    day's counter row is upserted (and stays locked until the transaction ends) in the
    same round trip as the insert, so the lock that orders racing desks is held for this
    statement and the COMMIT only. A failed insert undoes the count with it: no gaps."""
    counter, table = TicketCounter._meta.db_table, Ticket._meta.db_table
    fields = [f for f in Ticket._meta.concrete_fields if f.attname not in ("id", "number")]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(ticket, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH counted AS (INSERT INTO {counter} (service_point_id, day, last_number) "  # noqa: S608 — names from the models
            f"VALUES (%s, %s, 1) ON CONFLICT (service_point_id, day) "
            f"DO UPDATE SET last_number = {counter}.last_number + 1 RETURNING last_number) "
            f"INSERT INTO {table} ({columns}, number) "
            f"SELECT {', '.join(['%s'] * len(fields))}, last_number FROM counted "
            f"RETURNING id, number",
            [ticket.service_point_id, ticket.day, *values])
        ticket.pk, ticket.number = cursor.fetchone()
    ticket._state.adding, ticket._state.db = False, connection.alias


def _patient_priority(priority: int) -> int:
    if priority != Priority.NORMAL:
        raise ValidationError({"priority": [_("Staff at the registry set a priority.")]})
    return priority


def _issue(*, service_point: ServicePoint, card, priority: int, queued_for: datetime,
           actor: User | None, appointment=None, transferred_from=None) -> Ticket:
    ticket = Ticket(service_point=service_point, day=timezone.localdate(),
                    prefix=service_point.ticket_prefix, card=card, appointment=appointment,
                    transferred_from=transferred_from,
                    transferred_from_day=transferred_from.day if transferred_from else None,
                    priority=priority,
                    queued_for=queued_for, issued_by=actor)
    # The audit row first (the ticket's public ID is known before it is saved): the day's
    # counter is locked last, for as short a time as can be.
    _audit(actor, AuditAction.CREATE, TICKET_OBJECT, ticket, card)
    try:
        _insert_numbered(ticket)
    except IntegrityError as error:
        # No savepoint (a round trip while the counter is locked): the error leaves this
        # transaction, which is rolled back with the audit row and the count.
        transaction.set_rollback(True)
        if "ticket_one_open_per_patient" in str(error):
            raise ValidationError({"patient": [_("This patient is already in this queue.")]}
                                  ) from error
        if "ticket_transferred_once" in str(error):
            # Sent on already (queue_ticket_transfer), on whatever day.
            raise _status_refusal(TicketStatus.TRANSFERRED.label) from error
        raise
    return ticket


def _check_open_now(service_point: ServicePoint) -> None:
    closes = closing_time(service_point, timezone.localdate())
    if closes is None or timezone.now() >= closes:
        raise ValidationError({"service_point": [_("This service point is closed now.")]})


def issue_ticket(*, actor: User, service_point: ServicePoint, med_id: str | None = None,
                 priority: int = Priority.NORMAL) -> Ticket:
    """A walk-in ticket: from the registrar for anyone in scope (or nobody named), or from
    a patient at the kiosk page for themselves."""
    card = None
    if med_id and actor.role == Role.REGISTRAR:
        card = card_at_the_desk(actor, med_id)  # the person stands at the desk
    elif med_id:
        card = card_for(actor, med_id, action=AuditAction.CREATE, object_type=TICKET_OBJECT,
                        record_success=False).card
    if actor.role == Role.PATIENT:
        if card is None:
            raise ValidationError({"patient": [_("Choose whose ticket this is.")]})
        priority = _patient_priority(priority)
    else:
        require_staff_at(actor, service_point)
    _check_open_now(service_point)
    with transaction.atomic():
        return _issue(service_point=service_point, card=card, priority=priority,
                      queued_for=timezone.now(), actor=actor)


# Call next in one statement: the head of the point's waiting line, taken with FOR UPDATE
# SKIP LOCKED (a ticket another desk is calling is skipped, never waited for nor handed out
# twice), updated to called by this desk. The partial unique index
# ticket_one_served_per_desk refuses it while this desk serves another ticket.
_CALL_NEXT_SQL = """
    UPDATE {table} SET status = %s, called_at = %s, called_by_id = %s, desk = %s,
                       call_count = call_count + 1
    WHERE day = %s AND id = (SELECT id FROM {table}
                             WHERE service_point_id = %s AND day = %s AND status = %s
                             ORDER BY priority, queued_for, id
                             LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING {columns}
"""


def _take_head_of_line(actor: User, service_point: ServicePoint, today, desk: str):
    table = Ticket._meta.db_table
    fields = Ticket._meta.concrete_fields
    sql = _CALL_NEXT_SQL.format(table=table, columns=", ".join(
        connection.ops.quote_name(f.column) for f in fields))
    with connection.cursor() as cursor:
        # `day` twice: a table partitioned by day is pruned to the day's partition.
        cursor.execute(sql, [TicketStatus.CALLED, timezone.now(), actor.pk, desk[:20], today,
                             service_point.pk, today, TicketStatus.WAITING])
        row = cursor.fetchone()
    if row is None:
        return None
    ticket = Ticket.from_db(connection.alias, [f.attname for f in fields],
                            [f.from_db_value(value, None, connection)
                             if hasattr(f, "from_db_value") else value
                             for f, value in zip(fields, row, strict=True)])
    ticket.service_point, ticket.called_by = service_point, actor
    return ticket


def call_next(*, actor: User, service_point: ServicePoint, desk: str = "") -> Ticket | None:
    """Hand the head of the line to this desk. Many desks pressing at once each get a
    different ticket: the row is taken with FOR UPDATE SKIP LOCKED, so a ticket another
    desk is calling is skipped, never waited for nor handed out twice. One statement takes
    and updates it; the audit row and the outbox event commit with it."""
    require_staff_at(actor, service_point)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            ticket = _take_head_of_line(actor, service_point, today, desk)
            if ticket is None:
                serving = selectors.ticket_being_served(actor, service_point, today)
                if serving is not None:
                    raise _still_serving(serving)
                return None
            _audit(actor, AuditAction.UPDATE, TICKET_OBJECT, ticket,
                   ticket.card if ticket.card_id else None, reason="called")
            _emit_called(ticket)
    except IntegrityError as error:
        if "ticket_one_served_per_desk" not in str(error):
            raise
        # This desk is serving a ticket still (or the same person pressed at two desks at
        # once, and the other press won).
        raise _still_serving(
            selectors.ticket_being_served(actor, service_point, today)) from None
    return ticket


def _still_serving(ticket: Ticket | None) -> ValidationError:
    number = ticket.display_number if ticket else ""
    return ValidationError({"status": [_(
        "You are serving %(number)s: complete it, mark that the patient did not come or "
        "send them on before calling the next.") % {"number": number}]})


def _desk_ticket(actor: User, ticket_id, *allowed: str) -> Ticket:
    ticket = selectors.ticket_for(actor, ticket_id, lock=True, record_success=False)
    if actor.role == Role.PATIENT:
        raise PermissionDenied(_("Only staff of this facility work its queues."))
    if ticket.status not in allowed:
        raise _status_refusal(ticket.get_status_display())
    return ticket


def _status_refusal(status: str) -> ValidationError:
    return ValidationError({"status": [_("This ticket is %(status)s.")
                                       % {"status": str(status).lower()}]})


@transaction.atomic
def recall(*, actor: User, ticket_id) -> Ticket:
    """Call the same ticket again: the board shows it anew."""
    ticket = _desk_ticket(actor, ticket_id, TicketStatus.CALLED)
    ticket.called_at, ticket.call_count = timezone.now(), ticket.call_count + 1
    ticket.save(update_fields=["called_at", "call_count"])
    _audit(actor, AuditAction.UPDATE, TICKET_OBJECT, ticket, ticket.card, reason="recalled")
    _emit_called(ticket)
    return ticket


def _emit_called(ticket: Ticket) -> None:
    """Tell the patient their ticket is called; a ticket nobody's name is on tells no one."""
    if ticket.card_id is None:
        return
    point = ticket.service_point
    where = f"{point.name}, {point.room}" if point.room else point.name
    emit(kinds.TICKET_CALLED, {"med_id": ticket.card.med_id, "ticket": ticket.display_number,
                               "service_point": where, "facility": point.facility.name},
         dedupe_key=f"ticket:{ticket.public_id}:call:{ticket.call_count}")


def _finish(actor: User | None, ticket: Ticket, status: str, reason: str = "") -> Ticket:
    ticket.status, ticket.finished_at = status, timezone.now()
    ticket.save(update_fields=["status", "finished_at"])
    _audit(actor, AuditAction.UPDATE, TICKET_OBJECT, ticket, ticket.card,
           reason=reason or status)
    return ticket


@transaction.atomic
def mark_no_show(*, actor: User, ticket_id) -> Ticket:
    ticket = _desk_ticket(actor, ticket_id, TicketStatus.CALLED)
    if ticket.appointment_id:
        Appointment.objects.filter(pk=ticket.appointment_id).update(
            status=AppointmentStatus.NO_SHOW, changed_at=timezone.now())
    return _finish(actor, ticket, TicketStatus.NO_SHOW)


@transaction.atomic
def complete(*, actor: User, ticket_id) -> Ticket:
    """The patient was seen. At a doctor's room the clinician who completes a named ticket
    gets the visit in the same transaction (`ticket.visit`): their open visit with this
    patient if they have one, otherwise a new one. A nurse or registrar completing there
    opens none, since a visit is the clinician's own record; nor does a ticket without a
    name, nor any other kind of point."""
    ticket = _desk_ticket(actor, ticket_id, TicketStatus.CALLED)
    if (ticket.service_point.kind == ServicePointKind.DOCTOR_ROOM and ticket.card_id
            and actor.role == Role.CLINICIAN):
        ticket.visit = open_visit(actor, ticket.card)
        ticket.save(update_fields=["visit"])
    return _finish(actor, ticket, TicketStatus.COMPLETED)


@transaction.atomic
def transfer(*, actor: User, ticket_id, to: ServicePoint) -> Ticket:
    """Send the patient on to another point of the facility, keeping their place in time."""
    ticket = _desk_ticket(actor, ticket_id, TicketStatus.WAITING, TicketStatus.CALLED)
    if to.pk == ticket.service_point_id or to.facility_id != ticket.service_point.facility_id:
        raise ValidationError({"to": [_("Choose another service point of this facility.")]})
    _finish(actor, ticket, TicketStatus.TRANSFERRED)
    return _issue(service_point=to, card=ticket.card, priority=ticket.priority,
                  queued_for=ticket.queued_for, actor=actor, transferred_from=ticket)


def close_stale_tickets(*, now: datetime | None = None) -> int:
    """Tickets still open after their point closed (or from an earlier day) are closed."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    closed = 0
    with transaction.atomic():
        open_tickets = (Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(status__in=[TicketStatus.WAITING, TicketStatus.CALLED],
                                day__lte=today)
                        .select_related("card", "service_point").order_by("id"))
        closing: dict[int, datetime | None] = {}
        for ticket in open_tickets[:5000]:
            if ticket.day == today:
                point = ticket.service_point
                if point.pk not in closing:
                    closing[point.pk] = closing_time(point, today)
                if closing[point.pk] is not None and now < closing[point.pk]:
                    continue
            _finish(None, ticket, TicketStatus.CLOSED)
            closed += 1
    return closed


def _duplicates(rows, key_of, rank_of) -> list[tuple[object, object]]:
    """(duplicate, kept) pairs: within each group of rows sharing a key, every row but
    the best-ranked one, paired with that one."""
    groups: dict = {}
    for row in sorted(rows, key=rank_of):
        groups.setdefault(key_of(row), []).append(row)
    return [(row, kept) for kept, *others in groups.values() for row in others]


def move_to_merged_card(*, source, target, actor: User) -> None:
    """A card merged into another takes its bookings and tickets along (inside the merge's
    transaction, from the patients.signals.card_merged receiver).

    One person holds one live booking per point and day and waits once in a line
    (appointment_one_per_patient_day, ticket_one_open_per_patient). Where both cards hold
    one, the one further along stays: a checked-in booking, else the earlier one; a called
    ticket, else the one call-next takes first. The other is cancelled or closed as
    merged before the rows move, with the reason in the audit trail. Nobody is told of
    the cancelled duplicate: the person still has the booking that stays.
    """
    reason = _("card %(source)s merged into %(target)s, %(kept)s stays")
    cards = {"source": source.med_id, "target": target.med_id}
    appointments = (Appointment.objects.select_for_update(of=("self",))
                    .filter(card__in=[source, target],
                            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
                    .select_related("card"))
    for duplicate, kept in _duplicates(
            appointments, key_of=lambda a: (a.service_point_id, a.day),
            rank_of=lambda a: (a.status != AppointmentStatus.CHECKED_IN, a.starts_at, a.pk)):
        duplicate.status = AppointmentStatus.CANCELLED
        duplicate.save(update_fields=["status", "changed_at"])
        _audit(actor, AuditAction.UPDATE, APPOINTMENT_OBJECT, duplicate, duplicate.card,
               reason=reason % {**cards, "kept": kept.public_id})
    tickets = (Ticket.objects.select_for_update(of=("self",))
               .filter(OPEN_TICKET, card__in=[source, target]).select_related("card"))
    for duplicate, kept in _duplicates(
            tickets, key_of=lambda t: (t.service_point_id, t.day),
            rank_of=lambda t: (t.status != TicketStatus.CALLED, t.priority, t.queued_for,
                               t.pk)):
        _finish(actor, duplicate, TicketStatus.MERGED,
                reason=reason % {**cards, "kept": kept.display_number})
    Appointment.objects.filter(card=source).update(card=target)
    Ticket.objects.filter(card=source).update(card=target)
