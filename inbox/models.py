"""The clinicians' results inbox: what came back about their patients, until they
acknowledge it, and the record of the critical-value loop.

A notice is one thing that came back (a released lab result, an answer to a referral, a
medicine a pharmacy could not dispense), made from its outbox event; entries put it into
the inboxes of the people it concerns. Acknowledging a notice settles it for everyone it
reached (the department's colleague, the head it escalated to): one person's answer is
what stops the escalation. The critical flag, time and acknowledgement are copied into
each entry, so one inbox is one index range, however many notices its owner has.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dmed.translit import in_language


class NoticeKind(models.TextChoices):
    RESULT = "result", _("Lab result")
    REFERRAL_ANSWER = "referral_answer", _("Answer to a referral")
    NOT_DISPENSED = "not_dispensed", _("Not dispensed")


class FollowUp(models.TextChoices):
    NONE = "none", _("Seen, nothing to do")
    RECALL = "recall", _("Recall the patient")
    REORDER = "reorder", _("Order again")
    PRESCRIBE = "prescribe", _("Write a prescription")


class Reason(models.TextChoices):
    """Why a notice reached a person."""

    ORDERED = "ordered", _("ordered the test")
    DEPARTMENT = "department", _("clinician of the department")
    REFERRED = "referred", _("wrote the referral")
    PRESCRIBED = "prescribed", _("wrote the prescription")
    HEAD = "head", _("head of the department or facility")
    ON_CALL = "on_call", _("on call")


class Notice(models.Model):
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    # The event it was made from: one notice per event, however often it is delivered.
    # No database foreign key: the outbox drops its months after OUTBOX_RETENTION_MONTHS
    # (dmed/partitions.py), and this row outlives its event; a key into a partitioned
    # table would also have to name the event's month.
    event = models.OneToOneField("outbox.Event", verbose_name=_("event"),
                                 on_delete=models.PROTECT, related_name="+",
                                 db_constraint=False)
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    # What it is about, as the event said it: the result's or referral's public ID, or the
    # prescription's code (links and the result page's record are found by it).
    subject = models.CharField(_("subject"), max_length=64)
    med_id = models.CharField(_("MED-ID"), max_length=16)
    patient = models.CharField(_("patient"), max_length=255)
    details = models.JSONField(_("details"), default=dict)
    critical = models.BooleanField(_("critical"), default=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    # Where it was ordered: whose heads and on-call list a critical value escalates to.
    facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("registry.Department", verbose_name=_("department"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                        verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    follow_up = models.CharField(_("follow-up"), max_length=10, choices=FollowUp.choices,
                                 blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    # A critical notice nobody has acknowledged escalates at this time (beat task).
    escalation_round = models.PositiveSmallIntegerField(_("escalation round"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox notice")
        verbose_name_plural = _("inbox notices")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values),
                                   name="notice_kind_known"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="notice_acknowledged_by_someone"),
            models.CheckConstraint(
                condition=Q(next_escalation_at__isnull=True)
                | Q(critical=True, acknowledged_at__isnull=True),
                name="notice_escalates_only_unacknowledged_critical"),
        ]
        indexes = [
            models.Index(fields=["kind", "subject"], name="notice_subject"),
            # The escalation sweep: critical notices still waiting, soonest first.
            models.Index(fields=["next_escalation_at"], name="notice_escalation_due",
                         condition=Q(next_escalation_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"

    @property
    def test_name(self) -> str:
        """A result's test in the reader's language (the event gave it per language)."""
        test = self.details.get("test")
        return in_language(test) if isinstance(test, dict) else str(test or "")


class InboxEntry(models.Model):
    """A notice in one person's inbox."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="entries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    # Copies of the notice's, so the inbox is read from one index (see the module).
    critical = models.BooleanField(_("critical"), default=False)
    occurred_at = models.DateTimeField(_("occurred at"))
    acknowledged = models.BooleanField(_("acknowledged"), default=False)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbox entry")
        verbose_name_plural = _("inbox entries")
        constraints = [
            models.UniqueConstraint(fields=["notice", "recipient"], name="inbox_entry_once"),
            models.CheckConstraint(condition=Q(reason__in=Reason.values),
                                   name="inbox_entry_reason_known"),
        ]
        indexes = [
            # The inbox: one person's unacknowledged entries, critical first, newest first.
            models.Index(fields=["recipient", "-critical", "-occurred_at", "-id"],
                         condition=Q(acknowledged=False), name="inbox_open"),
            models.Index(fields=["recipient", "-occurred_at"], name="inbox_all"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.recipient_id}"


class CriticalAlert(models.Model):
    """One person told about a critical value: on release, or in an escalation round.

    The message itself (channel, time, provider's answer) is the notifications log's
    entry for the alert's event and this person."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="alerts")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"))
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    # No database foreign key: the outbox drops its months after OUTBOX_RETENTION_MONTHS
    # (dmed/partitions.py), and this row outlives its event; a key into a partitioned
    # table would also have to name the event's month.
    event = models.ForeignKey("outbox.Event", verbose_name=_("event"),
                              on_delete=models.PROTECT, related_name="+", db_constraint=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("critical-value alert")
        verbose_name_plural = _("critical-value alerts")
        ordering = ["notice", "round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "round", "recipient"],
                                    name="critical_alert_once_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} round {self.round} → {self.recipient_id}"
