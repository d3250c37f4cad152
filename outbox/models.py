"""The transactional outbox: events written with the change they describe, and their
deliveries, one row per (event, consumer, target) — the row that makes handling an
event twice impossible. PostgreSQL holds the truth; Redis only carries task messages.
"""

import uuid

from django.contrib.postgres.indexes import BrinIndex
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """Something that happened, recorded in the same transaction as the change.

    The primary key grows with time and serves as the pull cursor for integrators.
    """

    uuid = models.UUIDField(_("event ID"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    # Set by the emitter when the same fact could be raised twice (a reminder sweep run
    # again, a retried request): the second emit returns the first event.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True,
                                  blank=True, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    relayed_at = models.DateTimeField(_("relayed"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # The relay's only question, "what is not relayed yet", reads this tiny index.
            models.Index(fields=["id"], name="outbox_event_unrelayed",
                         condition=Q(relayed_at__isnull=True)),
            models.Index(fields=["kind", "id"], name="outbox_event_kind"),
            BrinIndex(fields=["created_at"], name="outbox_event_time_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("done")
    DEAD = "dead", _("dead letter")


class Delivery(models.Model):
    """One consumer's handling of one event for one target (a recipient, a pharmacy).

    Unique per (event, consumer, target): the relay may run twice and a task may arrive
    twice, but there is one row, and once it is done it is never handled again.
    Retries are scheduled here (`next_attempt_at`), never as long Celery countdowns, so
    a Redis visibility timeout cannot hand the same task out twice.
    """

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT,
                              related_name="deliveries")
    consumer = models.CharField(_("consumer"), max_length=64)
    target = models.CharField(_("target"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When the relay last handed it to Celery: not handed again before the task had its
    # chance (OUTBOX_REDISPATCH_SECONDS), which covers a task message lost with Redis.
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "consumer", "target"],
                                    name="outbox_delivery_once"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values),
                                   name="outbox_delivery_status_known"),
            models.CheckConstraint(
                condition=Q(status="pending", finished_at__isnull=True)
                | (~Q(status="pending") & Q(finished_at__isnull=False)),
                name="outbox_delivery_finished_when_not_pending",
            ),
        ]
        indexes = [
            # What is due: pending rows only, so finished history does not slow the relay.
            models.Index(fields=["next_attempt_at"], name="outbox_delivery_due",
                         condition=Q(status="pending")),
            # Counts per consumer for the admin and the dead-letter list.
            models.Index(fields=["consumer", "status"], name="outbox_delivery_open",
                         condition=Q(status__in=["pending", "dead"])),
        ]

    def __str__(self) -> str:
        return f"{self.consumer}:{self.target or '-'} ← {self.event_id}"


class DeadLetter(Delivery):
    """The deliveries that failed their last attempt: the admin's dead-letter list."""

    class Meta:
        proxy = True
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
