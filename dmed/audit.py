"""The audit trail: one function every app calls to record a read or write.

The request's origin (IP, user agent) is set once per request by middleware into a
context variable, so services and selectors record events without passing the request
around; outside a request (tasks, commands) it is empty. The actor's acting facility
comes from dmed.acting (the hook the app that knows staff records fills; the core must not
import it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from dmed.acting import acting_facility_code
from dmed.models import AuditAction, AuditEvent, User


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""


NO_ORIGIN = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("dmed_request_origin", default=None)


def set_request_origin(*, ip_address: str | None, user_agent: str) -> object:
    """Start a request's origin; returns the token to reset it with."""
    return _origin.set(RequestOrigin(ip_address=ip_address, user_agent=user_agent[:300]))


def reset_request_origin(token) -> None:
    _origin.reset(token)


def current_origin() -> RequestOrigin:
    return _origin.get() or NO_ORIGIN


def _event(*, actor: User | None, facility_code: str | None = None, **fields) -> AuditEvent:
    origin = current_origin()
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_role=actor.role if authenticated else "",
        facility_code=acting_facility_code(actor) if facility_code is None else facility_code,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        **fields,
    )


def record_audit_event(
    *,
    actor: User | None,
    action: AuditAction | str,
    object_type: str = "",
    object_id: str = "",
    patient_med_id: str = "",
    reason: str = "",
    allowed: bool = True,
    break_glass: bool = False,
    facility_code: str | None = None,
) -> AuditEvent:
    """Write one audit event in the caller's transaction.

    Call it inside the same transaction as the read or write it describes: if the
    row cannot be written, the whole operation fails with it. `facility_code` names the
    facility of a system that acts without a user (a pharmacy's key); by default it is the
    acting user's.
    """
    event = _event(actor=actor, action=action, object_type=object_type,
                   object_id=str(object_id), patient_med_id=patient_med_id, reason=reason,
                   allowed=allowed, break_glass=break_glass, facility_code=facility_code)
    _insert([event])
    return event


# Reads that change nothing. Recorded on their own (outside any transaction: a page's or an
# API's read), their events commit without waiting for the WAL to reach the disk, unless
# AUDIT_READS_WAIT_FOR_DISK: a read's audit row is written, chained and committed before
# the answer leaves, or the request fails, as every event is; only a crash of the database
# server within a fraction of a second (PostgreSQL's wal_writer_delay, three times over at
# most) can lose the last such rows. The WAL loses only its end, so the chain stays whole.
# Waiting for the flush was what capped every audited read (bench/README.md): two sync
# workers can answer no faster than the disk flushes. Writes, refusals, sign-ins and every
# event inside a transaction commit as their transaction does.
UNHURRIED_ACTIONS = frozenset({AuditAction.VIEW, AuditAction.LIST, AuditAction.SEARCH})
# Local to the statement's own transaction, so a pooled connection (PgBouncer in
# transaction mode) never hands the setting on.
_WITHOUT_WAITING = ", set_config('synchronous_commit', 'off', true)"


@cache
def _insert_parts() -> tuple[list, list, str, str, str]:
    """The trail's INSERT, written once per process: it runs on every read of a record, and
    the ORM compiling it anew each time was a sixth of a card read through the API. The
    columns the database fills (the id, the chain's by its trigger) come back."""
    meta = AuditEvent._meta
    returned = list(meta.db_returning_fields)
    written = [field for field in meta.concrete_fields
               if field not in returned and field.db_default is NOT_PROVIDED]
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 — the model's names; values bound
            f"({', '.join(quote(field.column) for field in written)}) VALUES ")
    row = f"({', '.join(['%s'] * len(written))})"
    tail = f" RETURNING {', '.join(quote(field.column) for field in returned)}"
    return written, returned, head, row, tail


def _unhurried(events: list[AuditEvent]) -> bool:
    return (not settings.AUDIT_READS_WAIT_FOR_DISK and not connection.in_atomic_block
            and all(event.allowed and event.action in UNHURRIED_ACTIONS for event in events))


def _insert(events: list[AuditEvent]) -> None:
    """One statement for all the events, without a transaction of its own around it (a
    multi-row INSERT is atomic by itself)."""
    written, returned, head, row, tail = _insert_parts()
    sql = head + ", ".join([row] * len(events)) + tail
    if _unhurried(events):
        sql += _WITHOUT_WAITING
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_save(getattr(event, field.attname), connection)
                             for event in events for field in written])
        rows = cursor.fetchall()
    for event, values in zip(events, rows, strict=True):
        for field, value in zip(returned, values, strict=False):
            setattr(event, field.attname, value)
        event._state.adding = False
        event._state.db = connection.alias


def record_list_event(
    *,
    actor: User | None,
    object_type: str,
    shown: Iterable[tuple[object, str]],
    action: AuditAction | str = AuditAction.LIST,
    list_id: str = "",
    reason: str = "",
) -> None:
    """Record one read of a list of patients' records, in one statement.

    `shown` gives (object id, MED-ID) of each row shown: every row gets its own event, so
    each patient's access log says their record appeared in the list (a search, a worklist),
    not only that a list was read. A list that showed nothing leaves one event saying so,
    under `list_id`.
    """
    read_at = timezone.now()  # one read, one moment: the events of a list share it
    events = [_event(actor=actor, action=action, object_type=object_type, occurred_at=read_at,
                     object_id=str(object_id), patient_med_id=med_id or "", reason=reason)
              for object_id, med_id in shown]
    if not events:
        events = [_event(actor=actor, action=action, object_type=object_type,
                         occurred_at=read_at, object_id=list_id, reason=reason)]
    _insert(events)


def record_polled_list_event(*, seen: MutableMapping, key: str, actor: User | None,
                             object_type: str, shown: Iterable[tuple[object, str]],
                             list_id: str = "", reason: str = "") -> bool:
    """Record the read of a list a page refreshes every few seconds (a queue desk, an
    inbox), once for each set of rows it shows; True when it recorded one.

    An event for every refresh would bury the trail under identical rows. So a read is
    recorded when the set of rows shown differs from the last one recorded under `key` in
    `seen` (the user's session): the first look, and again whenever a row joins or leaves.
    Each event names the rows and MED-IDs shown, so the trail still says who saw which
    patient in which list and from when.
    """
    shown = list(shown)
    fingerprint = hashlib.sha256(
        ",".join(sorted(str(object_id) for object_id, _med_id in shown)).encode()).hexdigest()
    if seen.get(key) == fingerprint:
        return False
    record_list_event(actor=actor, object_type=object_type, shown=shown, list_id=list_id,
                      reason=reason)
    seen[key] = fingerprint
    return True
