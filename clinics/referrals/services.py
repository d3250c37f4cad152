"""Every write of referrals: sending one, the receiver accepting or declining it, and the
referring side cancelling it.

The receiver is whoever the referral names: the specialist in person, the clinicians and
nurses of the department (their acting post is in it), or the lab technicians of the
laboratory. Validity by urgency: an emergency referral is for today and tomorrow, an
urgent one a week, a routine one a month (the national yo'llanma's usual month).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import Icd10Code
from clinics.referrals.models import (
    OPEN_STATUSES,
    Referral,
    ReferralStatus,
    ReferralTarget,
    Urgency,
)
from clinics.referrals.receivers import is_receiver, receivers_of
from clinics.referrals.signals import referral_withdrawn
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from outbox.events import emit
from outbox.kinds import REFERRAL_DECIDED, REFERRAL_RECEIVED
from patients.access import CARING_ROLES
from patients.services import authorise_card_write
from registry.models import Department, Facility, FacilityKind
from registry.selectors import acting_staff_record, active_staff_records

REFERRAL_OBJECT = "clinics.referral"
VALIDITY = {Urgency.EMERGENCY: timedelta(days=1), Urgency.URGENT: timedelta(days=7),
            Urgency.ROUTINE: timedelta(days=30)}


def _receiver(target: str, to_clinician: User | None, to_department: Department | None,
              to_facility: Facility | None) -> Facility:
    """Check the receiver fits the kind of referral; answer the receiving facility."""
    if target == ReferralTarget.SPECIALIST:
        record = active_staff_records(to_clinician).filter(role=Role.CLINICIAN).first() \
            if to_clinician is not None else None
        if record is None:
            raise ValidationError({"to_clinician": [_("Choose a clinician who works now.")]})
        return record.facility
    if target == ReferralTarget.DEPARTMENT:
        if to_department is None or to_department.facility.kind != FacilityKind.HOSPITAL:
            raise ValidationError({"to_department": [_("Choose a hospital department.")]})
        return to_department.facility
    if target == ReferralTarget.LABORATORY:
        if to_facility is None or to_facility.kind != FacilityKind.LABORATORY:
            raise ValidationError({"to_facility": [_("Choose a laboratory.")]})
        return to_facility
    raise ValidationError({"target": [_("Choose whom to refer to.")]})


def refer(*, actor: User, med_id: str, target: str, reason: str, diagnosis_code: str,
          urgency: str = Urgency.ROUTINE, to_clinician: User | None = None,
          to_department: Department | None = None, to_facility: Facility | None = None,
          valid_until: date | None = None) -> Referral:
    if actor.role not in CARING_ROLES or acting_staff_record(actor) is None:
        raise PermissionDenied(_("Clinicians refer patients."))
    reason, code = reason.strip(), diagnosis_code.strip().upper()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the patient is referred.")]
    diagnosis = Icd10Code.objects.filter(code=code).first()
    if diagnosis is None:
        errors["diagnosis_code"] = [_("Enter an ICD-10 code such as I10 or E11.9.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose the urgency.")]
    today = timezone.localdate()
    if valid_until is not None and valid_until < today:
        errors["valid_until"] = [_("The validity ends in the past.")]
    if to_clinician is not None and to_clinician.pk == actor.pk:
        errors["to_clinician"] = [_("You cannot refer a patient to yourself.")]
    try:
        receiving = _receiver(target, to_clinician, to_department, to_facility)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    access = authorise_card_write(actor, med_id)
    with transaction.atomic():
        referral = Referral.objects.create(
            card=access.card, referred_by=actor, from_facility=acting_staff_record(actor).facility,
            target=target, to_clinician=to_clinician if target == ReferralTarget.SPECIALIST
            else None, to_department=to_department if target == ReferralTarget.DEPARTMENT
            else None, to_facility=receiving, reason=reason, diagnosis=diagnosis,
            urgency=urgency, valid_until=valid_until or today + VALIDITY[urgency])
        record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=REFERRAL_OBJECT,
                           object_id=referral.public_id, patient_med_id=access.card.med_id,
                           reason=reason[:200], break_glass=access.break_glass)
        # The receivers' accounts as they are now, so notifications never read referrals.
        emit(REFERRAL_RECEIVED, {
            "med_id": access.card.med_id, "referral": referral.public_id, "urgency": urgency,
            "valid_until": referral.valid_until, "from_facility": referral.from_facility.name,
            "to_facility": receiving.name, "receivers": receivers_of(referral.public_id)},
            dedupe_key=f"referral:{referral.public_id}:received")
    return referral


@contextmanager
def _referral_to_change(actor: User, referral_id, *, may):
    """The referral locked, in a transaction, for an actor `may(actor, referral)` allows.
    To anyone else it does not exist, and the refusal is audited."""
    try:
        with transaction.atomic():
            referral = (Referral.objects.select_for_update(of=("self",))
                        .select_related("card", "to_facility")
                        .filter(public_id=referral_id).first())
            if referral is None or not may(actor, referral):
                raise Http404
            yield referral
    except Http404:
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=REFERRAL_OBJECT,
                           object_id=referral_id, allowed=False)
        raise


def decide_referral(*, actor: User, referral_id, accept: bool, reason: str = "") -> Referral:
    """The receiving side accepts, or declines with a reason; only an active referral."""
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": [_("Say why the referral is declined.")]})
    with _referral_to_change(actor, referral_id, may=is_receiver) as referral:
        if not Referral.objects.active().filter(pk=referral.pk,
                                                status=ReferralStatus.SENT).exists():
            raise ValidationError({"status": [_("Only a sent referral that has not "
                                                "expired can be decided.")]})
        referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
        referral.decided_by, referral.decided_at = actor, timezone.now()
        referral.decline_reason = "" if accept else reason
        referral.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE,
                           object_type=REFERRAL_OBJECT, object_id=referral.public_id,
                           patient_med_id=referral.card.med_id,
                           reason=_("accepted") if accept else reason[:200])
        if not accept:
            referral_withdrawn.send(Referral, referral=referral, actor=actor)
        # For the referring clinician's results inbox.
        emit(REFERRAL_DECIDED, {
            "med_id": referral.card.med_id, "referral": referral.public_id,
            "status": referral.status, "reason": referral.decline_reason,
            "patient": referral.card.full_name, "referred_by": referral.referred_by_id,
            "decided_by": actor.full_name, "to_facility": referral.to_facility.name,
            "decided_at": referral.decided_at},
            dedupe_key=f"referral:{referral.public_id}:decided")
    return referral


def can_cancel(user: User, referral: Referral) -> bool:
    """The referring side: the clinician who wrote it, or a clinician or nurse of the
    facility it was sent from (the patient's doctor may be away)."""
    if referral.referred_by_id == user.pk:
        return True
    record = acting_staff_record(user) if user.role in CARING_ROLES else None
    return record is not None and record.facility_id == referral.from_facility_id


def cancel_referral(*, actor: User, referral_id, reason: str) -> Referral:
    """Withdraw a sent or accepted referral with a reason: it leaves the receiver's list
    and no longer puts the patient in the receiver's scope."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the referral is cancelled.")]})
    with _referral_to_change(actor, referral_id, may=can_cancel) as referral:
        if referral.status not in OPEN_STATUSES:
            raise ValidationError({"status": [_("Only a sent or accepted referral can be "
                                                "cancelled.")]})
        referral.status = ReferralStatus.CANCELLED
        referral.cancelled_by, referral.cancelled_at = actor, timezone.now()
        referral.cancel_reason = reason
        referral.save(update_fields=["status", "cancelled_by", "cancelled_at",
                                     "cancel_reason"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE,
                           object_type=REFERRAL_OBJECT, object_id=referral.public_id,
                           patient_med_id=referral.card.med_id, reason=reason[:200])
        referral_withdrawn.send(Referral, referral=referral, actor=actor)
    return referral
