"""Reads of the outbox for operators: lag and open deliveries per consumer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from outbox.models import Delivery, DeliveryStatus, Event


def outbox_lag() -> timedelta:
    """How far the outbox is behind: the age of the oldest event not relayed yet, or the
    time the most overdue delivery has been waiting past its due time (a delivery waiting
    for its backoff on purpose is not lag)."""
    now = timezone.now()
    oldest_event = (Event.objects.filter(relayed_at__isnull=True)
                    .aggregate(oldest=Min("created_at"))["oldest"])
    most_overdue = (Delivery.objects.filter(status=DeliveryStatus.PENDING,
                                            next_attempt_at__lte=now)
                    .aggregate(oldest=Min("next_attempt_at"))["oldest"])
    behind = [now - moment for moment in (oldest_event, most_overdue) if moment]
    return max(behind, default=timedelta(0))


@dataclass(frozen=True)
class ConsumerCounts:
    consumer: str
    pending: int
    failing: int
    dead: int


def open_deliveries_by_consumer() -> list[ConsumerCounts]:
    """Pending (of which failing: retried at least once) and dead deliveries per consumer.
    Reads the partial index of open rows only, however much history is done."""
    rows = (Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DEAD])
            .values("consumer")
            .annotate(pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
                      failing=Count("pk", filter=Q(status=DeliveryStatus.PENDING,
                                                   attempts__gt=0)),
                      dead=Count("pk", filter=Q(status=DeliveryStatus.DEAD)))
            .order_by("consumer"))
    return [ConsumerCounts(**row) for row in rows]
