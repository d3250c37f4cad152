"""Who a notice reaches, read from the staff registry (not from the producers' tables):
the ordering clinician's department, its clinicians, and the heads and on-call list a
critical value escalates to. Only posts active today, of active accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from dmed.roles import Role
from inbox.models import Reason
from registry.models import FacilityKind, StaffRecord


def _active_posts():
    today = timezone.localdate()
    return (StaffRecord.objects.filter(active_from__lte=today, user__is_active=True)
            .filter(Q(active_to__isnull=True) | Q(active_to__gte=today)))


@dataclass(frozen=True)
class OrderingPost:
    facility_id: int | None
    department_id: int | None
    in_hospital: bool


def ordering_post(user_id: int, facility_id: int | None) -> OrderingPost:
    """The department the person works in at the facility they ordered from, if any."""
    post = (_active_posts().filter(user_id=user_id, facility_id=facility_id,
                                   role__in=(Role.CLINICIAN, Role.NURSE))
            .values("department_id", "facility__kind").first())
    if post is None:
        return OrderingPost(facility_id, None, False)
    return OrderingPost(facility_id, post["department_id"],
                        post["facility__kind"] == FacilityKind.HOSPITAL)


def department_clinicians(department_id: int) -> list[int]:
    return list(_active_posts().filter(department_id=department_id, role=Role.CLINICIAN)
                .values_list("user_id", flat=True).distinct())


def escalation_targets(facility_id: int | None,
                       department_id: int | None) -> list[tuple[int, str]]:
    """(user id, reason): the heads of the department (of the facility when the department
    has none, or the order none), then the facility's on-call list; each person once."""
    if facility_id is None:
        return []
    posts = _active_posts().filter(facility_id=facility_id)
    heads = []
    if department_id is not None:
        heads = list(posts.filter(department_id=department_id, is_head=True)
                     .values_list("user_id", flat=True))
    if not heads:
        heads = list(posts.filter(department__isnull=True, is_head=True)
                     .values_list("user_id", flat=True))
    on_call = posts.filter(on_call=True).values_list("user_id", flat=True)
    targets: dict[int, str] = {}
    for user_id in heads:
        targets.setdefault(user_id, Reason.HEAD)
    for user_id in on_call:
        targets.setdefault(user_id, Reason.ON_CALL)
    return list(targets.items())
