"""Notifications consume the outbox: one delivery per event and recipient.

Who an event reaches is read from the event: the producer puts it there (a referral's
receivers at the time it was made), so this app never reads the producers' tables.
"""

import logging

from notifications import services
from notifications.selectors import recipients_of
from notifications.texts import NOTIFIED_KINDS, PATIENT, RECEIVER, STAFF, STAFF_ONLY_KINDS
from outbox.kinds import ATTACHMENT_MOVED, REFERRAL_RECEIVED
from outbox.registry import consumer

log = logging.getLogger(__name__)


def _targets(event) -> list[str]:
    """"<user id>" for the patient's own account, "<user id>:receiver" for the staff a
    referral is addressed to, "<user id>:staff" for those a staff-only event names and the
    old polyclinic's staff of a moved card (their messages are others)."""
    if event.kind in STAFF_ONLY_KINDS:
        return [f"{int(pk)}:{STAFF}" for pk in event.payload.get("recipients", [])]
    targets = [str(pk) for pk in recipients_of(event.payload)]
    # A child's parents and guardians, when the producer names them (a baby has no account
    # of its own): they are told with the patient's text.
    targets += [str(int(pk)) for pk in event.payload.get("representatives", [])
                if str(int(pk)) not in targets]
    if event.kind == ATTACHMENT_MOVED:  # the polyclinic the patient leaves is told too
        targets += [f"{int(pk)}:{STAFF}" for pk in event.payload.get("old_polyclinic_staff", [])]
    if event.kind == REFERRAL_RECEIVED:
        targets += [f"{pk}:{RECEIVER}" for pk in referral_receivers(event)]
    return targets


def referral_receivers(event) -> list[int]:
    """The receivers' accounts the referral's event names. An event written before
    referrals named them has none: its patient is still told, and the receivers find the
    referral in their incoming list, as everyone does (logged, not guessed)."""
    if "receivers" not in event.payload:
        log.warning("referral event %s names no receivers; only its patient is told",
                    event.uuid)
        return []
    return [int(pk) for pk in event.payload["receivers"]]


@consumer("notifications", kinds=NOTIFIED_KINDS, targets=_targets)
def notify(event, target: str) -> None:
    recipient, _colon, audience = target.partition(":")
    services.notify(event=event, recipient_id=int(recipient), audience=audience or PATIENT)
