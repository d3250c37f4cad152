"""Every write to a hospital stay: one transaction each, with its audit event.

Bed rules are held by the database (one patient per bed at a time, one current bed per
stay, one current stay per person); these functions turn its refusals into messages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.coding.models import Icd10Code
from clinics.stays.models import Bed, BedOccupancy, Stay, StayDiagnosis, StayNote, StayStatus
from clinics.stays.selectors import STAY_OBJECT, load_bed, load_stay
from clinics.visits.models import DiagnosisKind
from clinics.visits.services import clean_diagnoses
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from patients.access import CARING_ROLES, card_for, check_card_access
from patients.models import PatientCard
from registry.selectors import acting_staff_record

MAX_TEXT = 20_000
BED_TAKEN = "occupancy_bed_not_shared"
ALREADY_IN = "stay_one_current_per_card"


def _staff_record(actor: User, *, roles=(Role.CLINICIAN,)):
    record = acting_staff_record(actor)
    if actor.role not in roles or record is None:
        raise PermissionDenied(_("Only clinicians of the hospital admit, transfer and "
                                 "discharge."))
    return record


def _bed(record, bed: Bed | str) -> Bed:
    try:
        return load_bed(bed.public_id if isinstance(bed, Bed) else bed,
                        facility_id=record.facility_id)
    except Http404 as missing:
        raise ValidationError({"bed": [_("There is no such bed in your hospital.")]}) \
            from missing


def _occupy(stay: Stay, bed: Bed, actor: User, at, reason: str = "") -> BedOccupancy:
    # Two inserts racing for one bed each see the other's uncommitted index entry and wait
    # on it, which PostgreSQL ends as a deadlock (a 500). Taking the bed row first makes the
    # second wait for the first to commit, so the exclusion constraint refuses it plainly.
    Bed.objects.select_for_update(no_key=True).filter(pk=bed.pk).values_list("pk").get()
    try:
        with transaction.atomic():
            return BedOccupancy.objects.create(stay=stay, bed=bed, started_at=at,
                                               moved_by=actor, reason=reason[:300])
    except IntegrityError as error:
        if BED_TAKEN in str(error):
            raise ValidationError({"bed": [_("Bed %(bed)s is taken; choose another.")
                                           % {"bed": bed}]}, code="bed_taken") from error
        raise


def _diagnosis_code(code: str) -> Icd10Code:
    found = Icd10Code.objects.filter(code=(code or "").strip().upper()).first()
    if found is None:
        raise ValidationError({"admitting_diagnosis": [_("%(code)s is not an ICD-10 code.")
                                                       % {"code": code or "—"}]})
    return found


def admit(actor: User, card: PatientCard | str, *, bed: Bed | str,
          admitting_diagnosis: str, note: str = "") -> Stay:
    """Admit a patient the clinician may open to a free bed of the clinician's hospital."""
    record = _staff_record(actor)
    med_id = card if isinstance(card, str) else card.med_id
    access = card_for(actor, med_id, action=AuditAction.CREATE, object_type=STAY_OBJECT,
                      record_success=False)
    bed = _bed(record, bed)
    diagnosis = _diagnosis_code(admitting_diagnosis)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                stay = Stay.objects.create(card=access.card, facility=record.facility,
                                           admitted_at=now, admitted_by=actor,
                                           admitting_diagnosis=diagnosis)
        except IntegrityError as error:
            if ALREADY_IN in str(error):
                raise ValidationError(_("This patient is in hospital already; transfer "
                                        "or discharge that stay first."),
                                      code="already_admitted") from error
            raise
        _occupy(stay, bed, actor, now, _("Admission"))
        if note.strip():
            StayNote.objects.create(stay=stay, author=actor, written_at=now,
                                    text=note.strip()[:MAX_TEXT])
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=STAY_OBJECT,
                           object_id=stay.public_id, patient_med_id=access.card.med_id,
                           break_glass=access.break_glass)
    return stay


def _stay_for_change(actor: User, public_id, *, roles) -> Stay:
    record = _staff_record(actor, roles=roles)
    stay = load_stay(public_id, for_update=True)
    if stay.facility_id != record.facility_id:
        raise PermissionDenied(_("This stay belongs to another hospital."))
    check_card_access(actor, stay.card)
    if not stay.is_current:
        raise ValidationError(_("The patient has been discharged."), code="discharged")
    return stay


def _end_current_bed(stay: Stay, at) -> BedOccupancy | None:
    current = BedOccupancy.objects.select_for_update().filter(stay=stay,
                                                              ended_at__isnull=True).first()
    if current:
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    return current


def transfer(actor: User, public_id, *, bed: Bed | str, reason: str = "") -> Stay:
    """Move the patient to another bed, in this department or another one."""
    with transaction.atomic():
        stay = _stay_for_change(actor, public_id, roles=(Role.CLINICIAN,))
        record = acting_staff_record(actor)
        bed = _bed(record, bed)
        now = timezone.now()
        previous = _end_current_bed(stay, now)
        if previous and previous.bed_id == bed.pk:
            raise ValidationError({"bed": [_("The patient is in this bed already.")]})
        _occupy(stay, bed, actor, now, reason or _("Transfer"))
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=STAY_OBJECT,
                           object_id=stay.public_id, patient_med_id=stay.card.med_id,
                           reason=_("Transfer to %(bed)s") % {"bed": bed})
    return stay


def add_note(actor: User, public_id, *, text: str) -> StayNote:
    """A daily note by a clinician or nurse of the hospital."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    with transaction.atomic():
        stay = _stay_for_change(actor, public_id, roles=CARING_ROLES)
        note = StayNote.objects.create(stay=stay, author=actor, text=text[:MAX_TEXT])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=STAY_OBJECT,
                           object_id=stay.public_id, patient_med_id=stay.card.med_id,
                           reason=_("Daily note"))
    return note


def discharge(actor: User, public_id, *, summary: str, diagnoses: list[dict]) -> Stay:
    """Discharge with a summary and the final diagnoses (exactly one primary)."""
    errors = {}
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = [_("Write the discharge summary.")]
    try:
        final = clean_diagnoses(diagnoses)
    except ValidationError as error:
        errors.update(error.message_dict)
        final = []
    if "diagnoses" not in errors and [d.kind for d in final].count(DiagnosisKind.PRIMARY) != 1:
        errors["diagnoses"] = [_("Give the primary final diagnosis.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stay = _stay_for_change(actor, public_id, roles=(Role.CLINICIAN,))
        now = timezone.now()
        _end_current_bed(stay, now)
        StayDiagnosis.objects.bulk_create(
            StayDiagnosis(stay=stay, code_id=d.code_id, kind=d.kind) for d in final)
        stay.status = StayStatus.DISCHARGED
        stay.discharged_at = now
        stay.discharged_by = actor
        stay.discharge_summary = summary[:MAX_TEXT]
        stay.save(update_fields=["status", "discharged_at", "discharged_by",
                                 "discharge_summary"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=STAY_OBJECT,
                           object_id=stay.public_id, patient_med_id=stay.card.med_id,
                           reason=_("Discharged"))
    return stay
