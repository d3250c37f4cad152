"""Channels behind one small interface: `send(address, text, message_id=...) -> answer`.

An adapter returns what the provider answered, or raises `ProviderError` with it.
Real adapters: an HTTP SMS gateway, the Telegram Bot API, Django's mail backend. On a
developer's machine (DEBUG) channels without configuration write to files under
`var/messages/` and e-mail goes to the console, so nothing leaves the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Channel
from outbox.http import ProviderError, post_json


class Provider(Protocol):
    def send(self, address: str, text: str, *, message_id: str) -> str: ...


@dataclass(frozen=True)
class SmsGateway:
    """An HTTP SMS gateway: POST {to, from, text, message_id} with a bearer token. The
    message ID lets the gateway drop a copy re-sent after a lost worker."""

    url: str
    token: str
    sender: str

    def send(self, address: str, text: str, *, message_id: str) -> str:
        return post_json(self.url, {"to": address, "from": self.sender, "text": text,
                                    "message_id": message_id},
                         headers={"Authorization": f"Bearer {self.token}"})


@dataclass(frozen=True)
class TelegramBot:
    """The Telegram Bot API's sendMessage to a linked chat."""

    token: str
    api_url: str

    def send(self, address: str, text: str, *, message_id: str) -> str:
        return post_json(f"{self.api_url}/bot{self.token}/sendMessage",
                         {"chat_id": int(address), "text": text})


class MailBackend:
    """E-mail through Django's configured backend (SMTP in production)."""

    def send(self, address: str, text: str, *, message_id: str) -> str:
        try:
            sent = EmailMessage(_("DMED notification"), text, to=[address],
                                headers={"X-DMED-Message-ID": message_id}).send()
        except OSError as exc:  # smtplib's errors are OSErrors
            raise ProviderError(f"mail backend: {exc}") from exc
        if not sent:
            raise ProviderError("mail backend accepted nothing")
        return "accepted by the mail backend"


@dataclass(frozen=True)
class FileChannel:
    """Development: append the message to var/messages/<channel>.log instead of sending."""

    channel: str

    def send(self, address: str, text: str, *, message_id: str) -> str:
        path = Path(settings.NOTIFY_FILE_DIR) / f"{self.channel}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(json.dumps({"at": timezone.now().isoformat(), "to": address,
                                  "message_id": message_id, "text": text},
                                 ensure_ascii=False) + "\n")
        return f"written to {path}"


def provider_for(channel: str) -> Provider | None:
    """The configured adapter of a channel; None when the channel is not set up."""
    if channel == Channel.SMS and settings.SMS_GATEWAY_URL:
        return SmsGateway(settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN,
                          settings.SMS_SENDER)
    if channel == Channel.TELEGRAM and settings.TELEGRAM_BOT_TOKEN:
        return TelegramBot(settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_API_URL)
    if channel == Channel.EMAIL:
        return MailBackend()
    return FileChannel(channel) if settings.DEBUG else None
