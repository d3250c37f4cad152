"""The laboratory's part of the role home pages (home/): counts for the technician, the
samples a nurse is to take, and a patient's new results. Scoped and audited as
clinics.labs.selectors are; each one query or a fixed few."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext as _

from clinics.labs.models import LabOrder, LabResult
from clinics.labs.selectors import _technicians_laboratory
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from dmed.audit import record_list_event
from dmed.models import User
from dmed.roles import Role
from dmed.worklists import Worklist, worklist
from registry.selectors import acting_staff_record


@dataclass
class WorklistSummary:
    by_priority: list[tuple[str, str, int]]  # (priority, its label, open orders)
    open_orders: int
    awaiting_verification: int  # entered versions a second technician has not released


def worklist_summary(user: User) -> WorklistSummary:
    """How many open orders the technician's laboratory has, per urgency, the most urgent
    first; numbers only, no patient (two queries)."""
    laboratory = _technicians_laboratory(user)
    counts = dict(LabOrder.objects.filter(laboratory=laboratory, completed_at=None)
                  .order_by().values_list("priority").annotate(n=Count("pk")))
    choices = LabOrder._meta.get_field("priority").choices
    # The choices run from the least urgent to the most; the panel reads the other way.
    by_priority = [(value, label, counts.get(value, 0)) for value, label in reversed(choices)]
    waiting = LabResult.objects.filter(item__order__laboratory=laboratory,
                                       released_at=None).count()
    return WorklistSummary(by_priority, sum(counts.values()), waiting)


def samples_to_take(user: User, *, cursor: str | None = None) -> Worklist:
    """Open orders placed at the nurse's (or clinician's) facility with no result entered
    yet: the samples still to take and send, oldest first."""
    record = acting_staff_record(user)
    if record is None or user.role not in (Role.NURSE, Role.CLINICIAN):
        raise PermissionDenied(_("Only the staff of the ordering facility take samples."))
    entered = LabResult.objects.filter(item__order=OuterRef("pk"))
    orders = (LabOrder.objects.filter(ordering_facility_id=record.facility_id,
                                      completed_at=None)
              .exclude(Exists(entered)).select_related("card", "laboratory", "ordered_by"))
    listed = worklist(orders, order=("ordered_at", "pk"), cursor=cursor)
    record_list_event(actor=user, object_type=ORDER_OBJECT, list_id=record.facility.code,
                      shown=[(order.public_id, order.card.med_id) for order in listed.rows],
                      reason="samples to take")
    return listed


def results_released_since(user: User, cards, since, *, cursor: str | None = None) -> Worklist:
    """Released results of the patient's own cards (patients.selectors.patients_own_cards)
    since a moment (None: all), newest first."""
    results = LabResult.objects.filter(card__in=cards, released_at__isnull=False)
    if since is not None:
        results = results.filter(released_at__gt=since)
    listed = worklist(results.select_related("card", "test"), order=("-released_at", "-pk"),
                      cursor=cursor)
    record_list_event(actor=user, object_type=RESULT_OBJECT, list_id="mine",
                      shown=[(result.public_id, result.card.med_id) for result in listed.rows],
                      reason="new results")
    return listed
