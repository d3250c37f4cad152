"""Every notifications write: sending one event's message to one person, channel
choices, and linking a Telegram chat."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dmed.models import User
from notifications.models import Message, MessageStatus, Preference, TelegramLinkCode
from notifications.providers import provider_for
from notifications.selectors import (
    message_recipients,
    preference_of,
    reachable_channels,
    sent_within,
)
from notifications.texts import PATIENT, render, template_for
from outbox.http import ProviderError
from outbox.registry import Defer, Failed

LINK_CODE_LIFETIME = timedelta(minutes=15)
RATE_WINDOW = timedelta(hours=1)


def quiet_hours_end(now: datetime) -> datetime | None:
    """When quiet hours (NOTIFY_QUIET_HOURS, local time) end, if `now` is inside them."""
    starts, ends = settings.NOTIFY_QUIET_HOURS
    local = timezone.localtime(now)
    if ends <= local.hour < starts:
        return None
    # From midnight, so that hours ending at 24 (quiet all day) wake the next midnight.
    wake = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=ends)
    return wake if wake > local else wake + timedelta(days=1)


def notify(*, event, recipient_id: int, audience: str = PATIENT) -> Message:
    """Send an event's message to one person (the outbox consumer's work).

    The first chosen, linked channel that accepts it wins (Telegram → SMS → e-mail).
    Raises Defer in quiet hours or over the rate limit (non-urgent messages only), and
    Failed when every channel failed, which the outbox retries with backoff. `audience`
    picks the text: the patient's, or that of the staff receiving a referral.

    Runs under the delivery's row lock, the only delivery of this event and person, so the
    message is written once, when its outcome is known (the unique constraint stands
    behind that); a send whose write is lost with a worker goes again with the same ID.
    """
    outcome = notify_many([(event, recipient_id, audience)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def notify_many(items: list[tuple]) -> list[Message | Defer | Failed]:
    """`notify` for many (event, recipient id, audience) at once, in the caller's
    transaction: what each would have returned or raised, in order.

    The same rules, one after the other as `notify` would apply them (a message sent
    earlier in the batch counts towards its person's rate limit; a person named twice for
    one event is sent one message), with a handful of queries for the whole batch: the
    recipients with their choices, the messages already written, the recent sends, and
    one INSERT of the new messages.
    """
    now = timezone.now()
    recipients = message_recipients({recipient_id for _event, recipient_id, _a in items})
    written = {(message.event_id, message.recipient_id): message for message in
               Message.objects.filter(event_id__in={event.pk for event, _r, _a in items},
                                      recipient_id__in=recipients.keys())}
    quiet_until = quiet_hours_end(now)
    recent = (sent_within(recipients.keys(), now - RATE_WINDOW) if quiet_until is None
              else {})
    new: dict[tuple[int, int], Message] = {}
    changed: dict[tuple[int, int], Message] = {}
    outcomes: list[Message | Defer | Failed] = []
    for event, recipient_id, audience in items:
        recipient = recipients[recipient_id]
        key = (event.pk, recipient_id)
        message = written.get(key)
        if message is None:
            template = template_for(event.kind, event.payload, audience)
            message = Message(event=event, recipient=recipient,
                              uuid=uuid.uuid5(event.uuid, str(recipient.pk)), kind=event.kind,
                              language=recipient.language, urgent=template.urgent,
                              text=render(event.kind, event.payload, recipient.language,
                                          audience))
            written[key] = new[key] = message
        elif message.status in (MessageStatus.SENT, MessageStatus.UNDELIVERABLE):
            outcomes.append(message)  # handled before: never twice to the same person
            continue
        elif key not in new:
            changed[key] = message
        outcome = _send(message, recipient, now, quiet_until, recent)
        outcomes.append(message if outcome is None else outcome)
    Message.objects.bulk_create(new.values())
    for message in changed.values():
        message.save()
    return outcomes


def _rate_limited_until(recipient_id: int, recent: dict) -> datetime | None:
    sent, oldest = recent.get(recipient_id, (0, None))
    if sent < settings.NOTIFY_RATE_LIMIT_PER_HOUR:
        return None
    return oldest + RATE_WINDOW


def _send(message: Message, recipient: User, now: datetime, quiet_until: datetime | None,
          recent: dict) -> Defer | Failed | None:
    """Try the person's channels for one message (saved by the caller); the Defer or
    Failed that `notify` raises, or None."""
    if not message.urgent:
        wait_until = quiet_until or _rate_limited_until(recipient.pk, recent)
        if wait_until:
            return Defer(wait_until, "quiet hours or rate limit")  # the log shows it queued

    chain = reachable_channels(recipient, preference_of(recipient))
    if not chain:
        message.status = MessageStatus.UNDELIVERABLE
        message.provider_answer = "no chosen channel is linked"
        return None

    message.attempts += 1
    answers = []
    for channel, address in chain:
        provider = provider_for(channel)
        if provider is None:
            answers.append(f"{channel}: not configured")
            continue
        try:
            answer = provider.send(address, message.text, message_id=str(message.uuid))
        except ProviderError as exc:
            answers.append(f"{channel}: {exc}")
            continue
        answers.append(f"{channel}: {answer}")
        message.status, message.channel, message.sent_at = MessageStatus.SENT, channel, now
        sent, oldest = recent.get(recipient.pk, (0, now))
        recent[recipient.pk] = (sent + 1, min(oldest, now))
        break
    else:
        message.status = MessageStatus.FAILED
    message.provider_answer = "; ".join(answers)[:4000]
    if message.status == MessageStatus.FAILED:
        return Failed(message.provider_answer)
    return None


@transaction.atomic
def choose_channels(*, user: User, telegram: bool, sms: bool, email: bool) -> Preference:
    preference, _created = Preference.objects.select_for_update().get_or_create(user=user)
    preference.telegram, preference.sms, preference.email = telegram, sms, email
    preference.save(update_fields=["telegram", "sms", "email"])
    return preference


@transaction.atomic
def issue_telegram_link_code(*, user: User) -> TelegramLinkCode:
    """A fresh one-time code for the bot; earlier unused codes of the person stop working."""
    now = timezone.now()
    TelegramLinkCode.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    return TelegramLinkCode.objects.create(
        user=user, code=secrets.token_hex(4).upper(), expires_at=now + LINK_CODE_LIFETIME)


@transaction.atomic
def link_telegram_chat(*, code: str, chat_id: int) -> User | None:
    """Link the chat that sent a valid code; None when the code is unknown or spent."""
    now = timezone.now()
    link = (TelegramLinkCode.objects.select_for_update().select_related("user")
            .filter(code=code.strip().upper(), used_at__isnull=True, expires_at__gt=now)
            .first())
    if link is None:
        return None
    link.used_at = now
    link.save(update_fields=["used_at"])
    # A chat belongs to one account: linking it here unlinks it elsewhere.
    Preference.objects.filter(telegram_chat_id=chat_id).exclude(user=link.user).update(
        telegram_chat_id=None, telegram_linked_at=None)
    preference, _created = Preference.objects.select_for_update().get_or_create(
        user=link.user)
    preference.telegram_chat_id, preference.telegram_linked_at = chat_id, now
    preference.save(update_fields=["telegram_chat_id", "telegram_linked_at"])
    return link.user


@transaction.atomic
def unlink_telegram(*, user: User) -> None:
    Preference.objects.filter(user=user).update(telegram_chat_id=None, telegram_linked_at=None)
