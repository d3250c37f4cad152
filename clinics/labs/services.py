"""Every write of the laboratory: orders, result entry, verification and release, corrections.

Who may do what:
- a clinician or nurse orders tests for a patient in their scope (patients.access);
- a lab technician of the order's laboratory enters results; a laboratory system posts
  them through the API with a lab technician account of that laboratory;
- release is verification: the verifier is recorded on the version. The enterer may
  verify their own routine result (small laboratories work one person a shift), but a
  critical value and a correction of a released result need a second technician: those
  are the results a wrong keystroke makes dangerous.
Orders of another laboratory answer 404 to a technician: their existence must not leak.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.labs.flags import Limits, flag_for, matching_range
from clinics.labs.models import CRITICAL_FLAGS, LabOrder, LabOrderItem, LabResult, LabTest
from clinics.visits.models import Visit, VisitStatus
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from outbox.events import emit
from outbox.kinds import LAB_RESULT_RELEASED
from patients.access import CARING_ROLES
from patients.services import authorise_card_write
from registry.models import Facility, FacilityKind
from registry.selectors import acting_staff_record

ORDER_OBJECT = "clinics.lab_order"
RESULT_OBJECT = "clinics.lab_result"


def _visit_of(actor: User, card, visit_id) -> Visit | None:
    """The visit the order belongs to: the one named (it must be this card's), or else the
    orderer's open visit with this patient, so ordering from the card during a visit links
    them without a step."""
    if visit_id is not None:
        visit = Visit.objects.filter(public_id=visit_id, card=card).first()
        if visit is None:  # a foreign visit is refused, never followed
            raise ValidationError({"visit": [_("This visit is not this patient's.")]})
        return visit
    return (Visit.objects.filter(card=card, clinician=actor, status=VisitStatus.OPEN)
            .order_by("-opened_at").first())


def place_lab_order(*, actor: User, med_id: str, laboratory: Facility, tests: list,
                    priority: str = "routine", clinical_note: str = "",
                    visit_id=None) -> LabOrder:
    """A clinician asks a laboratory for tests; the patient must be in the clinician's scope."""
    if actor.role not in CARING_ROLES:
        raise PermissionDenied(_("Clinicians and nurses order laboratory tests."))
    record = acting_staff_record(actor)
    if record is None:
        raise PermissionDenied(_("You have no active post at a facility."))
    errors = {}
    if laboratory.kind != FacilityKind.LABORATORY or not laboratory.is_active:
        errors["laboratory"] = [_("Choose an active laboratory.")]
    codes = list(dict.fromkeys(getattr(t, "code", t) for t in tests))
    found = {t.code: t for t in LabTest.objects.filter(code__in=codes, is_active=True)}
    if not codes:
        errors["tests"] = [_("Choose at least one test.")]
    elif missing := [code for code in codes if code not in found]:
        errors["tests"] = [_("Unknown or withdrawn tests: %(codes)s.")
                           % {"codes": ", ".join(missing)}]
    if errors:
        raise ValidationError(errors)
    access = authorise_card_write(actor, med_id)
    visit = _visit_of(actor, access.card, visit_id)
    with transaction.atomic():
        order = LabOrder.objects.create(
            card=access.card, ordered_by=actor, ordering_facility=record.facility,
            laboratory=laboratory, priority=priority, clinical_note=clinical_note.strip(),
            visit=visit)
        LabOrderItem.objects.bulk_create(
            [LabOrderItem(order=order, test=found[code]) for code in codes])
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=ORDER_OBJECT,
                           object_id=order.public_id, patient_med_id=access.card.med_id,
                           break_glass=access.break_glass)
    return order


@contextmanager
def _refusal_audited(actor: User, object_type: str, object_id):
    """Open the write's transaction; a refusal is audited after it has rolled back."""
    try:
        with transaction.atomic():
            yield
    except (PermissionDenied, Http404):
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=object_type,
                           object_id=object_id, allowed=False)
        raise


def _laboratory_of(actor: User) -> Facility:
    record = acting_staff_record(actor)
    if actor.role != Role.LAB_TECHNICIAN or record is None:
        raise PermissionDenied(_("Only laboratory technicians enter and release results."))
    return record.facility


def _locked_item(actor: User, order_id, test_code: str) -> LabOrderItem:
    laboratory = _laboratory_of(actor)
    item = (LabOrderItem.objects.select_for_update(of=("self",))
            .select_related("order__card", "test")
            .filter(order__public_id=order_id, order__laboratory=laboratory,
                    test__code=test_code).first())
    if item is None:
        raise Http404
    return item


def _locked_result(actor: User, result_id, order_id=None) -> LabResult:
    """The laboratory's result; with `order_id`, only a result of that order (a page of
    one order posts the id: another order's is refused, never followed)."""
    laboratory = _laboratory_of(actor)
    results = LabResult.objects.filter(public_id=result_id, item__order__laboratory=laboratory)
    if order_id is not None:
        results = results.filter(item__order__public_id=order_id)
    result = (results.select_for_update(of=("self",))
              .select_related("item__order", "card", "test").first())
    if result is None:
        raise Http404
    return result


def _assess(item: LabOrderItem, value: Decimal, sampled_at: datetime) -> dict:
    """The range matching the patient's sex and age at sampling, copied in with its flag."""
    card = item.order.card
    if sampled_at > timezone.now():
        raise ValidationError({"sampled_at": [_("The sampling time is in the future.")]})
    # Sampling times are written to the minute.
    if sampled_at < item.order.ordered_at.replace(second=0, microsecond=0):
        raise ValidationError({"sampled_at": [_("The sample was taken before the order.")]})
    reference = matching_range(item.test, sex=card.sex, birth_date=card.birth_date,
                               sampled_on=timezone.localtime(sampled_at).date())
    limits = Limits.of(reference)
    return {"value": value, "unit": item.test.unit, "sampled_at": sampled_at,
            "reference_low": limits.low, "reference_high": limits.high,
            "critical_low": limits.critical_low, "critical_high": limits.critical_high,
            "flag": flag_for(value, limits)}


def _audit(actor: User, action: str, result: LabResult, reason: str = "") -> None:
    record_audit_event(actor=actor, action=action, object_type=RESULT_OBJECT,
                       object_id=result.public_id, patient_med_id=result.card.med_id,
                       reason=reason)


def enter_result(*, actor: User, order_id, test_code: str, value: Decimal,
                 sampled_at: datetime, comment: str = "") -> LabResult:
    """Enter (or re-enter, before release) the first result of an ordered test."""
    with _refusal_audited(actor, ORDER_OBJECT, order_id):
        return _enter_result(actor, order_id, test_code, value, sampled_at, comment)


def enter_results(*, actor: User, order_id, sampled_at: datetime,
                  values: dict[str, tuple[Decimal, str]]) -> list[LabResult]:
    """Enter several tests of one order in one save: {test code: (value, comment)}, one
    sampling time. All or nothing: a refused value refuses the save, with each refusal
    under its test's field ("<code>-value", "<code>-sampled_at")."""
    with _refusal_audited(actor, ORDER_OBJECT, order_id):
        return _enter_results(actor, order_id, sampled_at, values)


def report_results(*, actor: User, order_id, sampled_at: datetime,
                   values: dict[str, tuple[Decimal, str]], release: bool) -> list[LabResult]:
    """A laboratory system's report of one order (FHIR transaction): enter its tests'
    results as `enter_results` does and, for a final report, release each as
    `release_result` does, the system's account the verifier. All or nothing: a critical
    value or a refused release refuses the whole report."""
    with _refusal_audited(actor, ORDER_OBJECT, order_id):
        results = _enter_results(actor, order_id, sampled_at, values)
        if release:
            results = [_release_result(actor, result.public_id, order_id) for result in results]
        return results


def _enter_results(actor, order_id, sampled_at, values) -> list[LabResult]:
    if not values:
        raise ValidationError({"__all__": [_("Type at least one value.")]})
    results, errors = [], {}
    for code, (value, comment) in values.items():
        try:
            with transaction.atomic():  # a savepoint: the others are still checked
                results.append(_enter_result(actor, order_id, code, value, sampled_at,
                                             comment))
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                errors.setdefault(f"{code}-{field}", []).extend(problems)
    if errors:
        raise ValidationError(errors)
    return results


def _enter_result(actor, order_id, test_code, value, sampled_at, comment) -> LabResult:
    item = _locked_item(actor, order_id, test_code)
    versions = list(item.results.order_by("version"))
    if any(v.is_released for v in versions):
        raise ValidationError({"value": [_("This result is released; enter a correction "
                                           "instead.")]})
    fields = _assess(item, value, sampled_at)
    if versions:
        result = versions[-1]
        for name, field_value in fields.items():
            setattr(result, name, field_value)
        result.comment, result.entered_by, result.verified_by = comment, actor, None
        result.save()
    else:
        result = LabResult.objects.create(item=item, card=item.order.card, test=item.test,
                                          entered_by=actor, comment=comment, **fields)
    _audit(actor, AuditAction.CREATE if not versions else AuditAction.UPDATE, result)
    return result


def correct_result(*, actor: User, result_id, value: Decimal, reason: str,
                   sampled_at: datetime | None = None, comment: str = "",
                   order_id=None) -> LabResult:
    """A released version stays as it was; the correction is the next version."""
    with _refusal_audited(actor, RESULT_OBJECT, result_id):
        return _correct_result(actor, result_id, value, reason, sampled_at, comment, order_id)


def _correct_result(actor, result_id, value, reason, sampled_at, comment,
                    order_id) -> LabResult:
    previous = _locked_result(actor, result_id, order_id)
    reason = reason.strip()
    if not previous.is_released:
        raise ValidationError({"value": [_("This version is not released yet: change it "
                                           "instead of correcting it.")]})
    if hasattr(previous, "corrected_by"):
        raise ValidationError({"value": [_("This version was already corrected; correct the "
                                           "newest version.")]})
    if not reason:
        raise ValidationError({"reason": [_("Say why the result is corrected.")]})
    fields = _assess(previous.item, value, sampled_at or previous.sampled_at)
    result = LabResult.objects.create(
        item=previous.item, card=previous.card, test=previous.test,
        version=previous.version + 1, corrects=previous, correction_reason=reason,
        entered_by=actor, comment=comment, **fields)
    _audit(actor, AuditAction.CREATE, result, reason)
    return result


def needs_second_person(result: LabResult) -> bool:
    return result.flag in CRITICAL_FLAGS or result.corrects_id is not None


def release_result(*, actor: User, result_id, order_id=None) -> LabResult:
    """Verify and release a version: from now on the patient and clinicians see it."""
    with _refusal_audited(actor, RESULT_OBJECT, result_id):
        return _release_result(actor, result_id, order_id)


def _release_result(actor: User, result_id, order_id) -> LabResult:
    result = _locked_result(actor, result_id, order_id)
    if result.is_released:
        raise ValidationError({"result": [_("This result is already released.")]})
    if needs_second_person(result) and result.entered_by_id == actor.pk:
        raise PermissionDenied(_("A critical value or a correction is verified by another "
                                 "technician than the one who entered it."))
    result.verified_by, result.released_at = actor, timezone.now()
    result.save(update_fields=["verified_by", "released_at"])
    order = result.item.order
    if not LabOrderItem.objects.filter(order=order).exclude(
            results__released_at__isnull=False).exists():
        order.completed_at = result.released_at
        order.save(update_fields=["completed_at"])
    _audit(actor, AuditAction.UPDATE, result, _("released"))
    emit(LAB_RESULT_RELEASED, _released_event(result, order),
         dedupe_key=f"lab-result:{result.public_id}:released")
    return result


def _released_event(result: LabResult, order: LabOrder) -> dict:
    """What the patient's message and the ordering clinician's results inbox need: the
    value as the laboratory released it, whether it is critical, and who ordered it where
    (the inbox finds the department and, for a critical value, whom to escalate to)."""
    test = result.test
    return {
        "med_id": result.card.med_id, "result": str(result.public_id),
        "test": {"uz": test.name_uz, "ru": test.name_ru, "en": test.name_en},
        "test_code": test.code, "facility": order.laboratory.name,
        "patient": result.card.full_name, "version": result.version,
        "value": result.value_text, "unit": result.unit, "flag": result.flag,
        "critical": result.flag in CRITICAL_FLAGS, "reference": result.reference_text,
        "sampled_at": result.sampled_at, "released_at": result.released_at,
        "ordered_by": order.ordered_by_id, "ordering_facility": order.ordering_facility_id,
    }
