"""Slots follow from weekly hours, breaks and closures, and the database keeps schedules
unambiguous."""

import datetime
from datetime import time

import pytest
from django.db import IntegrityError

from queues.models import Closure, ClosureReason, WorkingHours
from queues.schedules import slots_on
from tests.queues.factories import ServicePointFactory, weekly_hours

MONDAY = datetime.date(2030, 1, 7)


def _times(slots):
    return [(s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M")) for s in slots]


@pytest.fixture
def point(db):
    point = ServicePointFactory()
    weekly_hours(point, opens=time(8, 0), closes=time(12, 0), slot_minutes=40,
                 breaks=[(time(9, 30), time(10, 0))], weekdays=range(5))
    return point


def test_slots_run_whole_inside_the_hours_and_resume_after_a_break(point):
    # 08:00-08:40 fits; 08:40-09:20 fits; 09:20-10:00 would run into the break, so the
    # next slot starts when the break ends; 11:20-12:00 fits exactly at closing.
    assert _times(slots_on(point, MONDAY)) == [
        ("08:00", "08:40"), ("08:40", "09:20"), ("10:00", "10:40"), ("10:40", "11:20"),
        ("11:20", "12:00")]
    first = slots_on(point, MONDAY)[0].starts_at
    assert str(first.tzinfo) == "Asia/Tashkent"


def test_no_slots_on_a_day_without_hours(point):
    assert slots_on(point, MONDAY + datetime.timedelta(days=5)) == []  # Saturday


def test_a_facility_holiday_and_a_points_leave_close_the_day(point):
    Closure.objects.create(facility=point.facility, first_day=MONDAY, last_day=MONDAY,
                           reason=ClosureReason.HOLIDAY, note="Navro‘z")
    Closure.objects.create(service_point=point, first_day=MONDAY + datetime.timedelta(days=2),
                           last_day=MONDAY + datetime.timedelta(days=3),
                           reason=ClosureReason.LEAVE)
    assert slots_on(point, MONDAY) == []
    assert len(slots_on(point, MONDAY + datetime.timedelta(days=1))) == 5
    assert slots_on(point, MONDAY + datetime.timedelta(days=2)) == []
    assert slots_on(point, MONDAY + datetime.timedelta(days=3)) == []
    # Another facility's holiday changes nothing here.
    Closure.objects.create(facility=ServicePointFactory().facility, first_day=MONDAY
                           + datetime.timedelta(days=4), last_day=MONDAY
                           + datetime.timedelta(days=4), reason=ClosureReason.HOLIDAY)
    assert len(slots_on(point, MONDAY + datetime.timedelta(days=4))) == 5


def test_new_hours_from_a_date_replace_the_old_ones(point):
    WorkingHours.objects.filter(service_point=point, weekday=0).update(
        valid_to=MONDAY - datetime.timedelta(days=1))
    WorkingHours.objects.create(service_point=point, weekday=0, opens_at=time(14, 0),
                                closes_at=time(15, 0), slot_minutes=30, valid_from=MONDAY)
    assert _times(slots_on(point, MONDAY)) == [("14:00", "14:30"), ("14:30", "15:00")]
    assert _times(slots_on(point, MONDAY - datetime.timedelta(days=7)))[0] == ("08:00", "08:40")


def test_the_database_refuses_overlapping_hours_for_one_weekday(point):
    with pytest.raises(IntegrityError, match="hours_no_overlapping_periods"):
        WorkingHours.objects.create(service_point=point, weekday=0, opens_at=time(14, 0),
                                    closes_at=time(15, 0), valid_from=MONDAY)


def test_the_database_refuses_a_closure_of_nothing(point):
    with pytest.raises(IntegrityError, match="closure_one_subject"):
        Closure.objects.create(first_day=MONDAY, last_day=MONDAY, reason=ClosureReason.OTHER)


def test_the_database_refuses_a_doctors_room_without_a_doctor(db):
    with pytest.raises(IntegrityError, match="service_point_room_has_practitioner"):
        ServicePointFactory(kind="doctor_room")
