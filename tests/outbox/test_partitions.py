"""The outbox partitioned by the event's month (outbox 0002): deliveries in their event's
month, the deduplication key across months, and retention that drops only finished months."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dmed.partitions import maintain_partitions, month_partitions
from outbox import services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery, DeliveryStatus, Event, EventKey

TASHKENT = ZoneInfo("Asia/Tashkent")


def partition_of(model, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {model._meta.db_table} "  # noqa: S608
                       "WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def event_at(moment, **fields):
    return Event.objects.create(kind=PRESCRIPTION_ISSUED, payload={"recipients": ["a", "b"]},
                                created_at=moment, **fields)


@pytest.mark.django_db
def test_deliveries_live_in_their_events_month_and_reference_it(recording_consumer):
    maintain_partitions(today=date(2031, 1, 31))
    late_january = event_at(datetime(2031, 1, 31, 23, 59, tzinfo=TASHKENT))
    february = event_at(datetime(2031, 2, 1, 0, 1, tzinfo=TASHKENT))
    services.fan_out()
    assert partition_of(Event, late_january.pk) == "outbox_event_203101"
    assert partition_of(Event, february.pk) == "outbox_event_203102"
    for delivery in Delivery.objects.filter(event__in=[late_january, february]):
        assert delivery.event_created_at == delivery.event.created_at
        month = delivery.event.created_at.astimezone(TASHKENT).strftime("%Y%m")
        assert partition_of(Delivery, delivery.pk) == f"outbox_delivery_{month}"
    # The foreign key holds the event's time to the event's.
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=february, event_created_at=late_january.created_at,
                                consumer="test-recorder", target="c")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Once per (event, consumer, target), as before.
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(event=february, event_created_at=february.created_at,
                                consumer="test-recorder", target="a")


@pytest.mark.django_db
def test_a_deduplication_key_holds_across_months():
    maintain_partitions(today=date(2031, 1, 10))
    first = event_at(datetime(2031, 1, 10, 12, tzinfo=TASHKENT), dedupe_key="reminder:42")
    # Emitted now, months later, in another partition: the first event stands.
    again = emit(PRESCRIPTION_ISSUED, {"n": 2}, dedupe_key="reminder:42")
    assert again.pk == first.pk
    assert Event.objects.filter(dedupe_key="reminder:42").count() == 1
    key = EventKey.objects.get(dedupe_key="reminder:42")
    assert (key.event_id, key.event_created_at) == (first.pk, first.created_at)


@pytest.mark.django_db
def test_retention_drops_finished_months_only_and_their_keys(recording_consumer, settings):
    settings.PARTITION_RETENTION_MONTHS = {"outbox_delivery": 3, "outbox_event": 3}
    maintain_partitions(today=date(2031, 1, 10))
    done = event_at(datetime(2031, 1, 5, tzinfo=TASHKENT), dedupe_key="done:1")
    waiting = event_at(datetime(2031, 2, 5, tzinfo=TASHKENT))
    services.fan_out()
    Delivery.objects.filter(event=done).update(status=DeliveryStatus.DONE,
                                               finished_at=timezone.now())
    kept = event_at(datetime(2031, 3, 5, tzinfo=TASHKENT))  # not relayed yet

    # In June, January to March are past a three-month retention (March to May kept).
    report = maintain_partitions(today=date(2031, 6, 10))
    assert {"outbox_delivery_203101", "outbox_event_203101"} <= set(report.dropped)
    assert not Event.objects.filter(pk=done.pk).exists()
    assert not EventKey.objects.filter(dedupe_key="done:1").exists()
    # February's deliveries are pending: the month stays, deliveries and events.
    assert "outbox_delivery_203102" not in report.dropped
    assert "outbox_event_203102" not in report.dropped
    assert Delivery.objects.filter(event=waiting).count() == 2
    # March is inside the retention anyway (and its event not relayed).
    assert Event.objects.filter(pk=kept.pk).exists()
    months = month_partitions("outbox_event")
    assert date(2031, 1, 1) not in months and date(2031, 2, 1) in months
    # The audit trail's months are never dropped.
    assert date(2031, 1, 1) in month_partitions("dmed_auditevent")
