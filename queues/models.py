"""Service points, their weekly schedules, appointments and queue tickets.

What must never happen is refused by PostgreSQL itself, not only by Python: two
appointments in one slot, two tickets with one number at a service point on one day,
overlapping schedules, a called ticket without a call time.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import DateRangeFunc

TICKET_PREFIX_PATTERN = r"^[A-Z]{1,2}$"


class ServicePointKind(models.TextChoices):
    DOCTOR_ROOM = "doctor_room", _("Doctor's room")
    LABORATORY = "laboratory", _("Laboratory")
    REGISTRATION = "registration", _("Registration desk")
    PHARMACY_WINDOW = "pharmacy_window", _("Pharmacy window")


class ServicePoint(models.Model):
    """Where people queue: a doctor's room (tied to its practitioner), the laboratory,
    the registration desk or the pharmacy window of a facility."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"),
                                 on_delete=models.PROTECT, related_name="service_points")
    kind = models.CharField(_("kind"), max_length=20, choices=ServicePointKind.choices)
    name = models.CharField(_("name"), max_length=120)
    room = models.CharField(_("room"), max_length=20, blank=True,
                            help_text=_("Shown on the board: where a called patient goes."))
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("practitioner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="service_points",
        help_text=_("The doctor who receives in this room; only for a doctor's room."))
    ticket_prefix = models.CharField(
        _("ticket prefix"), max_length=2,
        validators=[RegexValidator(TICKET_PREFIX_PATTERN, _("One or two capital letters."))],
        help_text=_("Tickets read A-017: the prefix, then the number of the day."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["facility", "ticket_prefix"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ServicePointKind.values),
                                   name="service_point_kind_known"),
            # A doctor's room receives one practitioner's patients; other points nobody's.
            models.CheckConstraint(
                condition=Q(kind=ServicePointKind.DOCTOR_ROOM, practitioner__isnull=False)
                | (~Q(kind=ServicePointKind.DOCTOR_ROOM) & Q(practitioner__isnull=True)),
                name="service_point_room_has_practitioner"),
            models.CheckConstraint(condition=Q(ticket_prefix__regex=TICKET_PREFIX_PATTERN),
                                   name="service_point_prefix_format"),
            # Two points of one facility never print the same-looking ticket.
            models.UniqueConstraint(fields=["facility", "ticket_prefix"],
                                    name="service_point_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_prefix} · {self.name}"


class WorkingHours(models.Model):
    """One weekday of a service point's weekly schedule, for a period of validity.

    A practitioner's schedule is the schedule of their room. Slots follow from these
    rows, their breaks and the closures; they are computed, not stored (queues.schedules).
    """

    service_point = models.ForeignKey(ServicePoint, verbose_name=_("service point"),
                                      on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)],
        help_text=_("0 is Monday, 6 is Sunday."))
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240)])
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["service_point", "weekday", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_range"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")),
                                   name="hours_close_after_open"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                                   name="hours_slot_length_range"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="hours_period_ordered"),
            # One set of hours per weekday at any date: slots are never ambiguous.
            ExclusionConstraint(
                name="hours_no_overlapping_periods",
                expressions=[
                    ("service_point", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                    (DateRangeFunc("valid_from", "valid_to", models.Value("[]")),
                     RangeOperators.OVERLAPS),
                ]),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.weekday} {self.opens_at}–{self.closes_at}"


class ScheduleBreak(models.Model):
    """A pause within working hours (lunch, paperwork): no slots start or run into it."""

    working_hours = models.ForeignKey(WorkingHours, on_delete=models.CASCADE,
                                      related_name="breaks")
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("break")
        verbose_name_plural = _("breaks")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="break_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at}–{self.ends_at}"


class ClosureReason(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    LEAVE = "leave", _("Leave")
    OTHER = "other", _("Other")


class Closure(models.Model):
    """Days without slots: a holiday for a whole facility, or one point's leave."""

    facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    service_point = models.ForeignKey(ServicePoint, verbose_name=_("service point"),
                                      null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="closures")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=10, choices=ClosureReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")),
                                   name="closure_period_ordered"),
            models.CheckConstraint(
                condition=Q(facility__isnull=True, service_point__isnull=False)
                | Q(facility__isnull=False, service_point__isnull=True),
                name="closure_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.first_day}–{self.last_day}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("Did not come")
    CANCELLED = "cancelled", _("Cancelled")


# A cancelled appointment gives its slot back; every other one keeps it.
HOLDS_SLOT = ~Q(status=AppointmentStatus.CANCELLED)


class Appointment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service_point = models.ForeignKey(ServicePoint, verbose_name=_("service point"),
                                      on_delete=models.PROTECT, related_name="appointments")
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("patient"),
                             on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    day = models.DateField(_("day"), help_text=_("The local date of the start."))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"),
                                  on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField(_("booked at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    # A booking outside the patient's own family doctor rests on a referral; it is
    # withdrawn when the referral is declined or cancelled.
    referral = models.ForeignKey("clinics.Referral", verbose_name=_("referral"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        constraints = [
            # What a checked-in ticket's key references, with the day its table is
            # partitioned by.
            models.UniqueConstraint(fields=["id", "day"], name="appointment_id_day"),
            # The rule "a slot holds one appointment", kept by PostgreSQL even when two
            # people press at the same moment.
            models.UniqueConstraint(fields=["service_point", "starts_at"], condition=HOLDS_SLOT,
                                    name="appointment_one_per_slot"),
            # Nobody hoards a doctor's day: one live appointment per point and day.
            models.UniqueConstraint(
                fields=["card", "service_point", "day"],
                condition=Q(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN]),
                name="appointment_one_per_patient_day"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="appointment_ends_after_start"),
            models.CheckConstraint(condition=Q(status__in=AppointmentStatus.values),
                                   name="appointment_status_known"),
        ]
        indexes = [
            models.Index(fields=["card", "starts_at"], name="appointment_card_time"),
            # The no-show sweep reads only appointments still waiting for their patient.
            models.Index(fields=["starts_at"], name="appointment_booked_time",
                         condition=Q(status=AppointmentStatus.BOOKED)),
            models.Index(fields=["service_point", "day"], name="appointment_point_day"),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Priority(models.IntegerChoices):
    """Who goes first: the lower the value, the earlier the call."""

    EMERGENCY = 0, _("Emergency")
    PREGNANT = 1, _("Pregnant")
    DISABLED = 2, _("Disabled")
    ELDERLY = 3, _("Elderly")
    VETERAN = 4, _("Veteran")
    NORMAL = 9, _("Normal")

    @property
    def code(self) -> str:
        return self.name.lower()


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("Did not come")
    TRANSFERRED = "transferred", _("Transferred")
    CLOSED = "closed", _("Closed at closing time")
    MERGED = "merged", _("Merged into the patient's other ticket")


OPEN_TICKET = Q(status__in=[TicketStatus.WAITING, TicketStatus.CALLED])


class Ticket(models.Model):
    """A place in a service point's queue for one day: a walk-in or a checked-in booking.

    The table is partitioned by the month of `day` (migration 0007, dmed.partitions): the
    database's primary key is (id, day), the UUID is unique in each month, and the two links
    between tickets and to the appointment name the day too (see their fields).
    """

    # Unique in each month's partition (a random UUID: unique everywhere in practice).
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    service_point = models.ForeignKey(ServicePoint, verbose_name=_("service point"),
                                      on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    number = models.PositiveIntegerField(_("number"))
    # Copied when issued: a printed ticket keeps reading A-017 if the prefix changes.
    prefix = models.CharField(_("prefix"), max_length=2)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("patient"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="tickets")
    # The database's key is (appointment_id, day) → the appointment's (id, day): a booking
    # is checked in on its day, and one ticket per appointment is unique with the day.
    appointment = models.OneToOneField(Appointment, verbose_name=_("appointment"), null=True,
                                       blank=True, on_delete=models.PROTECT,
                                       related_name="ticket", db_constraint=False)
    # The database's key is (transferred_from_id, transferred_from_day) → (id, day): a
    # ticket left open overnight may be sent on the next day, into another month.
    transferred_from = models.OneToOneField("self", null=True, blank=True,
                                            on_delete=models.PROTECT,
                                            related_name="transferred_to", db_constraint=False)
    transferred_from_day = models.DateField(null=True, blank=True, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=TicketStatus.choices,
                              default=TicketStatus.WAITING)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    # The order within a priority: the appointment's time, or the arrival of a walk-in.
    queued_for = models.DateTimeField(_("in line since"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    desk = models.CharField(_("desk"), max_length=20, blank=True)
    call_count = models.PositiveSmallIntegerField(_("calls"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    visit = models.ForeignKey("clinics.Visit", verbose_name=_("visit"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("The visit that completing the ticket opened."))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["day", "service_point", "number"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "day", "number"],
                                    name="ticket_number_unique_per_day"),
            models.CheckConstraint(condition=Q(number__gt=0), name="ticket_number_positive"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values),
                                   name="ticket_priority_known"),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values),
                                   name="ticket_status_known"),
            models.CheckConstraint(
                condition=Q(called_at__isnull=False)
                | ~Q(status__in=[TicketStatus.CALLED, TicketStatus.COMPLETED,
                                 TicketStatus.NO_SHOW]),
                name="ticket_called_has_time"),
            # One place in a queue per person: a second press does not jump the line.
            models.UniqueConstraint(fields=["card", "service_point", "day"],
                                    condition=OPEN_TICKET & Q(card__isnull=False),
                                    name="ticket_one_open_per_patient"),
            # A desk serves one patient at a time: whoever calls must finish, mark "did
            # not come" or send on the ticket before calling the next.
            models.UniqueConstraint(fields=["service_point", "day", "called_by"],
                                    condition=Q(status=TicketStatus.CALLED),
                                    name="ticket_one_served_per_desk"),
            # The month is in every unique rule of a partitioned table. A booking's ticket
            # is on its day (the key into the appointment), so this is one per appointment.
            models.UniqueConstraint(fields=["appointment", "day"],
                                    name="ticket_one_per_appointment"),
            models.CheckConstraint(
                condition=Q(transferred_from__isnull=True, transferred_from_day__isnull=True)
                | Q(transferred_from__isnull=False, transferred_from_day__lte=F("day")),
                name="ticket_transferred_from_day"),
        ]
        indexes = [
            # A ticket's one successor (`transferred_to`); sent on once is held across the
            # months by TicketTransfer.
            models.Index(fields=["transferred_from"], name="ticket_transfer_source"),
            # Call next: the head of one point's waiting line, read with SKIP LOCKED.
            models.Index(fields=["service_point", "priority", "queued_for", "id"],
                         name="ticket_waiting_line",
                         condition=Q(status=TicketStatus.WAITING)),
            models.Index(fields=["service_point", "day", "status"], name="ticket_point_day"),
            models.Index(fields=["card", "day"], name="ticket_card_day"),
            # Recent service times, for the estimated wait.
            models.Index(fields=["service_point", "-finished_at"], name="ticket_recent_done",
                         condition=Q(status=TicketStatus.COMPLETED)),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.prefix}-{self.number:03d}"

    @property
    def priority_code(self) -> str:
        return Priority(self.priority).code


class TicketTransfer(models.Model):
    """A ticket sent on, once across every month of tickets.

    Written by triggers on the tickets (migration 0008): inserting a ticket sent on from
    one already sent on fails in its INSERT on this table's key, `ticket_transferred_once`,
    as the unique column of the single table did; a ticket deleted or pointed elsewhere
    takes its row along (no foreign key into the tickets: see the migration).
    """

    transferred_from = models.OneToOneField(Ticket, primary_key=True, on_delete=models.DO_NOTHING,
                                            db_constraint=False, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, db_constraint=False,
                               db_index=False, related_name="+")
    day = models.DateField(editable=False)

    class Meta:
        db_table = "queue_ticket_transfer"
        verbose_name = _("ticket sent on")
        verbose_name_plural = _("tickets sent on")

    def __str__(self) -> str:
        return f"{self.transferred_from_id} → {self.ticket_id}"


class TicketCounter(models.Model):
    """The last number issued at a service point on a day.

    Issuing upserts this row (INSERT … ON CONFLICT DO UPDATE … RETURNING), which locks
    it until the ticket's transaction ends: numbers come out one by one, without gaps
    from a rolled-back issue, and the unique ticket number constraint backs it up.
    """

    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE,
                                      related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [
            models.UniqueConstraint(fields=["service_point", "day"], name="counter_point_day"),
        ]

    def __str__(self) -> str:
        return f"{self.service_point_id} {self.day}: {self.last_number}"
