"""Every write of patronage: the plan generated from the rules, who walks to whom, and the
visit the nurse records at the door (one transaction each, with its audit event).

Generating a plan is idempotent: planned visits are unique per card, reason and due date
and are inserted with conflicts ignored, so a rerun, a repeated signal or the nightly task
never doubles one, and a visit assigned by hand keeps its nurse.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Length, Trim
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from mch.models import Newborn, Pregnancy
from patients.access import FACILITY_ROLES, record_access
from patients.models import CardStatus, PatientCard
from patronage.models import (
    CareListing,
    HomeVisit,
    PlannedVisit,
    PlanStatus,
    Reason,
    StreetAssignment,
    VisitRule,
    WarningSign,
)
from patronage.rules import Due, add_months, due_dates
from registry.models import StaffRecord
from registry.selectors import acting_staff_record, works_at

VISIT_OBJECT = "patronage.visit"
LISTING_OBJECT = "patronage.care_listing"
# Who may hand a planned visit to another nurse of the polyclinic.
ASSIGNERS = (Role.CLINICIAN, Role.NURSE)
VITAL_FIELDS = ("systolic", "diastolic", "pulse", "temperature", "weight_kg")
TEXT_FIELDS = ("feeding", "advice", "notes")


def _street_nurses(facility, address) -> QuerySet:
    """The nurses of the polyclinic's streets the address begins with (case aside), the
    longest street name first: the first walks it, so "Bunyodkor ko‘chasi 2-tor" is not
    taken for "Bunyodkor ko‘chasi". Both may be expressions of an outer query."""
    return (StreetAssignment.objects.filter(facility_id=facility).alias(address=address)
            .filter(address__istartswith=F("street"))
            .order_by(Length("street").desc()).values("nurse_id"))


def nurse_for_street(facility_id: int, address: str) -> int | None:
    """The nurse who walks the street of this address."""
    if not address:
        return None
    found = _street_nurses(facility_id, Value(address.strip())).first()
    return found["nurse_id"] if found else None


def follow_street_map(*, actor: User | None, facility_id: int, cards=None) -> int:
    """Give each visit still planned at the polyclinic the nurse of its card's street as the
    street map now says: after a street was given to another nurse, added or removed, or a
    card's address changed (`cards`, a queryset or list of them). A visit handed over by
    hand keeps its nurse. Each visit moved is audited as handed to another nurse, by who
    changed the map or the address. Returns how many moved."""
    visits = PlannedVisit.objects.filter(facility_id=facility_id, status=PlanStatus.PLANNED,
                                         assigned_by_hand=False)
    if cards is not None:
        visits = visits.filter(card__in=cards)
    street = Subquery(PatientCard.objects.filter(pk=OuterRef(OuterRef("card_id")))
                      .values("street"))
    mapped = Subquery(_street_nurses(OuterRef("facility_id"), Trim(street))[:1])
    moving = list(visits.annotate(mapped=mapped).filter(
        ~Q(nurse_id=F("mapped")) | Q(nurse__isnull=False, mapped__isnull=True))
        .values_list("pk", "public_id", "card__med_id", "mapped"))
    if not moving:
        return 0
    with transaction.atomic():
        for nurse in {row[3] for row in moving}:
            # Not one handed over by hand or made meanwhile.
            visits.filter(pk__in=[row[0] for row in moving if row[3] == nurse]).update(
                nurse_id=nurse)
        record_list_event(actor=actor, action=AuditAction.UPDATE, object_type=VISIT_OBJECT,
                          shown=[(row[1], row[2]) for row in moving],
                          reason=_("Home visits follow the nurses' streets"))
    return len(moving)


def map_street(*, actor: User, assignment: StreetAssignment) -> StreetAssignment:
    """Give a street of a polyclinic to a nurse, or change it: its visits still planned go
    to her (follow_street_map), in the same transaction."""
    with transaction.atomic():
        before = StreetAssignment.objects.filter(pk=assignment.pk).values_list(
            "facility_id", flat=True).first() if assignment.pk else None
        assignment.save()
        for facility_id in {before, assignment.facility_id} - {None}:
            follow_street_map(actor=actor, facility_id=facility_id)
    return assignment


def unmap_streets(*, actor: User, assignments) -> None:
    """Take streets off the map: their visits still planned go to the nurse of a shorter
    street that still covers them, or to nobody until the polyclinic assigns one."""
    with transaction.atomic():
        facilities = {assignment.facility_id for assignment in assignments}
        for assignment in assignments:
            assignment.delete()
        for facility_id in facilities:
            follow_street_map(actor=actor, facility_id=facility_id)


def follow_attachment(*, actor: User | None, card: PatientCard) -> None:
    """A card attached to another polyclinic: its visits still planned are that polyclinic's
    now, for the nurse of its street there (those handed over by hand too: the hand was the
    old polyclinic's). Not attached anywhere, they stay where they were planned."""
    if card.attached_facility_id is None:
        return
    open_visits = PlannedVisit.objects.filter(card=card, status=PlanStatus.PLANNED)
    if not open_visits.exclude(facility_id=card.attached_facility_id).exists():
        return
    open_visits.update(facility_id=card.attached_facility_id, assigned_by_hand=False)
    follow_street_map(actor=actor, facility_id=card.attached_facility_id, cards=[card])


def _plan(card: PatientCard, reason: str, dues: list[Due], *, replace_from: date | None = None
          ) -> int:
    """Plan these visits for the card; with `replace_from`, first drop the reason's visits
    still planned from that day that the new plan no longer has (a changed risk group, an
    ended pregnancy). The nurse of each is the one of the card's street. Returns how many
    were new."""
    if replace_from is not None:
        (PlannedVisit.objects.filter(card=card, reason=reason, status=PlanStatus.PLANNED,
                                     due_on__gte=replace_from)
         .exclude(due_on__in=[due.due_on for due in dues]).delete())
    if not dues or not card.attached_facility_id or card.status == CardStatus.MERGED:
        return 0
    nurse = nurse_for_street(card.attached_facility_id, card.street)
    created = PlannedVisit.objects.bulk_create(
        [PlannedVisit(card=card, reason=reason, due_on=due.due_on,
                      overdue_after=due.overdue_after, facility_id=card.attached_facility_id,
                      nurse_id=nurse) for due in dues],
        ignore_conflicts=True)
    return len([visit for visit in created if visit.pk])


def _rules(reason: str, risk_group: str = ""):
    return VisitRule.objects.filter(reason=reason, risk_group=risk_group, is_active=True)


def newborn_anchor(newborn: Newborn) -> date | None:
    """The day a newborn's home visits count from: its discharge home from the maternity;
    none yet while a baby born in a maternity has not gone home (no visit falls due, nor
    overdue, while it is still there); its birth when it was born elsewhere (at home, in
    a polyclinic), where there is no discharge to wait for."""
    if newborn.discharged_on:
        return newborn.discharged_on
    return None if newborn.pregnancy.at_maternity else newborn.born_on


def plan_newborn(newborn: Newborn) -> int:
    """A newborn's home visits from its anchor (above). Run again when the discharge is
    recorded or corrected: the visits still planned that the new plan no longer has are
    dropped, those made are kept, none is doubled."""
    # Read afresh: the card object of the birth predates its attachment to the polyclinic.
    card = PatientCard.objects.get(pk=newborn.card_id)
    anchor = newborn_anchor(newborn)
    dues = [] if anchor is None else due_dates(_rules(Reason.NEWBORN), anchor)
    with transaction.atomic():
        return _plan(card, Reason.NEWBORN, dues, replace_from=newborn.born_on)


def plan_pregnancy(pregnancy: Pregnancy) -> int:
    """An open pregnancy's visits by its risk group, from its registration to the expected
    delivery; after a change of risk group the visits still ahead follow the new group,
    and once it has ended none is left ahead."""
    today = timezone.localdate()
    dues = [] if pregnancy.outcome else due_dates(
        _rules(Reason.PREGNANCY, pregnancy.risk_group),
        timezone.localdate(pregnancy.created_at), end=pregnancy.edd)
    with transaction.atomic():
        return _plan(pregnancy.card, Reason.PREGNANCY,
                     [due for due in dues if due.due_on >= today], replace_from=today)


def plan_listing(listing: CareListing, today: date | None = None) -> int:
    """A listed person's visits for the current year of the listing (counted from each
    anniversary of the day they were listed), none after they were taken off."""
    today = today or timezone.localdate()
    years = max(0, (today.year - listing.listed_on.year)
                - (today.timetuple().tm_yday < listing.listed_on.timetuple().tm_yday))
    anchor = add_months(listing.listed_on, 12 * years)
    dues = [] if listing.ended_on else [
        due for due in due_dates(_rules(listing.kind), anchor) if due.due_on >= today]
    with transaction.atomic():
        return _plan(listing.card, listing.kind, dues, replace_from=today)


def keep_listing(*, actor: User, listing: CareListing) -> CareListing:
    """Put a person on the disabled or bedridden list, or change or end their listing (the
    administrators keep the lists): saved with its audit row, and its plan follows (the
    post_save receiver) in the same transaction."""
    creating = listing.pk is None
    if creating:
        listing.added_by = actor
    with transaction.atomic():
        listing.save()
        record_audit_event(actor=actor,
                           action=AuditAction.CREATE if creating else AuditAction.UPDATE,
                           object_type=LISTING_OBJECT, object_id=str(listing.pk),
                           patient_med_id=listing.card.med_id)
    return listing


def refresh_lists(today: date | None = None) -> int:
    """The nightly run: every open listing's plan for its current year (idempotent)."""
    listings = CareListing.objects.filter(ended_on__isnull=True).select_related("card")
    return sum(plan_listing(listing, today) for listing in listings.iterator(chunk_size=500))


def _staff_of(user: User, facility_id: int, roles) -> StaffRecord:
    record = acting_staff_record(user)
    if user.role not in roles or record is None or record.facility_id != facility_id:
        raise PermissionDenied(_("Only staff of the visit's polyclinic do this."))
    return record


def reassign(*, actor: User, public_id: UUID, nurse: User | None) -> PlannedVisit:
    """Hand a planned visit to another nurse of its polyclinic, by hand: later runs of the
    plan keep her."""
    planned = PlannedVisit.objects.select_related("card").filter(public_id=public_id).first()
    if planned is None:
        raise Http404
    _staff_of(actor, planned.facility_id, ASSIGNERS)
    if nurse is None or nurse.role != Role.NURSE or \
            not works_at(nurse, planned.facility_id, Role.NURSE):
        raise ValidationError({"nurse": [_("Choose a nurse of this polyclinic.")]})
    with transaction.atomic():
        planned.nurse, planned.assigned_by_hand = nurse, True
        planned.save(update_fields=["nurse", "assigned_by_hand"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=VISIT_OBJECT,
                           object_id=str(planned.public_id), patient_med_id=planned.card.med_id,
                           reason=_("Home visit handed to another nurse"))
    return planned


def canonical_content(visit: HomeVisit, signs) -> bytes:
    """The signed form of a home visit: every recorded fact in a fixed order and spelling
    (as clinics.visits signs a polyclinic visit)."""
    content = {
        "visit": str(visit.public_id),
        "planned": str(visit.planned.public_id),
        "med_id": visit.planned.card.med_id,
        "nurse": visit.nurse.username,
        "visited_at": visit.visited_at.isoformat(),
        **{name: None if getattr(visit, name) is None else str(getattr(visit, name))
           for name in VITAL_FIELDS},
        **{name: getattr(visit, name) for name in TEXT_FIELDS},
        "warning_signs": sorted(sign.code for sign in signs),
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def content_digest(visit: HomeVisit, signs) -> str:
    return hashlib.sha256(canonical_content(visit, signs)).hexdigest()


def _planned_for_visit(actor: User, public_id: UUID) -> PlannedVisit:
    """The planned visit a nurse of its polyclinic records, or a refusal: 404 for those
    who have no business knowing it exists, 403 for staff of another polyclinic."""
    planned = (PlannedVisit.objects.select_related("card", "card__attached_facility")
               .filter(public_id=public_id).first())
    if planned is None or actor.role not in FACILITY_ROLES:
        raise Http404
    if actor.role != Role.NURSE:
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=VISIT_OBJECT,
                           object_id=str(public_id), patient_med_id=planned.card.med_id,
                           allowed=False)
        raise PermissionDenied(_("Home visits are recorded by patronage nurses."))
    record = acting_staff_record(actor)
    if record is None or record.facility_id != planned.facility_id:
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=VISIT_OBJECT,
                           object_id=str(public_id), patient_med_id=planned.card.med_id,
                           allowed=False)
        raise PermissionDenied(_("This visit is planned by another polyclinic."))
    record_access(actor, planned.card, object_type=VISIT_OBJECT, object_id=str(public_id),
                  action=AuditAction.CREATE, record_success=False)
    return planned


def _check(planned: PlannedVisit, fields: dict, signs) -> None:
    errors: dict[str, list] = {}
    systolic, diastolic = fields.get("systolic"), fields.get("diastolic")
    if (systolic is None) != (diastolic is None):
        errors["systolic"] = [_("Give both pressures, or neither.")]
    elif systolic is not None and systolic <= diastolic:
        errors["systolic"] = [_("The upper pressure is above the lower one.")]
    if fields.get("feeding") and planned.reason != Reason.NEWBORN:
        errors["feeding"] = [_("Feeding is recorded for newborns.")]
    wrong = [sign.name for sign in signs if sign.reason not in ("", planned.reason)]
    if wrong:
        errors["warning_signs"] = [_("Not asked at this visit: %(signs)s.")
                                   % {"signs": ", ".join(wrong)}]
    if errors:
        raise ValidationError(errors)


def record_visit(*, actor: User, public_id: UUID, idempotency_key: UUID,
                 warning_signs=(), **fields) -> tuple[HomeVisit, bool]:
    """The nurse records the visit at the door, sealed with its digest. A submission
    sent again with the same idempotency key (a queue replayed after the connection came
    back) returns the visit already recorded, with False; nothing is written twice."""
    planned = _planned_for_visit(actor, public_id)
    existing = _replayed(actor, planned, idempotency_key)
    if existing is not None:
        return existing, False
    signs = list(warning_signs)
    _check(planned, fields, signs)
    try:
        with transaction.atomic():
            locked = PlannedVisit.objects.select_for_update().get(pk=planned.pk)
            if locked.status == PlanStatus.DONE:
                raise ValidationError({"visit": [_("This visit is already recorded.")]})
            visit = HomeVisit(planned=planned, idempotency_key=idempotency_key, nurse=actor,
                              visited_at=timezone.now(), **fields)
            visit.content_digest = content_digest(visit, signs)
            visit.save(force_insert=True)
            visit.warning_signs.set(signs)
            locked.status = PlanStatus.DONE
            locked.save(update_fields=["status"])
            record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=VISIT_OBJECT,
                               object_id=str(planned.public_id),
                               patient_med_id=planned.card.med_id,
                               reason=_("Home visit recorded and signed"))
    except IntegrityError:
        # The same submission raced in on another connection and won.
        existing = _replayed(actor, planned, idempotency_key)
        if existing is None:
            raise
        return existing, False
    return visit, True


def _replayed(actor: User, planned: PlannedVisit, key: UUID) -> HomeVisit | None:
    existing = HomeVisit.objects.filter(idempotency_key=key).select_related("planned").first()
    if existing is None:
        return None
    if existing.planned_id != planned.pk or existing.nurse_id != actor.pk:
        raise ValidationError({"idempotency_key": [_("This key belongs to another visit.")]})
    return existing


def move_to_merged_card(*, source: PatientCard, target: PatientCard) -> None:
    """A card merged into another takes its home visits and listings along (inside the
    merge's transaction, from the patients.signals.card_merged receiver). Where both cards
    have a visit for one reason and day, the one made is kept (the other card's planned
    one dropped); where both were made, the source's stays on the merged card, in its
    history; so does a listing the target already has."""
    same_day = {"card": target, "reason": OuterRef("reason"), "due_on": OuterRef("due_on")}
    PlannedVisit.objects.filter(card=target, status=PlanStatus.PLANNED).filter(Exists(
        PlannedVisit.objects.filter(card=source, status=PlanStatus.DONE,
                                    reason=OuterRef("reason"), due_on=OuterRef("due_on")))
    ).delete()
    PlannedVisit.objects.filter(card=source, status=PlanStatus.PLANNED).filter(
        Exists(PlannedVisit.objects.filter(**same_day))).delete()
    (PlannedVisit.objects.filter(card=source)
     .exclude(Exists(PlannedVisit.objects.filter(**same_day))).update(card=target))
    listed = CareListing.objects.filter(card=target, ended_on__isnull=True).values("kind")
    CareListing.objects.filter(card=source).exclude(kind__in=listed).update(card=target)


def warning_signs_for(reason: str):
    """The checklist asked at a visit of this reason."""
    return WarningSign.objects.filter(is_active=True, reason__in=("", reason))
