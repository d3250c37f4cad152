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
    Partitioned by the Tashkent month of `created_at` (migration 0002, dmed/partitions.py):
    the primary key is (id, created_at) in the database, and months past their retention
    are dropped once relayed and delivered.
    """

    # Unique in each month's partition (a partitioned table cannot hold a unique index
    # without its partition key); a repeat across months would take a random collision.
    uuid = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    # Set by the emitter when the same fact could be raised twice (a reminder sweep run
    # again, a retried request): the second emit returns the first event. Unique across
    # the months through EventKey, which a trigger fills in the same INSERT; NULL is "no
    # key" (the trigger skips it), not an empty key.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200,  # noqa: DJ001
                                  null=True, blank=True)
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
            models.Index(fields=["dedupe_key"], name="outbox_event_dedupe_key",
                         condition=Q(dedupe_key__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EventKey(models.Model):
    """An event's deduplication key, unique across the outbox's months.

    Written by a trigger on each event inserted with a key (migration 0002), so a second
    emit with the key fails in its INSERT as before; it references its event by (id,
    created_at), the event's key in the partitioned table, and goes when its month is
    dropped (a key older than the retention may then be used again).
    """

    dedupe_key = models.CharField(_("deduplication key"), max_length=200, primary_key=True)
    # The database's foreign key is (event_id, event_created_at) → (id, created_at).
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    event_created_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("event deduplication key")
        verbose_name_plural = _("event deduplication keys")

    def __str__(self) -> str:
        return self.dedupe_key


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

    # The database's foreign key is (event_id, event_created_at) → the event's (id,
    # created_at); a delivery lives in its event's month's partition (migration 0002).
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT,
                              related_name="deliveries", db_constraint=False)
    event_created_at = models.DateTimeField(_("event created"), editable=False)
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
            # With the event's time, which the foreign key ties to the event: the same
            # rule, in a form the partitioned table can hold.
            models.UniqueConstraint(fields=["event", "consumer", "target", "event_created_at"],
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
