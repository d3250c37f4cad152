"""Demo queues at the demo polyclinic: service points, schedules, holidays, and a day in
progress (tickets waiting and called at the registry and the laboratory, the doctor's
morning done, appointments ahead). Safe to run again."""

from datetime import date, time, timedelta

from django.db.models import Max
from django.utils import timezone

from queues.models import (
    Appointment,
    Closure,
    ClosureReason,
    Priority,
    ScheduleBreak,
    ServicePoint,
    ServicePointKind,
    Ticket,
    TicketCounter,
    TicketStatus,
    WorkingHours,
)
from queues.selectors import slots

SCHEDULE_FROM = date(2024, 1, 1)
POINTS = [
    # prefix, kind, name, room, slot minutes, practitioner
    ("A", ServicePointKind.DOCTOR_ROOM, "Oilaviy shifokor", "214", 15, "doctor"),
    ("L", ServicePointKind.LABORATORY, "Qon topshirish xonasi", "105", 10, None),
    ("R", ServicePointKind.REGISTRATION, "Registratura", "1", 10, None),
    ("D", ServicePointKind.PHARMACY_WINDOW, "Dorixona oynasi", "3", 10, None),
]
HOLIDAYS = [((3, 21), (3, 22), "Navro‘z"), ((9, 1), (9, 1), "Mustaqillik kuni"),
            ((1, 1), (1, 1), "Yangi yil")]


def _schedule(point: ServicePoint, slot_minutes: int) -> None:
    for weekday in range(6):  # Monday to Saturday; Saturday until one o'clock
        closes = time(13, 0) if weekday == 5 else time(17, 0)
        hours, _ = WorkingHours.objects.update_or_create(
            service_point=point, weekday=weekday, valid_from=SCHEDULE_FROM,
            defaults={"opens_at": time(8, 0), "closes_at": closes, "slot_minutes": slot_minutes})
        if weekday < 5:
            ScheduleBreak.objects.get_or_create(working_hours=hours, starts_at=time(12, 0),
                                                ends_at=time(13, 0))


def _holidays(polyclinic) -> None:
    year = timezone.localdate().year
    for first, last, note in HOLIDAYS:
        Closure.objects.get_or_create(facility=polyclinic, first_day=date(year, *first),
                                      last_day=date(year, *last),
                                      defaults={"reason": ClosureReason.HOLIDAY, "note": note})


def _ticket(point, number, card, priority, status, issued, called=None, minutes=None):
    finished = called + timedelta(minutes=minutes) if minutes else None
    return Ticket(service_point=point, day=timezone.localdate(), number=number,
                  prefix=point.ticket_prefix, card=card, priority=priority, status=status,
                  issued_at=issued, queued_for=issued, called_at=called, finished_at=finished,
                  call_count=1 if called else 0, desk=point.room if called else "")


def _day_in_progress(points: dict, cards: list) -> None:
    """Today's tickets, once a day: the registry and laboratory busy, the doctor's morning
    done (which gives the estimated wait its recent service times)."""
    today = timezone.localdate()
    if Ticket.objects.filter(service_point__in=points.values(), day=today).exists():
        return
    now = timezone.now()
    people = iter(cards[1:])  # the demo patient's own card stays free for them to use
    rows = []
    for prefix in ("R", "L"):
        point = points[prefix]
        rows += [_ticket(point, n, next(people), Priority.NORMAL, TicketStatus.COMPLETED,
                         now - timedelta(minutes=70 - 8 * n), now - timedelta(minutes=60 - 8 * n),
                         minutes=6) for n in (1, 2, 3)]
        rows.append(_ticket(point, 4, next(people), Priority.NORMAL, TicketStatus.CALLED,
                            now - timedelta(minutes=20), now - timedelta(minutes=2)))
        for n, priority in zip(range(5, 10), [Priority.ELDERLY, Priority.NORMAL,
                                              Priority.PREGNANT, Priority.NORMAL,
                                              Priority.VETERAN], strict=True):
            rows.append(_ticket(point, n, next(people), priority, TicketStatus.WAITING,
                                now - timedelta(minutes=18 - 2 * n)))
        rows.append(_ticket(point, 10, None, Priority.NORMAL, TicketStatus.WAITING,
                            now - timedelta(minutes=1)))
    doctor = points["A"]
    rows += [_ticket(doctor, n, next(people), Priority.NORMAL, TicketStatus.COMPLETED,
                     now - timedelta(minutes=200 - 25 * n), now - timedelta(minutes=190 - 25 * n),
                     minutes=12) for n in (1, 2, 3)]
    Ticket.objects.bulk_create(rows)
    for point in points.values():
        last = Ticket.objects.filter(service_point=point, day=today).aggregate(
            last=Max("number"))["last"] or 0
        TicketCounter.objects.update_or_create(service_point=point, day=today,
                                               defaults={"last_number": last})


def _appointments(room: ServicePoint, cards: list, registrar) -> None:
    """A few bookings tomorrow with the family doctor (the demo patient books their own)."""
    day = timezone.localdate() + timedelta(days=1)
    free = [slot for slot in slots(room, day) if slot.free]
    for slot, card in zip(free[::3], cards[20:26], strict=False):
        if Appointment.objects.filter(card=card, service_point=room, day=day).exists():
            continue
        Appointment.objects.create(service_point=room, card=card, starts_at=slot.starts_at,
                                   ends_at=slot.ends_at, day=day, booked_by=registrar)


def seed(world: dict) -> None:
    polyclinic = world["facilities"]["TSH-CHL-P12"]
    users = world["users"]
    points = {}
    for prefix, kind, name, room, slot_minutes, practitioner in POINTS:
        points[prefix], _ = ServicePoint.objects.update_or_create(
            facility=polyclinic, ticket_prefix=prefix,
            defaults={"kind": kind, "name": name, "room": room,
                      "practitioner": users[practitioner] if practitioner else None})
        _schedule(points[prefix], slot_minutes)
    _holidays(polyclinic)
    _day_in_progress(points, world["cards"])
    _appointments(points["A"], world["cards"], users["registrar"])
    world["service_points"] = points

