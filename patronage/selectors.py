"""Every read of patronage that people see: the nurse's day and the visit's page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from patients.access import FACILITY_ROLES, record_access
from patronage.models import PlannedVisit, PlanStatus
from patronage.services import VISIT_OBJECT, warning_signs_for
from registry.selectors import acting_staff_record, nurses_at

ROUTE_OBJECT = "patronage.route"
HOUSE = re.compile(r"^(?P<street>.*?)[\s,]*(?P<house>\d+)\D*$")


def address_key(address: str) -> tuple[str, int, str]:
    """Where a door is on the walk: by street, then house number as a number (house 9
    before house 12), then the rest of the address."""
    match = HOUSE.match(address or "")
    if match is None:
        return (address or "").casefold(), 0, ""
    return match["street"].casefold(), int(match["house"]), address.casefold()


def _nurse_record(user: User, object_type: str, object_id: str = ""):
    """The nurse's post, or a refusal written to the trail. Only patronage nurses have a
    route; other staff may know it exists (403), patients and others get 404."""
    record = acting_staff_record(user) if user.role == Role.NURSE else None
    if record is None:
        if user.role not in FACILITY_ROLES:
            raise Http404
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=object_type,
                           object_id=object_id, allowed=False)
        raise PermissionDenied
    return record


@dataclass
class RouteLine:
    visit: PlannedVisit
    overdue: bool
    days_overdue: int

    @property
    def done(self) -> bool:
        return self.visit.status == PlanStatus.DONE


def route_list(user: User, today: date | None = None) -> list[RouteLine]:
    """The nurse's day: her visits due by today not yet made (overdue ones flagged) and
    those she made today, in walking order by address. One query whatever its length;
    each card shown is written to the trail."""
    today = today or timezone.localdate()
    record = _nurse_record(user, ROUTE_OBJECT)
    visits = list(
        PlannedVisit.objects.filter(nurse=user, facility_id=record.facility_id)
        .filter(Q(status=PlanStatus.PLANNED, due_on__lte=today)
                | Q(status=PlanStatus.DONE, record__visited_at__date=today))
        .select_related("card", "record"))
    visits.sort(key=lambda visit: (address_key(visit.card.street), visit.due_on, visit.pk))
    record_list_event(actor=user, object_type=VISIT_OBJECT, list_id="patronage-route",
                      shown=[(visit.public_id, visit.card.med_id) for visit in visits])
    return [RouteLine(visit, visit.status == PlanStatus.PLANNED and visit.overdue_after < today,
                      max(0, (today - visit.overdue_after).days)) for visit in visits]


@dataclass
class VisitPage:
    visit: PlannedVisit
    warning_signs: list
    colleagues: object  # the polyclinic's other nurses, who may take the visit over


def visit_page(user: User, public_id: UUID) -> VisitPage:
    """A planned visit opened by a nurse of its polyclinic, read audited."""
    visit = (PlannedVisit.objects.select_related("card", "record")
             .filter(public_id=public_id).first())
    if visit is None:
        if user.role not in FACILITY_ROLES:
            raise Http404
        _nurse_record(user, VISIT_OBJECT, str(public_id))
        raise Http404
    record = _nurse_record(user, VISIT_OBJECT, str(public_id))
    if record.facility_id != visit.facility_id:
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=VISIT_OBJECT,
                           object_id=str(public_id), patient_med_id=visit.card.med_id,
                           allowed=False)
        raise PermissionDenied
    record_access(user, visit.card, object_type=VISIT_OBJECT, object_id=str(public_id))
    return VisitPage(visit, list(warning_signs_for(visit.reason)),
                     nurses_at(visit.facility_id).exclude(pk=user.pk))
