"""Every write of the results inbox: notices made from events, acknowledging them, and
escalating a critical value nobody has acknowledged.

The critical-value loop: a released result outside its test's critical limits becomes a
critical notice; its ordering clinician is alerted at once (an urgent message, which
neither quiet hours nor the rate limit hold back). Unacknowledged after
CRITICAL_ACK_MINUTES, it escalates to the heads of the department (or facility) and the
facility's on-call list, who get it in their inboxes too, and again every further period
until someone it reached acknowledges it. Each alert is an outbox event for
notifications, recorded here with whom it told and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from inbox import staff
from inbox.models import CriticalAlert, FollowUp, InboxEntry, Notice, NoticeKind, Reason
from outbox.events import emit
from outbox.kinds import LAB_CRITICAL_ALERT

log = logging.getLogger(__name__)

NOTICE_OBJECT = "inbox.notice"


def ack_period() -> timedelta:
    return timedelta(minutes=settings.CRITICAL_ACK_MINUTES)


def _moment(value, default: datetime) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return moment or default


def _notice(event, *, kind: str, subject: str, recipients: Iterable[tuple[int, str]],
            critical: bool = False, occurred_at: datetime, **fields) -> Notice | None:
    """The event's notice and its entries, once however often the event is delivered."""
    existing = Notice.objects.filter(event=event).first()
    if existing is not None:
        return None
    payload = event.payload
    notice = Notice.objects.create(
        event=event, kind=kind, subject=str(subject), med_id=payload.get("med_id", ""),
        patient=payload.get("patient", "")[:255], critical=critical, occurred_at=occurred_at,
        **fields)
    _add_entries(notice, recipients)
    return notice


def _add_entries(notice: Notice, recipients: Iterable[tuple[int, str]]) -> None:
    InboxEntry.objects.bulk_create(
        [InboxEntry(notice=notice, recipient_id=user_id, reason=reason,
                    critical=notice.critical, occurred_at=notice.occurred_at,
                    acknowledged=notice.acknowledged_at is not None)
         for user_id, reason in dict(recipients).items()],
        ignore_conflicts=True)  # someone the notice reached already keeps their entry


RESULT_DETAILS = ("test", "test_code", "value", "unit", "flag", "reference", "version",
                  "facility", "sampled_at")


def receive_released_result(*, event) -> Notice | None:
    """A released result: to the clinician who ordered it, and for an order placed in a
    hospital department to that department's clinicians; a critical one alerts the
    orderer now and starts the acknowledgement clock."""
    payload = event.payload
    orderer = payload.get("ordered_by")
    if orderer is None:  # an event from before results named their orderer
        log.warning("result event %s names no orderer; no inbox gets it", event.uuid)
        return None
    post = staff.ordering_post(orderer, payload.get("ordering_facility"))
    recipients = [(orderer, Reason.ORDERED)]
    if post.in_hospital and post.department_id is not None:
        recipients += [(user_id, Reason.DEPARTMENT)
                       for user_id in staff.department_clinicians(post.department_id)
                       if user_id != orderer]
    critical = bool(payload.get("critical"))
    released_at = _moment(payload.get("released_at"), event.created_at)
    notice = _notice(event, kind=NoticeKind.RESULT, subject=payload["result"],
                     recipients=recipients, critical=critical, occurred_at=released_at,
                     facility_id=post.facility_id, department_id=post.department_id,
                     details={key: payload[key] for key in RESULT_DETAILS if key in payload},
                     next_escalation_at=released_at + ack_period() if critical else None)
    if notice is not None and critical:
        _alert(notice, [(orderer, Reason.ORDERED)], now=timezone.now())
    return notice


def receive_referral_answer(*, event) -> Notice | None:
    payload = event.payload
    return _notice(event, kind=NoticeKind.REFERRAL_ANSWER, subject=payload["referral"],
                   recipients=[(payload["referred_by"], Reason.REFERRED)],
                   occurred_at=_moment(payload.get("decided_at"), event.created_at),
                   details={key: payload.get(key, "") for key in
                            ("status", "reason", "decided_by", "to_facility")})


def receive_not_dispensed(*, event) -> Notice | None:
    payload = event.payload
    return _notice(event, kind=NoticeKind.NOT_DISPENSED, subject=payload["code"],
                   recipients=[(payload["prescriber"], Reason.PRESCRIBED)],
                   occurred_at=_moment(payload.get("refused_at"), event.created_at),
                   details={key: payload.get(key, "") for key in ("drug", "reason", "pharmacy",
                                                                   "line")})


def _alert(notice: Notice, people: list[tuple[int, str]], *, now: datetime) -> None:
    """Tell these people about a critical notice now (notifications sends the messages)."""
    if not people:
        log.warning("critical notice %s round %d: nobody to tell (no head or on-call "
                    "list at its facility)", notice.public_id, notice.escalation_round)
        return
    details = notice.details
    event = emit(LAB_CRITICAL_ALERT, {
        "med_id": notice.med_id, "result": notice.subject, "test": details.get("test"),
        "value": details.get("value"), "unit": details.get("unit"),
        "round": notice.escalation_round,
        "minutes": settings.CRITICAL_ACK_MINUTES * notice.escalation_round,
        "recipients": [user_id for user_id, _reason in people],
    }, dedupe_key=f"critical:{notice.public_id}:{notice.escalation_round}")
    CriticalAlert.objects.bulk_create(
        [CriticalAlert(notice=notice, recipient_id=user_id, round=notice.escalation_round,
                       reason=reason, event=event, created_at=now)
         for user_id, reason in people],
        ignore_conflicts=True)


def escalate_unacknowledged(*, now: datetime | None = None, batch: int = 200) -> int:
    """One sweep (beat, every minute): escalate each critical notice whose time has come;
    returns how many. Locked rows are skipped, so two sweeps never tell anyone twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Notice.objects.select_for_update(skip_locked=True)
                   .filter(next_escalation_at__lte=now).order_by("next_escalation_at")[:batch])
        for notice in due:
            notice.escalation_round += 1
            people = staff.escalation_targets(notice.facility_id, notice.department_id)
            _add_entries(notice, people)
            _alert(notice, people, now=now)
            notice.next_escalation_at = now + ack_period()
            notice.save(update_fields=["escalation_round", "next_escalation_at"])
    return len(due)


def acknowledge(*, actor: User, notice_id, follow_up: str = FollowUp.NONE,
                comment: str = "") -> Notice:
    """Someone the notice reached says they have seen it (and what they will do); it
    leaves every inbox it was in, and a critical one stops escalating. Anyone else is
    answered as if it did not exist, and the refusal is audited."""
    comment = (comment or "").strip()
    errors = {}
    if follow_up not in FollowUp.values:
        errors["follow_up"] = [_("Choose a follow-up.")]
    if len(comment) > 500:
        errors["comment"] = [_("Keep the comment under 500 characters.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            notice = (Notice.objects.select_for_update()
                      .filter(public_id=notice_id, entries__recipient=actor).first())
            if notice is None:
                raise Http404
            if notice.acknowledged_at is not None:
                raise ValidationError({"notice": [_("This was acknowledged already.")]})
            notice.acknowledged_at, notice.acknowledged_by = timezone.now(), actor
            notice.follow_up, notice.comment = follow_up, comment
            notice.next_escalation_at = None
            notice.save(update_fields=["acknowledged_at", "acknowledged_by", "follow_up",
                                       "comment", "next_escalation_at"])
            InboxEntry.objects.filter(notice=notice).update(acknowledged=True)
            record_audit_event(actor=actor, action=AuditAction.UPDATE,
                               object_type=NOTICE_OBJECT, object_id=notice.public_id,
                               patient_med_id=notice.med_id,
                               reason=f"acknowledged: {follow_up}")
    except Http404:
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=NOTICE_OBJECT,
                           object_id=str(notice_id)[:64], allowed=False)
        raise
    return notice
