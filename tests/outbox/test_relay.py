from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outbox import registry, services
from outbox.events import emit
from outbox.kinds import LAB_RESULT_RELEASED, PRESCRIPTION_CANCELLED, PRESCRIPTION_ISSUED
from outbox.models import DeadLetter, Delivery, DeliveryStatus, Event
from outbox.registry import Failed
from tests.outbox.conftest import RecordingConsumer, real_queries


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


@pytest.mark.django_db
def test_a_batch_handles_each_delivery_on_its_own(recording_consumer):
    for n in range(3):
        emit(PRESCRIPTION_ISSUED, {"recipients": [str(n)]})
    services.fan_out()
    first, second, third = Delivery.objects.order_by("target")
    recording_consumer.failures = 1  # the first one handled fails

    outcomes = services.handle_deliveries([first.pk, second.pk, third.pk])
    assert outcomes == {first.pk: "retry", second.pk: "done", third.pk: "done"}
    assert recording_consumer.handled == [(second.event_id, "1"), (third.event_id, "2")]
    assert list(Delivery.objects.order_by("target").values_list("attempts", flat=True)) == [
        1, 1, 1]


@pytest.mark.django_db
def test_the_outbox_spends_two_queries_on_a_delivery_and_one_on_the_batch(recording_consumer):
    for n in range(20):
        emit(PRESCRIPTION_ISSUED, {"recipients": [str(n)]})
    services.fan_out()
    ids = list(Delivery.objects.values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as captured:
        assert set(services.handle_deliveries(ids).values()) == {"done"}
    # Per batch: the claim of the first attempts (one autocommitted UPDATE). Per delivery:
    # the row lock with its event, the final status. The consumer's own queries come on top
    # (none for this one).
    assert len(real_queries(captured)) == 1 + 2 * len(ids)


class WritingConsumer:
    """Writes an event (any row would do), then fails as told."""

    def __init__(self):
        self.error = None

    def __call__(self, event, target):
        emit(LAB_RESULT_RELEASED, {"written_by": event.pk})
        if self.error is not None:
            raise self.error


@pytest.fixture
def writing_consumer():
    handle = WritingConsumer()
    registry.consumer("test-writer", kinds=[PRESCRIPTION_CANCELLED])(handle)
    yield handle
    registry.unregister("test-writer")


@pytest.mark.django_db
@pytest.mark.parametrize(("error", "kept"), [
    (ConnectionError("provider answered 500"), False),  # undone with the attempt
    (Failed("every channel failed"), True),  # the consumer's record of the attempt stays
    (None, True),
])
def test_a_consumers_writes_commit_with_its_outcome(writing_consumer, error, kept):
    writing_consumer.error = error
    event = emit(PRESCRIPTION_CANCELLED, {})
    services.fan_out()
    delivery = Delivery.objects.get(event=event)

    assert services.handle_delivery(delivery.pk) == ("done" if error is None else "retry")
    written = Event.objects.filter(kind=LAB_RESULT_RELEASED, payload__written_by=event.pk)
    assert written.exists() is kept
    delivery.refresh_from_db()
    assert delivery.attempts == 1


class BatchConsumer(RecordingConsumer):
    """A consumer with `handle_many`: records each batch it was given; outcomes as told
    by `results` (target → Defer or Failed), or raises `batch_error`."""

    def __init__(self):
        super().__init__()
        self.batches = []
        self.results = {}
        self.batch_error = None

    def handle_many(self, items):
        if self.batch_error is not None:
            raise self.batch_error
        self.batches.append([target for _event, target in items])
        outcomes = []
        for event, target in items:
            outcome = self.results.get(target)
            if outcome is None:
                self.handled.append((event.pk, target))
            outcomes.append(outcome)
        return outcomes


@pytest.fixture
def batch_consumer():
    handle = BatchConsumer()
    registry.consumer("test-batch", kinds=[PRESCRIPTION_ISSUED],
                      targets=lambda event: event.payload.get("recipients", [""]),
                      handle_many=handle.handle_many)(handle)
    yield handle
    registry.unregister("test-batch")


def _fanned(count: int) -> list[int]:
    for n in range(count):
        emit(PRESCRIPTION_ISSUED, {"recipients": [str(n)]})
    services.fan_out()
    return list(Delivery.objects.filter(consumer="test-batch").order_by("pk")
                .values_list("pk", flat=True))


@pytest.mark.django_db
def test_first_attempts_of_a_batch_consumer_go_together_in_a_few_queries(batch_consumer):
    ids = _fanned(30)
    with CaptureQueriesContext(connection) as captured:
        outcomes = services.handle_deliveries(ids)
    assert set(outcomes.values()) == {"done"}
    assert batch_consumer.batches == [[str(n) for n in range(30)]]
    # The claim, the locking read of the deliveries with their events, one UPDATE of those
    # done: however many there are.
    assert len(real_queries(captured)) == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {("done", 1)}
    assert services.handle_deliveries(ids) == dict.fromkeys(ids, "skipped")


@pytest.mark.django_db
def test_a_batch_keeps_each_deliverys_own_outcome(batch_consumer, settings):
    morning = timezone.now() + timedelta(hours=3)
    batch_consumer.results = {"1": registry.Defer(morning, "quiet hours"),
                              "2": Failed("every channel failed")}
    settings.OUTBOX_MAX_ATTEMPTS = 3
    first, deferred, failed = _fanned(3)

    assert services.handle_deliveries([first, deferred, failed]) == {
        first: "done", deferred: "deferred", failed: "retry"}
    rows = {d.pk: d for d in Delivery.objects.all()}
    assert rows[deferred].attempts == 0 and rows[deferred].next_attempt_at == morning
    assert rows[failed].attempts == 1 and "every channel failed" in rows[failed].last_error
    assert rows[failed].status == DeliveryStatus.PENDING
    assert rows[failed].next_attempt_at > timezone.now()


@pytest.mark.django_db
def test_when_a_batch_raises_each_delivery_is_handled_on_its_own(batch_consumer):
    ids = _fanned(3)
    batch_consumer.batch_error = RuntimeError("a bug in the batch")
    batch_consumer.failures = 1  # handled one by one, the first one fails

    assert services.handle_deliveries(ids) == {ids[0]: "retry", ids[1]: "done",
                                               ids[2]: "done"}
    assert batch_consumer.handled == [(d.event_id, d.target) for d in
                                      Delivery.objects.filter(pk__in=ids[1:]).order_by("pk")]
    # The attempt that the batch spent is the one each was then handled with.
    assert list(Delivery.objects.order_by("pk").values_list("attempts", flat=True)) == [
        1, 1, 1]


@pytest.mark.django_db
def test_a_delivery_tried_before_is_claimed_on_its_own_not_with_the_batch(batch_consumer):
    ids = _fanned(3)
    # As if a worker had been lost while handling the second: its attempt was counted.
    Delivery.objects.filter(pk=ids[1]).update(attempts=1)

    assert set(services.handle_deliveries(ids).values()) == {"done"}
    assert batch_consumer.batches == [["0", "2"]]
    assert batch_consumer.handled[-1][1] == "1"  # by `handle`, after the batch
    assert list(Delivery.objects.order_by("pk").values_list("attempts", flat=True)) == [
        1, 2, 1]
