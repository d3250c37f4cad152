"""Reads of hospital stays and ward boards: scoped through the card, audited."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from clinics.stays.models import Bed, BedOccupancy, Stay, StayDiagnosis, StayNote, StayStatus
from dmed.audit import record_list_event
from dmed.models import AuditAction, User
from dmed.paging import PAGE_SIZE, Page, keyset_page
from dmed.roles import Role
from dmed.worklists import Worklist, worklist
from patients.access import CARING_ROLES, card_for, of_card, record_access
from registry.models import Department
from registry.selectors import acting_staff_record

STAY_OBJECT = "clinics.stay"
WARD_OBJECT = "clinics.ward_board"


def _stays():
    return Stay.objects.select_related("card", "facility", "admitted_by", "discharged_by",
                                       "admitting_diagnosis")


def _with_details(stays):
    return stays.prefetch_related(
        Prefetch("occupancies", BedOccupancy.objects.select_related(
            "bed__ward__department", "moved_by")),
        Prefetch("notes", StayNote.objects.select_related("author")),
        Prefetch("diagnoses", StayDiagnosis.objects.select_related("code")),
    )


def _parse(public_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404 from error


def load_stay(public_id, *, for_update: bool = False) -> Stay:
    """The stay by public id, unscoped: callers check access next. 404 if unknown."""
    stays = _stays()
    if for_update:
        stays = stays.select_for_update(of=("self",))
    try:
        return stays.get(public_id=_parse(public_id))
    except Stay.DoesNotExist as missing:
        raise Http404 from missing


def load_bed(public_id, *, facility_id: int) -> Bed:
    """A bed of this facility by public id; another facility's bed is as good as unknown."""
    try:
        return Bed.objects.select_related("ward__department").get(
            public_id=_parse(public_id), ward__department__facility_id=facility_id,
            is_active=True)
    except Bed.DoesNotExist as missing:
        raise Http404 from missing


def stay_for(user: User, public_id, *, object_type: str = STAY_OBJECT) -> Stay:
    stay = load_stay(public_id)
    record_access(user, stay.card, object_type=object_type, object_id=stay.public_id)
    return with_details(stay)


def with_details(stay: Stay) -> Stay:
    """The stay just written, read again with what its answer shows (already audited)."""
    return _with_details(_stays()).get(pk=stay.pk)


def current_bed(stay: Stay) -> Bed | None:
    """Of a stay read with details: where the patient lies now."""
    return next((o.bed for o in stay.occupancies.all() if o.ended_at is None), None)


def stays_of_card(user: User, med_id: str, *, cursor: str | None = None,
                  limit: int = PAGE_SIZE) -> Page:
    """A card's stays, newest first, for whoever may open the card."""
    access = card_for(user, med_id, action=AuditAction.LIST, object_type=STAY_OBJECT)
    stays = _stays().filter(of_card(access.card))
    return keyset_page(_with_details(stays), order=("-admitted_at", "-pk"), cursor=cursor,
                       limit=limit)


def _facility_staff(user: User):
    record = acting_staff_record(user)
    if record is None or user.role not in (*CARING_ROLES, Role.REGISTRAR):
        raise PermissionDenied(_("Only staff of a hospital see its wards."))
    return record


def departments_with_occupancy(user: User) -> list[Department]:
    """The facility's departments that have beds, with bed and occupied counts."""
    record = _facility_staff(user)
    return list(
        Department.objects.filter(facility_id=record.facility_id, wards__beds__is_active=True)
        .annotate(beds=Count("wards__beds", distinct=True),
                  occupied=Count("wards__beds__occupancies",
                                 filter=Q(wards__beds__occupancies__ended_at__isnull=True),
                                 distinct=True))
        .order_by("name"))


def ward_board(user: User, department_code: str) -> tuple[Department, list[Bed]]:
    """Every bed of a department with who lies in it now; audited as one list read.

    Patients on the board are in the user's scope by the stay itself (patients.access).
    """
    record = _facility_staff(user)
    try:
        department = Department.objects.get(facility_id=record.facility_id,
                                            code=department_code)
    except Department.DoesNotExist as missing:
        raise Http404 from missing
    current = BedOccupancy.objects.filter(ended_at__isnull=True).select_related(
        "stay__card", "stay__admitting_diagnosis")
    beds = list(Bed.objects.filter(ward__department=department, is_active=True)
                .select_related("ward").order_by("ward__code", "code")
                .prefetch_related(Prefetch("occupancies", current, to_attr="current")))
    record_list_event(actor=user, object_type=WARD_OBJECT, list_id=department.code,
                      shown=[(bed.current[0].stay.public_id, bed.current[0].stay.card.med_id)
                             for bed in beds if bed.current])
    return department, beds


def free_beds(user: User) -> list[Bed]:
    """Beds of the user's facility with nobody in them now, for admission and transfer."""
    record = _facility_staff(user)
    return list(Bed.objects.filter(ward__department__facility_id=record.facility_id,
                                   is_active=True)
                .exclude(pk__in=BedOccupancy.objects.filter(ended_at__isnull=True)
                         .values("bed_id"))
                .select_related("ward__department")
                .order_by("ward__department__name", "ward__code", "code"))


def cards_in_stay(user: User, record) -> object:
    """The care relation of stays (patients.access): a clinician or nurse treats the
    patients now in their hospital; registrars do not by that alone."""
    if user.role not in CARING_ROLES:
        return Stay.objects.none().values("card_id")
    return Stay.objects.filter(facility_id=record.facility_id,
                               status=StayStatus.CURRENT).values("card_id")


# --- the worklists of the role home pages (home/) ---

def _in_department(department_id) -> Exists:
    return Exists(BedOccupancy.objects.filter(stay=OuterRef("pk"), ended_at__isnull=True,
                                              bed__ward__department_id=department_id))


def stays_in_my_care(user: User, *, cursor: str | None = None) -> Worklist:
    """Current stays at the hospital the user acts for that are theirs: in their department
    (for a nurse, the ward's list), or admitted by them (a clinician). Each with its bed;
    three queries, audited as one list read."""
    record = acting_staff_record(user)
    if record is None or user.role not in CARING_ROLES:
        raise PermissionDenied(_("Only staff of a hospital see its wards."))
    mine = Q(admitted_by=user) if user.role == Role.CLINICIAN else Q(pk__in=[])
    if record.department_id:
        mine |= Q(_in_department(record.department_id))
    stays = (Stay.objects.filter(mine, facility_id=record.facility_id,
                                 status=StayStatus.CURRENT)
             .select_related("card", "admitting_diagnosis")
             .prefetch_related(Prefetch("occupancies",
                                        BedOccupancy.objects.filter(ended_at__isnull=True)
                                        .select_related("bed__ward"), to_attr="current")))
    listed = worklist(stays, order=("-admitted_at", "-pk"), cursor=cursor)
    record_list_event(actor=user, object_type=STAY_OBJECT, list_id=record.facility.code,
                      shown=[(stay.public_id, stay.card.med_id) for stay in listed.rows],
                      reason="in care")
    return listed
