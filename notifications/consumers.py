"""Notifications consume the outbox: one delivery per event and recipient.

Who an event reaches is read from the event: the producer puts it there (a referral's
receivers at the time it was made), so this app never reads the producers' tables.
"""

import logging

from notifications import services
from notifications.selectors import recipients_by_med_id, recipients_of
from notifications.texts import NOTIFIED_KINDS, PATIENT, RECEIVER, STAFF, STAFF_ONLY_KINDS
from outbox.kinds import ATTACHMENT_MOVED, REFERRAL_RECEIVED
from outbox.registry import consumer

log = logging.getLogger(__name__)


def _targets(event, accounts: dict[str, list[int]] | None = None) -> list[str]:
    """"<user id>" for the patient's own account, "<user id>:receiver" for the staff a
    referral is addressed to, "<user id>:staff" for those a staff-only event names and the
    old polyclinic's staff of a moved card (their messages are others). `accounts` maps
    MED-IDs to their accounts when the relay read them for many events at once."""
    if event.kind in STAFF_ONLY_KINDS:
        return [f"{int(pk)}:{STAFF}" for pk in event.payload.get("recipients", [])]
    if accounts is None:
        own = recipients_of(event.payload)
    else:
        own = accounts.get(event.payload.get("med_id") or "", [])
    targets = [str(pk) for pk in own]
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


def _targets_many(events) -> list[list[str]]:
    """`_targets` of many events, their patients' accounts read in one query."""
    accounts = recipients_by_med_id({event.payload["med_id"] for event in events
                                     if event.kind not in STAFF_ONLY_KINDS
                                     and event.payload.get("med_id")})
    return [_targets(event, accounts) for event in events]


def _addressed(event, target: str) -> tuple:
    recipient, _colon, audience = target.partition(":")
    return event, int(recipient), audience or PATIENT


def _notify_many(items) -> list:
    """Many first attempts in one go: None for a message handled, or its Defer or Failed."""
    return [outcome if isinstance(outcome, Exception) else None
            for outcome in services.notify_many([_addressed(*item) for item in items])]


@consumer("notifications", kinds=NOTIFIED_KINDS, targets=_targets, targets_many=_targets_many,
          handle_many=_notify_many)
def notify(event, target: str) -> None:
    event, recipient_id, audience = _addressed(event, target)
    services.notify(event=event, recipient_id=recipient_id, audience=audience)
