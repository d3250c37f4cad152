"""Every write to a visit: one transaction each, with its audit event.

The rules of a visit live here (who may open, record, close, add to it; which vitals
and diagnoses are acceptable); the database repeats the ones it can hold (ranges, one
primary diagnosis, a closed visit is final), so a bug here cannot corrupt the record.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.coding.models import Icd10Code
from clinics.visits.models import (
    VITAL_RANGES,
    DiagnosisKind,
    Visit,
    VisitAddendum,
    VisitDiagnosis,
    VisitDraft,
    VisitStatus,
)
from clinics.visits.selectors import VISIT_OBJECT, load_visit
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from patients.access import CARING_ROLES, card_for, check_card_access
from patients.models import PatientCard
from registry.models import Department, StaffRecord
from registry.selectors import acting_staff_record

ADDENDUM_OBJECT = "clinics.visit_addendum"
DRAFT_OBJECT = "clinics.visit_draft"
# Drafts saved closer together than this are one sitting at the form, audited once.
DRAFT_SITTING = timedelta(minutes=15)
NARRATIVE_FIELDS = ("complaints", "history", "examination", "plan", "recommendations")
VITAL_FIELDS = tuple(vital.field for vital in VITAL_RANGES)
MAX_DIAGNOSES = 12
MAX_TEXT = 10_000
# What a draft keeps: the visit form's fields as typed, diagnoses included.
DRAFT_FIELDS = (*NARRATIVE_FIELDS, *VITAL_FIELDS, "primary_diagnosis", "secondary_diagnoses")
# A protocol template marks what the clinician must fill in as [[…]] (clinics.coding's
# protocols): a visit holding one is not sealed.
PLACEHOLDER = re.compile(r"\[\[[^\[\]]*\]\]")


def _staff_record(actor: User, *, roles=(Role.CLINICIAN,)) -> StaffRecord:
    record = acting_staff_record(actor)
    if actor.role not in roles or record is None:
        raise PermissionDenied(_("Only clinicians at a facility record visits."))
    return record


def _department_here(record: StaffRecord, department: Department | str | None):
    if not department:
        return record.department
    code = department if isinstance(department, str) else department.code
    if isinstance(department, Department) and department.facility_id == record.facility_id:
        return department
    found = Department.objects.filter(facility_id=record.facility_id, code=code).first()
    if found is None:
        raise ValidationError({"department": [_("There is no such department at your "
                                                "facility.")]})
    return found


def open_visit(actor: User, card: PatientCard | str, *,
               department: Department | str | None = None, complaints: str = "") -> Visit:
    """Open a visit of this card at the clinician's facility, or return their open one.

    `card` is a card or its MED-ID, `department` one of the facility's departments or its
    code. Called from the card page, the API and the queue desk when a ticket is called:
    calling twice gives the same open visit.
    """
    record = _staff_record(actor)
    med_id = card if isinstance(card, str) else card.med_id
    access = card_for(actor, med_id, action=AuditAction.CREATE, object_type=VISIT_OBJECT,
                      record_success=False)
    department = _department_here(record, department)
    with transaction.atomic():
        visit = (Visit.objects.select_for_update()
                 .filter(card=access.card, facility=record.facility, clinician=actor,
                         status=VisitStatus.OPEN).first())
        if visit is None:
            try:
                with transaction.atomic():
                    visit = Visit.objects.create(
                        card=access.card, facility=record.facility, clinician=actor,
                        department=department,
                        complaints=complaints.strip()[:MAX_TEXT])
            except IntegrityError:
                # The same clinician opened it a moment ago (a double click, the queue).
                visit = Visit.objects.get(card=access.card, facility=record.facility,
                                          clinician=actor, status=VisitStatus.OPEN)
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=VISIT_OBJECT,
                           object_id=visit.public_id, patient_med_id=access.card.med_id,
                           break_glass=access.break_glass)
    visit.card = access.card
    return visit


def _visit_for_change(actor: User, public_id, *, roles) -> Visit:
    """Lock an open visit of the actor's facility that the actor may still reach."""
    record = _staff_record(actor, roles=roles)
    visit = load_visit(public_id, for_update=True)
    if visit.facility_id != record.facility_id:
        raise PermissionDenied(_("This visit belongs to another facility."))
    check_card_access(actor, visit.card)
    return visit


def _refuse_closed(visit: Visit) -> None:
    if not visit.is_open:
        raise ValidationError(_("This visit is closed and signed; write an addendum instead."),
                              code="visit_closed")


def clean_vitals(values: dict) -> dict:
    """Vitals as numbers within physiological bounds; every problem named per field."""
    cleaned, errors = {}, {}
    for vital in VITAL_RANGES:
        if vital.field not in values:
            continue
        value = values[vital.field]
        if value in (None, ""):
            cleaned[vital.field] = None
            continue
        try:
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            errors[vital.field] = [_("Enter a number.")]
            continue
        if isinstance(vital.low, int) and number != number.to_integral_value():
            errors[vital.field] = [_("Enter a whole number.")]
            continue
        if not vital.low <= number <= vital.high:
            errors[vital.field] = [_("%(low)s–%(high)s %(unit)s is the possible range; "
                                     "check the value.")
                                   % {"low": vital.low, "high": vital.high, "unit": vital.unit}]
            continue
        cleaned[vital.field] = int(number) if isinstance(vital.low, int) else number.quantize(
            Decimal("0.1"))
    return cleaned, errors


def _check_blood_pressure(vitals: dict, visit: Visit, errors: dict) -> None:
    systolic = vitals.get("bp_systolic", visit.bp_systolic)
    diastolic = vitals.get("bp_diastolic", visit.bp_diastolic)
    if "bp_systolic" in errors or "bp_diastolic" in errors:
        return
    if (systolic is None) != (diastolic is None):
        missing = "bp_diastolic" if diastolic is None else "bp_systolic"
        errors[missing] = [_("Enter both numbers of the blood pressure.")]
    elif systolic is not None and systolic <= diastolic:
        errors["bp_diastolic"] = [_("The diastolic pressure must be below the systolic.")]


def clean_diagnoses(diagnoses: list[dict]) -> list[VisitDiagnosis]:
    """At most one primary, each code once, every code in the catalogue."""
    errors = []
    if len(diagnoses) > MAX_DIAGNOSES:
        raise ValidationError({"diagnoses": [_("At most %(count)s diagnoses.")
                                             % {"count": MAX_DIAGNOSES}]})
    codes = [str(d.get("code", "")).strip().upper() for d in diagnoses]
    known = set(Icd10Code.objects.filter(code__in=codes).values_list("code", flat=True))
    for code in codes:
        if code not in known:
            errors.append(_("%(code)s is not an ICD-10 code.") % {"code": code or "—"})
    if len(set(codes)) != len(codes):
        errors.append(_("Each diagnosis may be given once."))
    kinds = [d.get("kind") for d in diagnoses]
    if any(kind not in DiagnosisKind.values for kind in kinds):
        errors.append(_("A diagnosis is primary or secondary."))
    if kinds.count(DiagnosisKind.PRIMARY) > 1:
        errors.append(_("Only one diagnosis can be primary."))
    if errors:
        raise ValidationError({"diagnoses": errors})
    return [VisitDiagnosis(code_id=code, kind=d["kind"], note=str(d.get("note", ""))[:300])
            for code, d in zip(codes, diagnoses, strict=True)]


def record_visit(actor: User, public_id, *, diagnoses: list[dict] | None = None,
                 **fields) -> Visit:
    """Save what was found so far: narrative, vitals, and (clinicians only) diagnoses.

    Fields left out stay as they were; `diagnoses`, when given, replaces the list.
    """
    unknown = set(fields) - set(NARRATIVE_FIELDS) - set(VITAL_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    with transaction.atomic():
        visit = _visit_for_change(actor, public_id, roles=CARING_ROLES)
        _refuse_closed(visit)
        vitals, errors = clean_vitals({k: v for k, v in fields.items() if k in VITAL_FIELDS})
        _check_blood_pressure(vitals, visit, errors)
        new_diagnoses = None
        if diagnoses is not None:
            if actor.role != Role.CLINICIAN:
                errors["diagnoses"] = [_("Only a clinician sets diagnoses.")]
            else:
                try:
                    new_diagnoses = clean_diagnoses(diagnoses)
                except ValidationError as error:
                    errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        for name in NARRATIVE_FIELDS:
            if name in fields:
                setattr(visit, name, (fields[name] or "").strip()[:MAX_TEXT])
        for name, value in vitals.items():
            setattr(visit, name, value)
        visit.save(update_fields=[*(n for n in NARRATIVE_FIELDS if n in fields), *vitals])
        if new_diagnoses is not None:
            visit.diagnoses.all().delete()
            for diagnosis in new_diagnoses:
                diagnosis.visit = visit
            VisitDiagnosis.objects.bulk_create(new_diagnoses)
        # What was typed is saved now: the author's draft of it has served.
        VisitDraft.objects.filter(visit=visit, author=actor).delete()
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=VISIT_OBJECT,
                           object_id=visit.public_id, patient_med_id=visit.card.med_id)
    visit.refresh_from_db(fields=["bmi"])
    return visit


def save_draft(actor: User, public_id, *, fields: dict) -> VisitDraft:
    """Keep what the actor has typed in the visit's form and not saved, as typed (nothing
    is checked but its size: it is not the record until saved)."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    kept = {name: str(value)[:MAX_TEXT] for name, value in fields.items()}
    with transaction.atomic():
        visit = _visit_for_change(actor, public_id, roles=CARING_ROLES)
        _refuse_closed(visit)
        before = (VisitDraft.objects.filter(visit=visit, author=actor)
                  .values_list("saved_at", flat=True).first())
        draft, _created = VisitDraft.objects.update_or_create(
            visit=visit, author=actor, defaults={"fields": kept, "saved_at": timezone.now()})
        # One audit row per sitting: the form saves every few seconds of idle typing, and a
        # row each time would bury the patient's access log under one visit's drafts.
        if before is None or draft.saved_at - before > DRAFT_SITTING:
            record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=DRAFT_OBJECT,
                               object_id=visit.public_id, patient_med_id=visit.card.med_id)
    return draft


def discard_draft(actor: User, public_id) -> None:
    """The actor throws away what they typed and did not save."""
    with transaction.atomic():
        visit = _visit_for_change(actor, public_id, roles=CARING_ROLES)
        deleted, _rows = VisitDraft.objects.filter(visit=visit, author=actor).delete()
        if deleted:
            record_audit_event(actor=actor, action=AuditAction.UPDATE,
                               object_type=DRAFT_OBJECT, object_id=visit.public_id,
                               patient_med_id=visit.card.med_id,
                               reason=_("Unsaved draft discarded"))


def canonical_content(visit: Visit, diagnoses=None) -> bytes:
    """The signed form of a visit: every recorded fact in a fixed order and spelling.
    `diagnoses`: the visit's diagnoses when the caller holds them (a bulk generator that
    has not read them back); by default they are read."""
    diagnoses = visit.diagnoses.all() if diagnoses is None else diagnoses
    content = {
        "visit": str(visit.public_id),
        "med_id": visit.card.med_id,
        "facility": visit.facility.code,
        "clinician": visit.clinician.username,
        "opened_at": visit.opened_at.isoformat(),
        "closed_at": visit.closed_at.isoformat() if visit.closed_at else None,
        **{name: getattr(visit, name) for name in NARRATIVE_FIELDS},
        **{name: None if getattr(visit, name) is None else str(getattr(visit, name))
           for name in VITAL_FIELDS},
        "diagnoses": sorted([d.kind, d.code_id, d.note] for d in diagnoses),
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


def content_digest(visit: Visit, diagnoses=None) -> str:
    return hashlib.sha256(canonical_content(visit, diagnoses)).hexdigest()


def check_sealable(visit: Visit) -> None:
    """What must hold before a visit is sealed, every problem named per field: a primary
    diagnosis, and no placeholder of a protocol's template (PLACEHOLDER) left unfilled."""
    errors: dict[str, list] = {}
    for name in NARRATIVE_FIELDS:
        left = PLACEHOLDER.findall(getattr(visit, name))
        if left:
            errors[name] = [_("Fill in or delete what the template left to fill: %(places)s.")
                            % {"places": ", ".join(dict.fromkeys(left))}]
    primaries = [d for d in visit.diagnoses.all() if d.kind == DiagnosisKind.PRIMARY]
    if len(primaries) != 1:
        errors["diagnoses"] = [_("Give the primary diagnosis before closing the visit.")]
    if errors:
        raise ValidationError(errors)


def close_visit(actor: User, public_id) -> Visit:
    """Close and sign: the clinician who holds the visit seals it with its digest."""
    with transaction.atomic():
        visit = _visit_for_change(actor, public_id, roles=(Role.CLINICIAN,))
        _refuse_closed(visit)
        if visit.clinician_id != actor.pk:
            raise PermissionDenied(_("Only the clinician who holds the visit signs it."))
        check_sealable(visit)
        visit.status = VisitStatus.CLOSED
        visit.closed_at = timezone.now()
        visit.content_digest = content_digest(visit)
        visit.save(update_fields=["status", "closed_at", "content_digest"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=VISIT_OBJECT,
                           object_id=visit.public_id, patient_med_id=visit.card.med_id,
                           reason=_("Closed and signed"))
    return visit


def add_addendum(actor: User, public_id, *, text: str) -> VisitAddendum:
    """A correction to a closed visit, by a clinician of its facility; never changed."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write what the addendum corrects or adds.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("At most %(count)s characters.")
                                        % {"count": MAX_TEXT}]})
    with transaction.atomic():
        visit = _visit_for_change(actor, public_id, roles=(Role.CLINICIAN,))
        if visit.is_open:
            raise ValidationError(_("This visit is still open: change it directly."),
                                  code="visit_open")
        addendum = VisitAddendum.objects.create(visit=visit, author=actor, text=text)
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=ADDENDUM_OBJECT,
                           object_id=addendum.public_id, patient_med_id=visit.card.med_id)
    return addendum
