"""Notifications consume the outbox: one delivery per event and recipient."""

from clinics.referrals.receivers import receivers_of
from notifications import services
from notifications.selectors import recipients_of
from notifications.texts import NOTIFIED_KINDS, PATIENT, RECEIVER
from outbox.kinds import REFERRAL_RECEIVED
from outbox.registry import consumer


def _targets(event) -> list[str]:
    """"<user id>" for the patient's own account, "<user id>:receiver" for the staff a
    referral is addressed to (their message is another)."""
    targets = [str(pk) for pk in recipients_of(event.payload)]
    if event.kind == REFERRAL_RECEIVED:
        targets += [f"{pk}:{RECEIVER}" for pk in receivers_of(event.payload.get("referral"))]
    return targets


@consumer("notifications", kinds=NOTIFIED_KINDS, targets=_targets)
def notify(event, target: str) -> None:
    recipient, _colon, audience = target.partition(":")
    services.notify(event=event, recipient_id=int(recipient), audience=audience or PATIENT)
