"""Relaying events to consumers and handling deliveries: every outbox write.

The relay (a Celery beat task every second) turns new events into delivery rows and
hands due deliveries to workers, a batch per task message. A worker handles each
delivery with its row locked, so a second copy of the task (the relay handing it out
again, Redis redelivering after a lost worker) finds it locked or done and does nothing.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from dmed.celery import app as celery_app
from outbox.models import Delivery, DeliveryStatus, Event
from outbox.registry import Defer, Failed, consumer_named, consumers_for

log = logging.getLogger(__name__)

# Deliveries per task message: one claim query and one broker round trip serve them all,
# and a consumer with `handle_many` handles their first attempts in one transaction. A
# slow provider holds back at most this many.
DELIVERY_BATCH = 100
# The task that handles a batch (outbox/tasks.py), sent by name: the tasks wrap these
# services, so the services must not import them back.
DELIVER_BATCH_TASK = "outbox.deliver_batch"


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with "equal jitter": the n-th retry waits between half and
    all of base·2ⁿ⁻¹ (capped), so waits grow, yet failing deliveries do not retry in step.
    """
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    ceiling = min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def fan_out(*, batch: int = 500) -> int:
    """Create the deliveries of events not relayed yet; returns how many events.

    One read of the events, each consumer's targets of the whole batch at once
    (`targets_many`: one query where a target is looked up, not one per event), one
    INSERT of every delivery and one UPDATE of the events.
    """
    with transaction.atomic():
        # SKIP LOCKED: two relays running at once share the work instead of waiting.
        events = list(Event.objects.filter(relayed_at__isnull=True).order_by("id")
                      .select_for_update(skip_locked=True)[:batch])
        if not events:
            return 0
        now = timezone.now()
        taken: dict[str, tuple] = {}
        for kind in dict.fromkeys(event.kind for event in events):
            for c in consumers_for(kind):
                taken.setdefault(c.name, (c, []))
        for c, events_of in taken.values():
            events_of.extend(event for event in events if event.kind in c.kinds)
        rows = [Delivery(event=event, event_created_at=event.created_at, consumer=c.name,
                         target=str(target), next_attempt_at=now)
                for c, events_of in taken.values()
                for event, targets in zip(events_of, c.targets_of(events_of), strict=True)
                for target in targets]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(relayed_at=now)
    return len(events)


def dispatch_due(*, batch: int = 500) -> int:
    """Hand due deliveries to workers, DELIVERY_BATCH to a task; returns how many were
    handed out.

    Rows are marked dispatched before the messages go out; if Redis refuses, the marks
    of the batches not sent are taken back so the next tick tries again.
    """
    now = timezone.now()
    redispatch = timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS)
    with transaction.atomic():
        due = list(
            Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch))
            .order_by("next_attempt_at").select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        Delivery.objects.filter(pk__in=due).update(dispatched_at=now)
    for sent in range(0, len(due), DELIVERY_BATCH):
        try:
            # A copy older than the redispatch window is dropped: the relay has sent a
            # newer one by then.
            celery_app.send_task(DELIVER_BATCH_TASK, (due[sent:sent + DELIVERY_BATCH],),
                                 expires=redispatch.total_seconds(), retry=False)
        except OperationalError:
            log.warning("broker unreachable; %d deliveries wait for the next tick",
                        len(due) - sent)
            Delivery.objects.filter(pk__in=due[sent:], dispatched_at=now).update(
                dispatched_at=None)
            return sent
    return len(due)


def relay(*, budget_seconds: float = 0.9, batch: int = 500) -> tuple[int, int]:
    """One beat tick: fan out and dispatch until caught up or the tick's time is spent.

    It goes round again only while it finds full batches (a backlog): events that arrive
    while it works wait for the next tick, so a steady stream goes out as a few full task
    messages a second, not as many small ones whose fixed cost would eat the worker.
    """
    started = timezone.now()
    events = dispatched = 0
    while True:
        fanned = fan_out(batch=batch)
        handed = dispatch_due(batch=batch)
        events += fanned
        dispatched += handed
        if (fanned < batch and handed < batch) or (
                (timezone.now() - started).total_seconds() > budget_seconds):
            return events, dispatched


# Count an attempt on a due delivery no other worker holds, in one statement: run in
# autocommit it commits at once (no BEGIN/COMMIT round trips), and a row another worker has
# locked is skipped, never waited for. Django refuses select_for_update in a subquery
# outside a transaction, hence SQL.
_CLAIM_SQL = """
    UPDATE outbox_delivery SET attempts = attempts + 1
    WHERE id = (SELECT id FROM outbox_delivery
                WHERE id = %s AND status = %s AND next_attempt_at <= %s
                FOR UPDATE SKIP LOCKED)
    RETURNING attempts
"""


def _claim(delivery_id: int) -> bool:
    """Count the attempt before the consumer runs, committed on its own, so an attempt
    that kills the worker still counts, and a delivery that keeps killing workers ends as
    a dead letter instead of being redelivered for ever. False when there is nothing to
    do: done, dead, not due yet, another worker has it, or its attempts are spent."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [delivery_id, DeliveryStatus.PENDING, timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return False
    if row[0] > settings.OUTBOX_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.DEAD, finished_at=timezone.now(),
            last_error="attempts exhausted (the worker was lost while handling it)")
        return False
    return True


def _finish(delivery: Delivery, status: str, *, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, finished_at=timezone.now(), last_error=error or delivery.last_error)


def _failed_attempt(delivery: Delivery, error: str) -> str:
    """Record a failed attempt: retried after a backoff, or a dead letter after the last."""
    if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _finish(delivery, DeliveryStatus.DEAD, error=error)
        log.error("delivery %s dead after %d attempts: %s", delivery.pk, delivery.attempts,
                  error)
        return "dead"
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + retry_delay(delivery.attempts), dispatched_at=None,
        last_error=error)
    return "retry"


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _handle_claimed(delivery_id: int) -> str:
    """Run a claimed delivery's consumer with the delivery row locked.

    The consumer runs in the delivery's own transaction, without a savepoint: Defer and
    Failed keep its writes, which commit with the delivery's new state; any other
    exception rolls everything back, and the failed attempt is then recorded on its own.
    """
    try:
        with transaction.atomic():
            # of=self: deliveries of one event (a message, pharmacies' webhooks) run at once.
            delivery = (Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("event")
                        .filter(pk=delivery_id, status=DeliveryStatus.PENDING).first())
            if delivery is None:  # another copy of the task has it, or finished it
                return "skipped"
            consumer = consumer_named(delivery.consumer)
            if consumer is None:
                _finish(delivery, DeliveryStatus.DEAD,
                        error=f"no consumer {delivery.consumer!r}")
                return "dead"
            try:
                consumer.handle(delivery.event, delivery.target)
            except Defer as wait:
                Delivery.objects.filter(pk=delivery.pk).update(
                    attempts=F("attempts") - 1,  # waiting is not a failed attempt
                    next_attempt_at=wait.until, dispatched_at=None, last_error=wait.reason)
                return "deferred"
            except Failed as failure:
                return _failed_attempt(delivery, _describe(failure))
            _finish(delivery, DeliveryStatus.DONE)
            return "done"
    except Exception as exc:  # noqa: BLE001 — any failure is a failed attempt, writes undone
        with transaction.atomic():
            delivery = (Delivery.objects.select_for_update()
                        .filter(pk=delivery_id, status=DeliveryStatus.PENDING).first())
            return "skipped" if delivery is None else _failed_attempt(delivery, _describe(exc))


# The first attempts of a batch, counted in one autocommitted statement before any
# consumer runs (as _claim does one by one). Only deliveries never tried before: one a
# worker was lost on (or that failed) is claimed on its own when its turn comes, so a
# delivery that kills its worker charges its batch neighbours one attempt at most.
_CLAIM_FIRST_SQL = """
    UPDATE outbox_delivery SET attempts = 1
    WHERE id IN (SELECT id FROM outbox_delivery
                 WHERE id = ANY(%s) AND status = %s AND attempts = 0 AND next_attempt_at <= %s
                 FOR UPDATE SKIP LOCKED)
    RETURNING id, consumer
"""


def _claim_first_attempts(delivery_ids: list[int]) -> dict[int, str]:
    """The deliveries claimed, with their consumers' names."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_FIRST_SQL,
                       [list(delivery_ids), DeliveryStatus.PENDING, timezone.now()])
        return dict(cursor.fetchall())


def _handle_many(consumer, delivery_ids: list[int]) -> dict[int, str]:
    """Claimed first attempts of one consumer with `handle_many`, in one transaction: one
    locking read of the deliveries with their events, the consumer's batch, one UPDATE for
    those done. Raises what `handle_many` raised, with everything undone."""
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        deliveries = list(Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                          .select_related("event")
                          .filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING)
                          .order_by("pk"))
        results = consumer.handle_many([(d.event, d.target) for d in deliveries])
        done = []
        for delivery, result in zip(deliveries, results, strict=True):
            if result is None:
                done.append(delivery.pk)
                outcomes[delivery.pk] = "done"
            elif isinstance(result, Defer):
                Delivery.objects.filter(pk=delivery.pk).update(
                    attempts=F("attempts") - 1, next_attempt_at=result.until,
                    dispatched_at=None, last_error=result.reason)
                outcomes[delivery.pk] = "deferred"
            else:
                outcomes[delivery.pk] = _failed_attempt(delivery, _describe(result))
        if done:
            Delivery.objects.filter(pk__in=done).update(status=DeliveryStatus.DONE,
                                                        finished_at=timezone.now())
    return outcomes


def handle_deliveries(delivery_ids: list[int]) -> dict[int, str]:
    """Run a batch of deliveries' consumers; what became of each (for logs and tests).

    First attempts are claimed together; those of a consumer with `handle_many` run in
    one transaction, the others (and all of them, should `handle_many` raise) each in its
    own, one after the other. A delivery tried before is claimed only when its turn comes,
    so a worker lost mid-batch charges it no attempt it was not given.
    """
    first = _claim_first_attempts(delivery_ids) if delivery_ids else {}
    outcomes: dict[int, str] = {}
    by_consumer: dict[str, list[int]] = {}
    for pk, name in first.items():
        by_consumer.setdefault(name, []).append(pk)
    for name, ids in by_consumer.items():
        consumer = consumer_named(name)
        if consumer is None or consumer.handle_many is None:
            continue
        try:
            outcomes.update(_handle_many(consumer, ids))
        except Exception:  # noqa: BLE001 — undone; each is handled on its own below
            log.exception("a batch of %d %s deliveries failed; handling each on its own",
                          len(ids), name)
    for delivery_id in delivery_ids:
        if delivery_id in outcomes:
            continue
        claimed = delivery_id in first or _claim(delivery_id)
        outcomes[delivery_id] = _handle_claimed(delivery_id) if claimed else "skipped"
    return {delivery_id: outcomes[delivery_id] for delivery_id in delivery_ids}


def handle_delivery(delivery_id: int) -> str:
    """Run one delivery's consumer; returns what became of it."""
    return handle_deliveries([delivery_id])[delivery_id]


def retry_dead_letters(deliveries) -> int:
    """Give dead letters a fresh set of attempts, due now; returns how many."""
    return (Delivery.objects.filter(pk__in=[d.pk for d in deliveries],
                                    status=DeliveryStatus.DEAD)
            .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
                    dispatched_at=None, finished_at=None))
