"""Who hears about what, how: channel choices, Telegram links, and the delivery log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


# Tried in this order: the first chosen channel that is linked and answers gets the message.
FALLBACK_ORDER = [Channel.TELEGRAM, Channel.SMS, Channel.EMAIL]


class Preference(models.Model):
    """The channels a person chose, and the Telegram chat they linked."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    telegram = models.BooleanField("Telegram", default=True)
    sms = models.BooleanField(_("SMS"), default=True)
    email = models.BooleanField(_("e-mail"), default=True)
    telegram_chat_id = models.BigIntegerField(_("Telegram chat"), null=True, blank=True,
                                              unique=True)
    telegram_linked_at = models.DateTimeField(_("Telegram linked"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def chose(self, channel: str) -> bool:
        return getattr(self, channel)


class TelegramLinkCode(models.Model):
    """A one-time code a person sends to the bot to link their chat; short-lived."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Telegram link code")
        verbose_name_plural = _("Telegram link codes")
        indexes = [models.Index(fields=["user", "-created_at"], name="tg_code_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    UNDELIVERABLE = "undeliverable", _("no channel")


class Message(models.Model):
    """One notification to one person about one event: the delivery log.

    Unique per (event, recipient): however often the event is handled, a person gets one
    message. Its UUID is derived from the two, so a message re-sent after a lost worker
    carries the same ID and a gateway that de-duplicates by it delivers it once.
    """

    uuid = models.UUIDField(_("message ID"), unique=True, editable=False)
    # No database foreign key: the outbox drops its months after OUTBOX_RETENTION_MONTHS
    # (dmed/partitions.py), and this row outlives its event; a key into a partitioned
    # table would also have to name the event's month.
    event = models.ForeignKey("outbox.Event", verbose_name=_("event"),
                              on_delete=models.PROTECT, related_name="+", db_constraint=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)
    language = models.CharField(_("language"), max_length=10)
    urgent = models.BooleanField(_("urgent"), default=False)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=15, choices=MessageStatus.choices,
                              default=MessageStatus.QUEUED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_answer = models.TextField(_("provider answer"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="message_once"),
            models.CheckConstraint(condition=Q(status__in=MessageStatus.values),
                                   name="message_status_known"),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False, channel__gt="")
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="message_sent_has_time_and_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="message_recipient"),
            # The rate limit's question: what was sent to this person in the last hour.
            models.Index(fields=["recipient", "sent_at"], name="message_recent_sent",
                         condition=Q(status="sent")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.status})"
