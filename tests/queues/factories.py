import datetime
from datetime import time

import factory
from factory.django import DjangoModelFactory

from queues.models import ScheduleBreak, ServicePoint, ServicePointKind, WorkingHours
from tests.factories import FacilityFactory

ALL_DAY = (time(0, 0), time(23, 59, 59))


class ServicePointFactory(DjangoModelFactory):
    class Meta:
        model = ServicePoint

    facility = factory.SubFactory(FacilityFactory)
    kind = ServicePointKind.REGISTRATION
    name = factory.Sequence(lambda n: f"Oyna {n}")
    room = factory.Sequence(lambda n: f"{100 + n}")
    ticket_prefix = factory.Sequence(
        lambda n: chr(ord("A") + n % 26) + chr(ord("A") + n // 26 % 26))


def weekly_hours(service_point, opens=ALL_DAY[0], closes=ALL_DAY[1], slot_minutes=15,
                 breaks=(), valid_from=datetime.date(2024, 1, 1), weekdays=range(7)):
    """The same hours every weekday (by default all day, so tests pass at any hour)."""
    rows = []
    for weekday in weekdays:
        hours = WorkingHours.objects.create(service_point=service_point, weekday=weekday,
                                            opens_at=opens, closes_at=closes,
                                            slot_minutes=slot_minutes, valid_from=valid_from)
        for starts_at, ends_at in breaks:
            ScheduleBreak.objects.create(working_hours=hours, starts_at=starts_at,
                                         ends_at=ends_at)
        rows.append(hours)
    return rows
