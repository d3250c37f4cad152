"""Reads of visits that people see: scoped through the card they belong to, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from clinics.visits.models import (
    VITAL_RANGES,
    Visit,
    VisitAddendum,
    VisitDiagnosis,
    VisitDraft,
    VisitStatus,
)
from dmed.audit import record_list_event
from dmed.models import AuditAction, User
from dmed.paging import PAGE_SIZE, Page, keyset_page
from dmed.worklists import Worklist, worklist
from patients.access import (
    CARING_ROLES,
    Section,
    SectionDenied,
    card_for,
    of_card,
    record_access,
    sees,
    visible_cards,
)
from registry.selectors import acting_staff_record

VISIT_OBJECT = "clinics.visit"
# The visit's clinical record being written: needs the clinical text, not only the visit.
VISIT_RECORD_OBJECT = "clinics.visit_record"
# A visit's vital signs read on their own (a FHIR Observation): part of its clinical record.
VITALS_OBJECT = "clinics.vital_signs"
# A visit's or a stay's diagnoses read on their own (a FHIR Condition): the diagnoses
# section, as the pages and the API show them.
DIAGNOSIS_OBJECT = "clinics.diagnosis"

VITAL_LABELS = {"pulse": _("pulse"), "temperature": _("temperature"), "spo2": _("SpO2"),
                "weight": _("weight"), "height": _("height")}


def _visits():
    return Visit.objects.select_related("card", "facility", "department", "clinician")


def _with_details(visits):
    return visits.prefetch_related(
        Prefetch("diagnoses", VisitDiagnosis.objects.select_related("code")),
        Prefetch("addenda", VisitAddendum.objects.select_related("author")),
    )


def load_visit(public_id, *, for_update: bool = False) -> Visit:
    """The visit by its public id, unscoped: callers check access next. 404 if unknown."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404 from error
    visits = _visits()
    if for_update:
        visits = visits.select_for_update(of=("self",))
    try:
        return visits.get(public_id=public_id)
    except Visit.DoesNotExist as missing:
        raise Http404 from missing


def visit_for(user: User, public_id, *, object_type: str = VISIT_OBJECT) -> Visit:
    """Load a visit with its diagnoses and addenda if the user may open its card; audit."""
    visit = load_visit(public_id)
    record_access(user, visit.card, object_type=object_type, object_id=visit.public_id)
    return _with_details(_visits()).get(pk=visit.pk)


def with_details(visit: Visit) -> Visit:
    """The visit just written, read again with what its answer shows (already audited)."""
    return _with_details(_visits()).get(pk=visit.pk)


def _page(visits, *, cursor: str | None, limit: int) -> Page:
    return keyset_page(_with_details(visits), order=("-opened_at", "-pk"), cursor=cursor,
                       limit=limit)


def visits_of_card(user: User, med_id: str, *, cursor: str | None = None,
                   limit: int = PAGE_SIZE) -> Page:
    """A card's visits, newest first, for whoever may open the card (audited as a list)."""
    access = card_for(user, med_id, action=AuditAction.LIST, object_type=VISIT_OBJECT)
    visits = _visits().filter(of_card(access.card))
    return _page(visits, cursor=cursor, limit=limit)


def facility_visits(user: User, *, status: str = "", cursor: str | None = None,
                    limit: int = PAGE_SIZE) -> Page:
    """Visits at the user's facility of patients the user may still open, newest first."""
    record = acting_staff_record(user)
    if record is None:
        raise PermissionDenied(_("Only staff of a facility see its visits."))
    if not sees(user, Section.APPOINTMENTS):
        raise SectionDenied
    visits = _visits().filter(facility=record.facility, card__in=visible_cards(user))
    if status:
        visits = visits.filter(status=status)
    page = _page(visits, cursor=cursor, limit=limit)
    record_list_event(actor=user, object_type=VISIT_OBJECT, list_id=record.facility.code,
                      shown=[(visit.public_id, visit.card.med_id) for visit in page.results],
                      reason=status)
    return page


def cards_with_open_visit(user: User, record) -> object:
    """The care relation of visits (patients.access): a clinician or nurse treats the
    patients with an open visit at their facility; registrars do not by that alone."""
    if user.role not in CARING_ROLES:
        return Visit.objects.none().values("card_id")
    return Visit.objects.filter(facility_id=record.facility_id,
                                status=VisitStatus.OPEN).values("card_id")


@dataclass(frozen=True)
class LastVitals:
    measured_at: object  # the visit's opening, an aware datetime
    values: list[tuple[str, str]]  # (label, value with unit), in the form's order


def last_vitals(card) -> LastVitals | None:
    """The most recent vitals measured at a visit of the card, for the clinical banner
    (one query): the hook settings.CLINICAL_BANNER_SOURCES names."""
    measured = Q()
    for vital in VITAL_RANGES:
        measured |= Q(**{f"{vital.field}__isnull": False})
    fields = [vital.field for vital in VITAL_RANGES]
    visit = (Visit.objects.filter(of_card(card), measured)
             .order_by("-opened_at", "-pk").only("opened_at", "bmi", *fields).first())
    if visit is None:
        return None
    values = []
    if visit.bp_systolic is not None:
        values.append((_("BP"), f"{visit.bp_systolic}/{visit.bp_diastolic} {_('mmHg')}"))
    for vital in VITAL_RANGES:
        value = getattr(visit, vital.field)
        if value is not None and not vital.field.startswith("bp_"):
            values.append((VITAL_LABELS[vital.field], f"{value} {vital.unit}"))
    if visit.bmi is not None:
        values.append((_("BMI"), str(visit.bmi)))
    return LastVitals(measured_at=visit.opened_at, values=values)


def draft_of(user: User, visit: Visit):
    """The user's unsaved draft of this visit (already opened through visit_for), if any."""
    if not visit.is_open:
        return None
    return VisitDraft.objects.filter(visit=visit, author=user).first()


# --- the worklists of the role home pages (home/) ---

# A visit whose vitals nobody has measured yet: blood pressure, pulse and temperature empty.
WITHOUT_VITALS = Q(bp_systolic__isnull=True, pulse__isnull=True, temperature__isnull=True)


def _listed(user: User, visits, *, list_id: str, reason: str, cursor: str | None) -> Worklist:
    listed = worklist(visits.select_related("card"), order=("-opened_at", "-pk"),
                      cursor=cursor)
    record_list_event(actor=user, object_type=VISIT_OBJECT, list_id=list_id,
                      shown=[(visit.public_id, visit.card.med_id) for visit in listed.rows],
                      reason=reason)
    return listed


def _caring_record(user: User):
    record = acting_staff_record(user)
    if user.role not in CARING_ROLES or record is None:
        raise PermissionDenied(_("Only staff of a facility see its visits."))
    return record


def my_open_visits(user: User, *, cursor: str | None = None) -> Worklist:
    """The clinician's own visits at the facility they act for that are still open, that
    is not yet closed and signed, newest first."""
    record = _caring_record(user)
    return _listed(user, Visit.objects.filter(clinician=user, facility_id=record.facility_id,
                                              status=VisitStatus.OPEN),
                   list_id=record.facility.code, reason="open", cursor=cursor)


def visits_needing_vitals(user: User, *, cursor: str | None = None) -> Worklist:
    """Open visits at the facility whose vitals are not measured yet, for the nurse."""
    record = _caring_record(user)
    return _listed(user, Visit.objects.filter(WITHOUT_VITALS, facility_id=record.facility_id,
                                              status=VisitStatus.OPEN),
                   list_id=record.facility.code, reason="vitals due", cursor=cursor)
