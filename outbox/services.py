"""Relaying events to consumers and handling one delivery: every outbox write.

The relay (a Celery beat task every second) turns new events into delivery rows and
hands due deliveries to workers. A worker handles a delivery with its row locked, so a
second copy of the task (the relay handing it out again, Redis redelivering after a
lost worker) finds it locked or done and does nothing.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox.models import Delivery, DeliveryStatus, Event
from outbox.registry import Defer, Failed, consumer_named, consumers_for

log = logging.getLogger(__name__)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with "equal jitter": the n-th retry waits between half and
    all of base·2ⁿ⁻¹ (capped), so waits grow, yet failing deliveries do not retry in step.
    """
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    ceiling = min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def fan_out(*, batch: int = 500) -> int:
    """Create the deliveries of events not relayed yet; returns how many events."""
    with transaction.atomic():
        # SKIP LOCKED: two relays running at once share the work instead of waiting.
        events = list(Event.objects.filter(relayed_at__isnull=True).order_by("id")
                      .select_for_update(skip_locked=True)[:batch])
        if not events:
            return 0
        now = timezone.now()
        rows = [Delivery(event=event, consumer=c.name, target=str(target), next_attempt_at=now)
                for event in events
                for c in consumers_for(event.kind)
                for target in c.targets(event)]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(relayed_at=now)
    return len(events)


def dispatch_due(*, batch: int = 500) -> int:
    """Hand due deliveries to workers; returns how many were handed out.

    Rows are marked dispatched before the messages go out; if Redis refuses, the marks
    are taken back so the next tick tries again.
    """
    from outbox.tasks import deliver

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
    for sent, delivery_id in enumerate(due):
        try:
            # A copy older than the redispatch window is dropped: the relay has sent a
            # newer one by then.
            deliver.apply_async((delivery_id,), expires=redispatch.total_seconds(),
                                retry=False)
        except OperationalError:
            log.warning("broker unreachable; %d deliveries wait for the next tick",
                        len(due) - sent)
            Delivery.objects.filter(pk__in=due[sent:], dispatched_at=now).update(
                dispatched_at=None)
            return sent
    return len(due)


def relay(*, budget_seconds: float = 0.9) -> tuple[int, int]:
    """One beat tick: fan out and dispatch until caught up or the tick's time is spent."""
    started = timezone.now()
    events = dispatched = 0
    while True:
        fanned = fan_out()
        handed = dispatch_due()
        events += fanned
        dispatched += handed
        if not (fanned or handed) or (timezone.now() - started).total_seconds() > budget_seconds:
            return events, dispatched


def _claim(delivery_id: int) -> Delivery | None:
    """Count the attempt in its own committed transaction, so an attempt that kills the
    worker still counts, and a delivery that keeps killing workers ends as a dead letter
    instead of being redelivered for ever."""
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True)
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING,
                            next_attempt_at__lte=timezone.now()).first())
        if delivery is None:  # done, dead, not due yet, or another worker has it
            return None
        delivery.attempts += 1
        if delivery.attempts > settings.OUTBOX_MAX_ATTEMPTS:
            _finish(delivery, DeliveryStatus.DEAD,
                    error="attempts exhausted (the worker was lost while handling it)")
            return None
        delivery.save(update_fields=["attempts"])
        return delivery


def _finish(delivery: Delivery, status: str, *, error: str = "") -> None:
    delivery.status = status
    delivery.finished_at = timezone.now()
    delivery.last_error = error or delivery.last_error
    delivery.save(update_fields=["status", "finished_at", "last_error", "attempts"])


def handle_delivery(delivery_id: int) -> str:
    """Run one delivery's consumer; returns what became of it (for logs and tests)."""
    if _claim(delivery_id) is None:
        return "skipped"
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True)
                    .select_related("event")
                    .filter(pk=delivery_id, status=DeliveryStatus.PENDING).first())
        if delivery is None:
            return "skipped"
        consumer = consumer_named(delivery.consumer)
        if consumer is None:
            _finish(delivery, DeliveryStatus.DEAD, error=f"no consumer {delivery.consumer!r}")
            return "dead"
        outcome = None
        try:
            with transaction.atomic():  # the consumer's writes are undone if it fails
                try:
                    consumer.handle(delivery.event, delivery.target)
                except (Defer, Failed) as recorded:  # ends the savepoint, writes kept
                    outcome = recorded
        except Exception as exc:  # noqa: BLE001 — any failure is a failed attempt
            outcome = exc
        if isinstance(outcome, Defer):
            delivery.attempts -= 1  # waiting is not a failed attempt
            delivery.next_attempt_at = outcome.until
            delivery.dispatched_at = None
            delivery.last_error = outcome.reason
            delivery.save(update_fields=["attempts", "next_attempt_at", "dispatched_at",
                                         "last_error"])
            return "deferred"
        if outcome is not None:
            error = f"{type(outcome).__name__}: {outcome}"[:2000]
            if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                _finish(delivery, DeliveryStatus.DEAD, error=error)
                log.error("delivery %s dead after %d attempts: %s", delivery.pk,
                          delivery.attempts, error)
                return "dead"
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
            delivery.dispatched_at = None
            delivery.last_error = error
            delivery.save(update_fields=["next_attempt_at", "dispatched_at", "last_error"])
            return "retry"
        _finish(delivery, DeliveryStatus.DONE)
        return "done"


def retry_dead_letters(deliveries) -> int:
    """Give dead letters a fresh set of attempts, due now; returns how many."""
    return (Delivery.objects.filter(pk__in=[d.pk for d in deliveries],
                                    status=DeliveryStatus.DEAD)
            .update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
                    dispatched_at=None, finished_at=None))
