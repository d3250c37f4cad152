from datetime import timedelta

import pytest
from django.utils import timezone

from outbox import services
from outbox.events import emit
from outbox.kinds import LAB_RESULT_RELEASED, PRESCRIPTION_ISSUED
from outbox.models import DeadLetter, Delivery, DeliveryStatus, Event


@pytest.mark.django_db
def test_fan_out_makes_one_delivery_per_consumer_and_target_once(recording_consumer):
    issued = emit(PRESCRIPTION_ISSUED, {"recipients": ["7", "8"]})
    emit(LAB_RESULT_RELEASED, {"med_id": "1000000001"})  # no test consumer takes it

    assert services.fan_out() == 2
    assert services.fan_out() == 0
    rows = Delivery.objects.filter(consumer="test-recorder")
    assert sorted(rows.values_list("event", "target")) == [(issued.pk, "7"), (issued.pk, "8")]
    assert not Event.objects.filter(relayed_at__isnull=True).exists()


@pytest.mark.django_db
def test_fan_out_of_an_event_again_adds_nothing(recording_consumer):
    event = emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    Event.objects.filter(pk=event.pk).update(relayed_at=None)  # as if the relay crashed
    services.fan_out()
    assert Delivery.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_a_delivery_handled_twice_changes_nothing_the_second_time(recording_consumer):
    emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    delivery = Delivery.objects.get()

    assert services.handle_delivery(delivery.pk) == "done"
    assert services.handle_delivery(delivery.pk) == "skipped"
    assert recording_consumer.handled == [(delivery.event_id, "")]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DONE and delivery.attempts == 1


def test_retry_delays_grow_with_jitter(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    for attempt in range(1, 9):
        samples = [services.retry_delay(attempt).total_seconds() for _ in range(200)]
        ceiling = min(3600, 10 * 2 ** (attempt - 1))
        assert ceiling / 2 <= min(samples) and max(samples) <= ceiling
        assert len(set(samples)) > 100  # jittered, not one fixed wait
    assert services.retry_delay(30).total_seconds() <= 3600


def _make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_failures_retry_later_then_dead_letter_then_a_manual_retry_succeeds(
        recording_consumer, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    recording_consumer.failures = 3
    emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    delivery = Delivery.objects.get()

    waits = []
    for _attempt in range(2):
        before = timezone.now()
        assert services.handle_delivery(delivery.pk) == "retry"
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - before)
        assert services.handle_delivery(delivery.pk) == "skipped"  # not due yet
        _make_due(delivery)
    assert waits[1] > waits[0] > timedelta(0)

    assert services.handle_delivery(delivery.pk) == "dead"
    assert list(DeadLetter.objects.filter(status="dead")) == [delivery]
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and "provider answered 500" in delivery.last_error
    assert services.handle_delivery(delivery.pk) == "skipped"

    assert services.retry_dead_letters([delivery]) == 1
    assert services.handle_delivery(delivery.pk) == "done"
    assert recording_consumer.handled == [(delivery.event_id, "")]


@pytest.mark.django_db
def test_a_deferral_waits_without_spending_an_attempt(recording_consumer):
    morning = timezone.now() + timedelta(hours=3)
    recording_consumer.defer_until = morning
    emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    delivery = Delivery.objects.get()

    assert services.handle_delivery(delivery.pk) == "deferred"
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.next_attempt_at == morning
    assert delivery.status == DeliveryStatus.PENDING and recording_consumer.handled == []


@pytest.mark.django_db
def test_a_delivery_that_keeps_killing_its_worker_ends_dead(recording_consumer, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    delivery = Delivery.objects.get()
    # Claims that never finished: the worker died while handling it, twice.
    Delivery.objects.filter(pk=delivery.pk).update(attempts=2)

    assert services.handle_delivery(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD and "worker was lost" in delivery.last_error
    assert recording_consumer.handled == []


@pytest.mark.django_db
def test_an_event_for_a_consumer_that_no_longer_exists_is_a_dead_letter(recording_consumer):
    emit(PRESCRIPTION_ISSUED, {})
    services.fan_out()
    Delivery.objects.update(consumer="retired-consumer")
    assert services.handle_delivery(Delivery.objects.get().pk) == "dead"
