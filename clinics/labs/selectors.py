"""Reads of the laboratory that people see, scoped to the acting user and audited.

Outside the laboratory only released versions exist: a clinician, the patient and their
representatives never see a value before a technician has verified it. A lab technician
sees their own laboratory's orders, with the patient's identification the samples need
(name, MED-ID, sex, birth date), and never the card itself (patients.access gives lab
technicians no card scope).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.labs.models import (
    LabOrder,
    LabOrderItem,
    LabResult,
    LabTest,
    TurnaroundTarget,
)
from clinics.labs.services import ORDER_OBJECT, RESULT_OBJECT
from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, User
from dmed.paging import Page, keyset_page
from dmed.roles import Role
from patients.access import card_for
from registry.selectors import acting_staff_record

WORKLIST_PAGE = 50


def _technicians_laboratory(user: User):
    record = acting_staff_record(user)
    if user.role != Role.LAB_TECHNICIAN or record is None:
        raise PermissionDenied(_("The worklist is for laboratory technicians."))
    return record.facility


def _with_items(orders):
    items = LabOrderItem.objects.select_related("test").prefetch_related(
        Prefetch("results", queryset=LabResult.objects.select_related(
            "card", "test", "corrects", "entered_by", "verified_by").order_by("version")))
    return (orders.select_related("card", "ordered_by", "ordering_facility", "laboratory",
                                  "visit")
            .prefetch_related(Prefetch("items", queryset=items.order_by("test__code"))))


def worklist(user: User, *, cursor: str | None = None,
             limit: int = WORKLIST_PAGE) -> Page:
    """The laboratory's open orders by urgency (emergency, urgent, routine), then oldest
    first (keyset pages); each marked `overdue` when past the laboratory's turnaround target
    for its priority."""
    laboratory = _technicians_laboratory(user)
    orders = _with_items(LabOrder.objects.filter(laboratory=laboratory, completed_at=None))
    page = keyset_page(orders, order=("urgency_rank", "ordered_at", "pk"), cursor=cursor,
                       limit=limit)
    now, targets = timezone.now(), turnaround_targets(laboratory)
    for order in page.results:
        order.overdue = order.ordered_at + targets[order.priority] < now
    record_list_event(actor=user, object_type=ORDER_OBJECT, list_id=laboratory.code,
                      shown=[(order.public_id, order.card.med_id) for order in page.results])
    return page


def turnaround_targets(laboratory) -> dict[str, timedelta]:
    """Priority → the time the laboratory promises: its own target where it set one, the
    national default (LAB_TURNAROUND_MINUTES) otherwise."""
    minutes = {**settings.LAB_TURNAROUND_MINUTES,
               **dict(TurnaroundTarget.objects.filter(laboratory=laboratory)
                      .values_list("priority", "minutes"))}
    return {priority: timedelta(minutes=value) for priority, value in minutes.items()}


def corrections_awaiting_verification(user: User) -> list[LabResult]:
    laboratory = _technicians_laboratory(user)
    return list(LabResult.objects.filter(item__order__laboratory=laboratory, released_at=None,
                                         version__gt=1)
                .select_related("test", "card", "item__order", "entered_by")
                .order_by("entered_at")[:100])


def laboratory_order(user: User, order_id) -> LabOrder:
    """One order of the technician's own laboratory; any other answers 404."""
    laboratory = _technicians_laboratory(user)
    order = _with_items(LabOrder.objects.filter(public_id=order_id,
                                                laboratory=laboratory)).first()
    if order is None:
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=ORDER_OBJECT,
                           object_id=order_id, allowed=False)
        raise Http404
    record_audit_event(actor=user, action=AuditAction.VIEW, object_type=ORDER_OBJECT,
                       object_id=order.public_id, patient_med_id=order.card.med_id)
    return order


def card_orders(user: User, med_id: str) -> tuple:
    """A card's lab orders for those who may open the card (clinicians, the patient)."""
    access = card_for(user, med_id, object_type=ORDER_OBJECT)
    orders = list(_with_items(LabOrder.objects.filter(card=access.card))
                  .order_by("-ordered_at")[:100])
    return access, orders


@dataclass
class TestHistory:
    """The current released values of one test for a card, oldest first."""

    test: LabTest
    current: list = field(default_factory=list)   # the newest released version per order
    corrected: list = field(default_factory=list)  # released versions later corrected

    @property
    def latest(self) -> LabResult:
        return self.current[-1]


def released_results(card) -> list[TestHistory]:
    """A card's released results grouped by test; a corrected version stays, marked."""
    rows = (LabResult.objects.filter(card=card, released_at__isnull=False)
            .select_related("card", "test", "corrects", "verified_by")
            .order_by("item_id", "version"))
    newest: dict[int, LabResult] = {}
    older: list[LabResult] = []
    for result in rows:
        if result.item_id in newest:
            older.append(newest[result.item_id])
        newest[result.item_id] = result
    histories: dict[int, TestHistory] = defaultdict(lambda: None)
    for result in sorted(newest.values(), key=lambda r: (r.sampled_at, r.pk)):
        history = histories[result.test_id] or TestHistory(result.test)
        history.current.append(result)
        histories[result.test_id] = history
    for result in older:
        histories[result.test_id].corrected.append(result)
    return sorted(histories.values(), key=lambda h: h.latest.sampled_at, reverse=True)


def card_results(user: User, med_id: str):
    """Released results of a card the user may open: the patient, representatives, staff."""
    access = card_for(user, med_id, object_type=RESULT_OBJECT)
    return access, released_results(access.card)


def released_result(user: User, result_id, *, action: str = AuditAction.VIEW) -> LabResult:
    """One released version, for whoever may open its card; unreleased ones do not exist."""
    result = (LabResult.objects.filter(public_id=result_id, released_at__isnull=False)
              .select_related("test", "card", "verified_by", "entered_by",
                              "item__order__laboratory", "item__order__ordered_by",
                              "item__order__ordering_facility").first())
    if result is None:
        raise Http404
    card_for(user, result.card.med_id, action=action, object_type=RESULT_OBJECT)
    return result


def test_history(result: LabResult) -> list[LabResult]:
    """The current released values of the same test on the same card, for its chart."""
    for history in released_results(result.card):
        if history.test.pk == result.test_id:
            return history.current
    return []
