"""Reads of the results inbox people see: their own inbox (page and home panel), and the
critical-value record shown on a result's page. Every read of patients' names is audited."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from dmed.audit import record_polled_list_event
from dmed.models import User
from dmed.paging import Page, keyset_page
from dmed.roles import Role
from inbox.models import CriticalAlert, InboxEntry, Notice, NoticeKind
from inbox.services import NOTICE_OBJECT
from notifications.selectors import messages_of_events

INBOX_ROLES = (Role.CLINICIAN, Role.NURSE)
INBOX_PAGE = 25
PANEL_ROWS = 5
# Critical first, then newest: the order of the inbox_open index.
ORDER = ("-critical", "-occurred_at", "-pk")


def _owner(user: User) -> None:
    if user.role not in INBOX_ROLES:
        raise PermissionDenied(_("The results inbox is for clinicians and nurses."))


def _open_entries(user: User):
    return (InboxEntry.objects.filter(recipient=user, acknowledged=False)
            .select_related("notice"))


def _audit(user: User, seen: MutableMapping, key: str, entries: list[InboxEntry]) -> None:
    record_polled_list_event(
        seen=seen, key=key, actor=user, object_type=NOTICE_OBJECT, list_id="inbox",
        shown=[(entry.notice.public_id, entry.notice.med_id) for entry in entries])


def inbox(user: User, *, seen: MutableMapping, cursor: str | None = None,
          limit: int = INBOX_PAGE) -> Page:
    """The user's unacknowledged notices, critical first, newest first (keyset pages).
    `seen` (the session) keeps the htmx refresh from auditing the same rows again."""
    _owner(user)
    page = keyset_page(_open_entries(user), order=ORDER, cursor=cursor, limit=limit)
    _audit(user, seen, f"inbox-shown:{cursor or ''}", page.results)
    return page


@dataclass
class InboxPanel:
    entries: list[InboxEntry]
    waiting: int
    critical: int

    @property
    def count(self) -> int:
        """What a home page panel counts: the entries still waiting."""
        return self.waiting


def inbox_panel(user: User, *, seen: MutableMapping, limit: int = PANEL_ROWS) -> InboxPanel:
    """For the clinician's home page: the first rows of the inbox and its counts (two
    queries, and the audit row when what it shows changed)."""
    _owner(user)
    entries = list(_open_entries(user).order_by(*ORDER)[:limit])
    counts = InboxEntry.objects.filter(recipient=user, acknowledged=False).aggregate(
        waiting=Count("pk"), critical=Count("pk", filter=Q(critical=True)))
    _audit(user, seen, "inbox-panel-shown", entries)
    return InboxPanel(entries, counts["waiting"], counts["critical"])


@dataclass
class Told:
    alert: CriticalAlert
    channel: str
    status: str
    sent_at: object


@dataclass
class CriticalRecord:
    notice: Notice
    told: list[Told]
    # The viewer's own unacknowledged entry: they may acknowledge it from the result page.
    mine: InboxEntry | None


def result_record(user: User, result_id) -> CriticalRecord | None:
    """The inbox's record of a released result, for its page (the caller has checked the
    user may read the result): who was told, when, by which channel, who acknowledged.
    Staff only; None when the result reached no inbox."""
    if user.role not in INBOX_ROLES:
        return None
    notice = (Notice.objects.select_related("acknowledged_by")
              .filter(kind=NoticeKind.RESULT, subject=str(result_id)).first())
    if notice is None:
        return None
    alerts = list(notice.alerts.select_related("recipient").order_by("round", "pk"))
    messages = messages_of_events({alert.event_id for alert in alerts})
    told = []
    for alert in alerts:
        message = messages.get((alert.event_id, alert.recipient_id))
        told.append(Told(alert, message.get_channel_display() if message else "",
                         message.get_status_display() if message else _("waiting to be sent"),
                         message.sent_at if message else None))
    mine = InboxEntry.objects.filter(notice=notice, recipient=user, acknowledged=False).first()
    return CriticalRecord(notice, told, mine)
