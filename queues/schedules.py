"""Slots follow from a service point's weekly hours, breaks and closures.

Slots are computed when asked for, never stored: a schedule change shows at once and no
beat task has to keep rows in step. What keeps a slot to one appointment is the unique
constraint on the booked (service point, start) in queues.models.Appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, Q
from django.utils import timezone

from queues.models import Closure, ServicePoint, WorkingHours


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    free: bool = True


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def hours_on(service_point: ServicePoint, day: date) -> WorkingHours | None:
    """The hours the point keeps on that day, or None when it is closed."""
    closed = Closure.objects.filter(
        Q(service_point=service_point) | Q(facility_id=service_point.facility_id),
        first_day__lte=day, last_day__gte=day,
    ).exists()
    if closed:
        return None
    return (WorkingHours.objects.filter(service_point=service_point, weekday=day.weekday(),
                                        valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .prefetch_related("breaks").first())


def slots_on(service_point: ServicePoint, day: date,
             taken: frozenset[datetime] = frozenset()) -> list[Slot]:
    """Every slot of the day in order; a slot runs whole inside the hours, outside breaks."""
    hours = hours_on(service_point, day)
    if hours is None:
        return []
    length = timedelta(minutes=hours.slot_minutes)
    pauses = sorted((_at(day, b.starts_at), _at(day, b.ends_at)) for b in hours.breaks.all())
    closes = _at(day, hours.closes_at)
    slots, start = [], _at(day, hours.opens_at)
    while start + length <= closes:
        end = start + length
        pause = next(((s, e) for s, e in pauses if start < e and s < end), None)
        if pause:
            start = pause[1]  # the first slot after a break starts when the break ends
            continue
        slots.append(Slot(start, end, free=start not in taken))
        start = end
    return slots


def closing_time(service_point: ServicePoint, day: date) -> datetime | None:
    """When the point closes that day, or None when it does not open: one query (what
    `hours_on` reads, without the breaks), since every ticket issued asks it."""
    closed = Closure.objects.filter(
        Q(service_point=service_point) | Q(facility_id=service_point.facility_id),
        first_day__lte=day, last_day__gte=day,
    )
    closes_at = (WorkingHours.objects.filter(service_point=service_point,
                                             weekday=day.weekday(), valid_from__lte=day)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
                 .exclude(Exists(closed)).values_list("closes_at", flat=True).first())
    return _at(day, closes_at) if closes_at is not None else None
