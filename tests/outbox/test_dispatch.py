"""The relay hands due deliveries to Celery through a Redis of the test's own."""

import base64
import json

import pytest
import redis

from outbox import services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery


def _messages(url) -> list[list[int]]:
    """The task messages waiting in Redis, each as the delivery ids it hands out."""
    batches = []
    for raw in redis.Redis.from_url(url).lrange("celery", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "outbox.deliver_batch"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        batches.append(args[0])
    return batches


def _queued(url) -> list[int]:
    return sorted(pk for batch in _messages(url) for pk in batch)


@pytest.mark.django_db
def test_due_deliveries_are_handed_out_once_per_redispatch_window(
        recording_consumer, celery_on_own_broker):
    _process, url = celery_on_own_broker
    for n in range(3):
        emit(PRESCRIPTION_ISSUED, {"n": n})

    assert services.relay() == (3, 3)
    handed_out = sorted(Delivery.objects.values_list("pk", flat=True))
    assert _queued(url) == handed_out
    assert services.relay() == (0, 0)  # handed out already: the workers have their chance
    assert _queued(url) == handed_out
    assert Delivery.objects.filter(dispatched_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_deliveries_go_out_in_batches_each_once(recording_consumer, celery_on_own_broker):
    _process, url = celery_on_own_broker
    count = 2 * services.DELIVERY_BATCH + 5
    for n in range(count):
        emit(PRESCRIPTION_ISSUED, {"n": n})

    assert services.relay() == (count, count)
    assert sorted(len(batch) for batch in _messages(url)) == [
        5, services.DELIVERY_BATCH, services.DELIVERY_BATCH]
    assert _queued(url) == sorted(Delivery.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_with_redis_down_deliveries_wait_for_the_next_tick(
        recording_consumer, celery_on_own_broker):
    process, _url = celery_on_own_broker
    emit(PRESCRIPTION_ISSUED, {})
    process.kill()
    process.wait()

    assert services.relay() == (1, 0)
    assert Delivery.objects.get().dispatched_at is None
