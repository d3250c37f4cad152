"""Reads for notifications: who an event reaches, and a person's own settings and log."""

from __future__ import annotations

from django.db.models import Count, F, Min, Q

from dmed.models import User
from dmed.worklists import Worklist, worklist
from notifications.models import FALLBACK_ORDER, Message, MessageStatus, Preference


def recipients_of(payload: dict) -> list[int]:
    """The accounts an event about a card reaches: the patient's own, when they have one."""
    med_id = payload.get("med_id")
    if not med_id:
        return []
    return list(User.objects.filter(patient_card__med_id=med_id, is_active=True)
                .values_list("pk", flat=True))


def recipients_by_med_id(med_ids) -> dict[str, list[int]]:
    """`recipients_of` for many cards in one query: the active accounts of each MED-ID."""
    found: dict[str, list[int]] = {}
    for med_id, pk in (User.objects.filter(patient_card__med_id__in=list(med_ids),
                                           is_active=True)
                       .values_list("patient_card__med_id", "pk")):
        found.setdefault(med_id, []).append(pk)
    return found


def message_recipient(user_id: int) -> User:
    """A person to send to, with their channel choices and their card's phone, in one
    query (what `preference_of` and `reachable_channels` would otherwise each read)."""
    return message_recipients([user_id])[user_id]


def message_recipients(user_ids) -> dict[int, User]:
    """`message_recipient` for many people in one query, by id; raises User.DoesNotExist
    when one of them has no account."""
    found = {user.pk: user for user in User.objects.select_related("notification_preference")
             .annotate(card_phone=F("patient_card__phone")).filter(pk__in=list(user_ids))}
    missing = set(user_ids) - found.keys()
    if missing:
        raise User.DoesNotExist(f"no account {sorted(missing)}")
    return found


def sent_within(user_ids, since) -> dict[int, tuple[int, object]]:
    """Messages sent to each person since a moment: (how many, the oldest's time)."""
    return {row["recipient_id"]: (row["sent"], row["oldest"]) for row in
            Message.objects.filter(recipient_id__in=list(user_ids), status=MessageStatus.SENT,
                                   sent_at__gt=since)
            .values("recipient_id").annotate(sent=Count("pk"), oldest=Min("sent_at"))
            .order_by()}


def preference_of(user: User) -> Preference:
    """A person's channels; everything chosen until they say otherwise (not saved)."""
    try:
        return user.notification_preference  # loaded with the user by message_recipient()
    except Preference.DoesNotExist:
        return Preference(user=user)


def reachable_channels(user: User, preference: Preference) -> list[tuple[str, str]]:
    """(channel, address) in fallback order: chosen and linked ones only."""
    addresses = {
        "telegram": str(preference.telegram_chat_id or ""),
        "sms": user.phone or _card_phone(user),
        "email": user.email,
    }
    return [(channel, addresses[channel]) for channel in FALLBACK_ORDER
            if preference.chose(channel) and addresses[channel]]


def _card_phone(user: User) -> str:
    if hasattr(user, "card_phone"):  # loaded with the user by message_recipient()
        return user.card_phone or ""
    return (User.objects.filter(pk=user.pk).exclude(Q(patient_card__phone="")
                                                    | Q(patient_card__isnull=True))
            .values_list("patient_card__phone", flat=True).first() or "")


def recent_messages(user: User, *, limit: int = 20) -> list[Message]:
    """The person's own delivery log, newest first (kind, channel, status; no text)."""
    return list(Message.objects.filter(recipient=user).order_by("-created_at")
                .only("kind", "channel", "status", "created_at", "sent_at")[:limit])


def messages_since(user: User, since, *, cursor: str | None = None) -> Worklist:
    """What was written to the person since a moment (None: ever), newest first, with its
    text: the unread messages of their home page."""
    messages = Message.objects.filter(recipient=user)
    if since is not None:
        messages = messages.filter(created_at__gt=since)
    return worklist(messages.only("kind", "text", "urgent", "channel", "status",
                                  "created_at", "recipient_id"),
                    order=("-created_at", "-pk"), cursor=cursor)


def messages_of_events(event_ids) -> dict[tuple[int, int], Message]:
    """The messages sent about these events, by (event id, recipient id): the delivery
    log's answer to "who was told, when, by which channel" (the results inbox shows it)."""
    return {(message.event_id, message.recipient_id): message
            for message in Message.objects.filter(event_id__in=list(event_ids))
            .only("event_id", "recipient_id", "status", "channel", "sent_at", "created_at")}
