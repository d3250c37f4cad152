"""Notifications consume the outbox: one delivery per event and recipient."""

from notifications import services
from notifications.selectors import recipients_of
from notifications.texts import NOTIFIED_KINDS
from outbox.registry import consumer


@consumer("notifications", kinds=NOTIFIED_KINDS,
          targets=lambda event: recipients_of(event.payload))
def notify(event, target: str) -> None:
    services.notify(event=event, recipient_id=int(target))
