"""The relay hands due deliveries to Celery through a Redis of the test's own."""

import pytest
import redis

from outbox import services
from outbox.events import emit
from outbox.kinds import PRESCRIPTION_ISSUED
from outbox.models import Delivery


def _queued(url) -> int:
    return redis.Redis.from_url(url).llen("celery")


@pytest.mark.django_db
def test_due_deliveries_are_handed_out_once_per_redispatch_window(
        recording_consumer, celery_on_own_broker):
    _process, url = celery_on_own_broker
    for n in range(3):
        emit(PRESCRIPTION_ISSUED, {"n": n})

    assert services.relay() == (3, 3)
    assert _queued(url) == 3
    assert services.relay() == (0, 0)  # handed out already: the workers have their chance
    assert _queued(url) == 3
    assert Delivery.objects.filter(dispatched_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_with_redis_down_deliveries_wait_for_the_next_tick(
        recording_consumer, celery_on_own_broker):
    process, _url = celery_on_own_broker
    emit(PRESCRIPTION_ISSUED, {})
    process.kill()
    process.wait()

    assert services.relay() == (1, 0)
    assert Delivery.objects.get().dispatched_at is None
