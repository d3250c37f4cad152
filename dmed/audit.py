"""The audit trail: one function every app calls to record a read or write.

The request's origin (IP, user agent) is set once per request by middleware into a
context variable, so services and selectors record events without passing the request
around; outside a request (tasks, commands) it is empty. The actor's acting facility
comes from settings.AUDIT_FACILITY_RESOLVER (the clinics app knows staff records; this
app must not import it).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

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


@lru_cache(maxsize=1)
def _facility_resolver():
    return import_string(settings.AUDIT_FACILITY_RESOLVER)


def reset_request_origin(token) -> None:
    _origin.reset(token)


def current_origin() -> RequestOrigin:
    return _origin.get() or NO_ORIGIN


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
) -> AuditEvent:
    """Write one audit event in the caller's transaction.

    Call it inside the same transaction as the read or write it describes: if the
    row cannot be written, the whole operation fails with it.
    """
    origin = current_origin()
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_role=actor.role if authenticated else "",
        facility_code=_facility_resolver()(actor) if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        patient_med_id=patient_med_id,
        reason=reason,
        allowed=allowed,
        break_glass=break_glass,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
    )
