"""Every write to prescriptions: one transaction each, with its audit event.

Issue signs; cancel and refuse record a reason; dispense locks the prescription and its
items (SELECT … FOR UPDATE) and the database's check constraints stand behind the
Python checks, so no race lets out more than was prescribed. Refusals are audited
outside the refused transaction, so they stay in the trail.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, PositiveIntegerField, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.coding.models import Icd10Code
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.recent import RecentAnswers
from dmed.roles import Role
from outbox.events import emit
from outbox.kinds import (
    PRESCRIPTION_CANCELLED,
    PRESCRIPTION_DISPENSED,
    PRESCRIPTION_EXPIRED,
    PRESCRIPTION_EXPIRING,
    PRESCRIPTION_ISSUED,
    PRESCRIPTION_NOT_DISPENSED,
)
from patients.access import card_for
from patients.models import ICD10_PATTERN, ConditionStatus
from prescriptions import qr, signing
from prescriptions.allergies import allergy_warnings
from prescriptions.codes import new_code
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.models import (
    DISPENSABLE_STATUSES,
    MAX_ISSUES,
    OPEN_ITEM_STATUSES,
    Dispensing,
    DispensingLine,
    Drug,
    ItemStatus,
    PharmacyApiKey,
    PrescriberKey,
    Prescription,
    PrescriptionItem,
    PrescriptionStatus,
)
from prescriptions.selectors import (
    DISPENSING_OBJECT,
    PRESCRIBER_KEY_OBJECT,
    PRESCRIPTION_OBJECT,
    canonical_content,
    check_dispensable,
    find_for_pharmacy,
    lockout_audited,
    visit_of_card,
)
from registry.models import Facility, FacilityKind
from registry.selectors import acting_staff_record

# How long a prescription can be dispensed, counted from the day it becomes available.
VALIDITY_DAYS = 30
CHRONIC_VALIDITY_DAYS = 90
# Narcotic and psychotropic drugs: a short window and a single dispensing.
CONTROLLED_VALIDITY_DAYS = 10
MIN_REPEAT_INTERVAL_DAYS, MAX_REPEAT_INTERVAL_DAYS = 7, 90
MAX_ITEMS = 10
MAX_QUANTITY = 10_000
CODE_ATTEMPTS = 8
# Patients hear this many days before an issue's last valid day.
EXPIRY_WARNING_DAYS = 3


class AllergyWarningsPending(ValidationError):
    """Allergies on the card match a drug; the prescriber must read them, then confirm."""

    def __init__(self, warnings):
        super().__init__(
            {"acknowledge_allergies": [
                _("Allergy: %(substance)s (%(severity)s) — %(drug)s, %(why)s.") % {
                    "substance": w.substance, "severity": w.severity, "drug": w.drug,
                    "why": w.why} for w in warnings]},
            code="allergy_warning",
        )
        self.warnings = warnings


@dataclass(frozen=True)
class PharmacyActor:
    """Who dispenses: a pharmacist in the browser, or a pharmacy system by its API key."""

    pharmacy: Facility
    user: User | None = None
    api_key: PharmacyApiKey | None = None

    def audit(self, **event):
        # A system key has no user: its pharmacy and key prefix go into the trail instead.
        reason = event.pop("reason", "")
        if self.api_key is not None:
            reason = f"api-key {self.api_key.prefix} {self.pharmacy.code} {reason}".strip()
        return record_audit_event(actor=self.user, reason=reason,
                                  facility_code=self.pharmacy.code, **event)


def pharmacist_actor(user: User) -> PharmacyActor:
    record = acting_staff_record(user)
    if (user.role != Role.PHARMACIST or record is None
            or record.facility.kind != FacilityKind.PHARMACY):
        raise PermissionDenied(_("Only pharmacists working at a pharmacy dispense."))
    return PharmacyActor(pharmacy=record.facility, user=user)


# --- keys -------------------------------------------------------------------------


def prescriber_key(prescriber: User) -> tuple[PrescriberKey, bytes]:
    """The prescriber's signing key, made on first use, and its private half.

    A key sealed under an earlier server secret is sealed again under the current one. A
    key that no server secret opens any more (the secret was lost or replaced without a
    fallback) is retired, on the audit trail, and the prescriber gets a new key pair; the
    retired public key stays published, so what it signed still verifies.
    """
    key = _active_key(prescriber)
    try:
        private, current = signing.unseal(bytes(key.encrypted_private_key), str(key.key_id))
    except signing.KeyUnreadable:
        _retire_unreadable(key)
        key = _active_key(prescriber)
        private, current = signing.unseal(bytes(key.encrypted_private_key), str(key.key_id))
    if not current:
        key.encrypted_private_key = signing.seal(private, str(key.key_id))
        PrescriberKey.objects.filter(pk=key.pk).update(
            encrypted_private_key=key.encrypted_private_key)
    return key, private


def _active_key(prescriber: User) -> PrescriberKey:
    key = PrescriberKey.objects.filter(prescriber=prescriber, revoked_at__isnull=True).first()
    if key is not None:
        return key
    key = PrescriberKey(prescriber=prescriber)
    key.public_key, key.encrypted_private_key = signing.new_key_pair(str(key.key_id))
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        # Two first prescriptions at once: the other request's key won.
        return PrescriberKey.objects.get(prescriber=prescriber, revoked_at__isnull=True)
    return key


def _retire_unreadable(key: PrescriberKey) -> None:
    with transaction.atomic():
        # Two signatures at once: the first retires the key, the second finds it retired.
        retired = PrescriberKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        if retired:
            record_audit_event(
                actor=key.prescriber, action=AuditAction.UPDATE,
                object_type=PRESCRIBER_KEY_OBJECT, object_id=str(key.key_id),
                reason="retired: no server secret decrypts its private key; a new key pair "
                       "is made for the next signature")


def create_pharmacy_api_key(*, pharmacy: Facility, name: str,
                            secret: str | None = None) -> tuple[PharmacyApiKey, str]:
    """A new key for the pharmacy and its plain text, which is shown once and not kept."""
    if pharmacy.kind != FacilityKind.PHARMACY:
        raise ValidationError({"pharmacy": [_("API keys are for pharmacies.")]})
    prefix = secrets.token_hex(4)
    plain = f"{prefix}.{secret or secrets.token_urlsafe(32)}"
    key = PharmacyApiKey.objects.create(pharmacy=pharmacy, name=name, prefix=prefix,
                                        hashed_key=hash_api_key(plain))
    return key, plain


_live_keys = RecentAnswers("pharmacy keys")


def hash_api_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def live_pharmacy_key(prefix: str) -> PharmacyApiKey | None:
    """The unrevoked key with this prefix and its pharmacy, for the columns a pharmacy
    system's requests use. Reused for AUTH_CACHE_SECONDS per process (dmed.recent): a key
    revoked in another process still acts at most that long; here it stops at once."""
    return _live_keys.get(prefix, lambda: (
        PharmacyApiKey.objects.select_related("pharmacy")
        .only("prefix", "hashed_key", "pharmacy__code", "pharmacy__name")
        .filter(prefix=prefix, revoked_at__isnull=True).first()))


def revoke_pharmacy_api_key(key: PharmacyApiKey) -> None:
    PharmacyApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    _live_keys.forget(lambda prefix, _key: prefix == key.prefix)


# --- issuing ------------------------------------------------------------------------


def _clean_items(items: list[dict]) -> tuple[list[dict], dict]:
    errors: dict[str, list] = {}
    if not items:
        return [], {"items": [_("Add at least one medicine.")]}
    if len(items) > MAX_ITEMS:
        return [], {"items": [_("At most %(count)d medicines on one prescription.")
                              % {"count": MAX_ITEMS}]}
    drug_ids = [item["drug"].pk if isinstance(item["drug"], Drug) else item["drug"]
                for item in items]
    drugs = Drug.objects.in_bulk(drug_ids)
    cleaned = []
    for index, (item, drug_id) in enumerate(zip(items, drug_ids, strict=True)):
        prefix = f"items.{index}"
        drug = drugs.get(drug_id)
        if drug is None or not drug.is_active:
            errors.setdefault(f"{prefix}.drug", []).append(
                _("This drug is not in the registry."))
            continue
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or not 0 < quantity <= MAX_QUANTITY:
            errors.setdefault(f"{prefix}.quantity", []).append(
                _("The quantity is a whole number from 1 to %(max)d.") % {"max": MAX_QUANTITY})
        if not (item.get("dosage") or "").strip():
            errors.setdefault(f"{prefix}.dosage", []).append(_("Write the dose."))
        cleaned.append({
            "drug": drug, "quantity": quantity, "dosage": (item.get("dosage") or "").strip(),
            "route": (item.get("route") or "").strip(),
            "frequency": (item.get("frequency") or "").strip(),
            "duration_days": item.get("duration_days"),
            "instructions": (item.get("instructions") or "").strip(),
        })
    return cleaned, errors


def issue_prescription(*, actor: User, patient: str, diagnosis: str, items: list[dict],
                       repeats: int = 1, interval_days: int = 0, starts: date | None = None,
                       acknowledge_allergies: bool = False, visit=None) -> Prescription:
    """Write and sign a prescription (or a repeat series) for a patient in scope.

    Returns the first issue. The diagnosis is a code of the ICD-10 catalogue; `visit`, the
    public id of a visit of this card, records the visit it is written from. Validity: 30
    days, 90 for a diagnosis that is one of the card's chronic conditions, 10 for
    controlled substances (which also allow only a single item and no repeats). Allergies
    matching a drug refuse the signature until the prescriber acknowledges them.
    """
    record = acting_staff_record(actor)
    if actor.role != Role.CLINICIAN or record is None:
        raise PermissionDenied(_("Only clinicians at a facility write prescriptions."))
    card = card_for(actor, patient, action=AuditAction.CREATE, object_type=PRESCRIPTION_OBJECT,
                    record_success=False).card
    diagnosis = (diagnosis or "").strip().upper()
    cleaned, errors = _clean_items(items)
    code = None
    if not re.match(ICD10_PATTERN, diagnosis):
        errors["diagnosis"] = [_("The ICD-10 diagnosis is required, e.g. I10 or J06.9.")]
    elif (code := Icd10Code.objects.filter(code=diagnosis).first()) is None:
        errors["diagnosis"] = [_("%(code)s is not in the ICD-10 catalogue.") % {
            "code": diagnosis}]
    from_visit = visit_of_card(visit, card) if visit else None
    if visit and from_visit is None:
        errors["visit"] = [_("This visit is not one of this patient's visits.")]
    controlled = any(item["drug"].is_controlled for item in cleaned)
    chronic = any(condition.icd10_code[:3] == diagnosis[:3]
                  for condition in card.chronic_conditions.exclude(
                      status=ConditionStatus.RESOLVED))
    if controlled and len(cleaned) > 1:
        errors.setdefault("items", []).append(
            _("A narcotic or psychotropic drug is prescribed alone on its own prescription."))
    if not 1 <= repeats <= MAX_ISSUES:
        errors["repeats"] = [_("From 1 to %(max)d issues.") % {"max": MAX_ISSUES}]
    elif repeats > 1:
        if controlled:
            errors["repeats"] = [_("Controlled substances cannot be repeated.")]
        elif not chronic:
            errors["repeats"] = [_("Repeat prescriptions are for the patient's chronic "
                                   "conditions; this diagnosis is not one on the card.")]
        if not MIN_REPEAT_INTERVAL_DAYS <= interval_days <= MAX_REPEAT_INTERVAL_DAYS:
            errors["interval_days"] = [_("The interval is from %(min)d to %(max)d days.") % {
                "min": MIN_REPEAT_INTERVAL_DAYS, "max": MAX_REPEAT_INTERVAL_DAYS}]
    today = timezone.localdate()
    starts = starts or today
    if starts < today or starts > today + timedelta(days=30):
        errors["starts"] = [_("It starts today or within 30 days.")]
    if errors:
        raise ValidationError(errors)
    if not acknowledge_allergies:
        warnings = allergy_warnings(list(card.allergies.filter(ended_at__isnull=True)),
                                    [(n, item["drug"]) for n, item in enumerate(cleaned, 1)],
                                    Drug.objects.all())
        if warnings:
            raise AllergyWarningsPending(warnings)

    validity = (CONTROLLED_VALIDITY_DAYS if controlled
                else CHRONIC_VALIDITY_DAYS if chronic else VALIDITY_DAYS)
    interval = interval_days if repeats > 1 else 0
    key, private_key = prescriber_key(actor)
    with transaction.atomic():
        issues = _insert_series(
            card=card, actor=actor, facility=record.facility, diagnosis=code, visit=from_visit,
            chronic=chronic, controlled=controlled, repeats=repeats, interval=interval,
            starts=starts, validity=validity, key=key)
        for issue in issues:
            items = PrescriptionItem.objects.bulk_create([
                PrescriptionItem(prescription=issue, line=line, **item)
                for line, item in enumerate(cleaned, start=1)])
            issue.qr_message = qr.sign(qr.claims(issue, items), private_key, key.public_key,
                                       key.key_id)
        first = issues[0]
        signature = signing.sign(private_key, signing.canonical(canonical_content(first)))
        for issue in issues:
            issue.signature = signature
        Prescription.objects.bulk_update(issues, ["signature", "qr_message"])
        emit(PRESCRIPTION_ISSUED, {
            **_event_fields(first, [item["drug"] for item in cleaned]),
            "issues": repeats, "controlled": controlled,
        }, dedupe_key=f"prescription:{first.code}:issued")
        record_audit_event(actor=actor, action=AuditAction.CREATE,
                           object_type=PRESCRIPTION_OBJECT, object_id=first.series_code,
                           patient_med_id=card.med_id)
    return first


def _insert_series(*, card, actor, facility, diagnosis, visit, chronic, controlled, repeats,
                   interval, starts, validity, key) -> list[Prescription]:
    issued_at = timezone.now().replace(microsecond=0)
    issues: list[Prescription] = []
    for number in range(1, repeats + 1):
        available = starts + timedelta(days=interval * (number - 1))
        issue = Prescription(
            series_code="", issue_number=number, issues_total=repeats, interval_days=interval,
            patient=card, prescriber=actor, facility=facility, diagnosis=diagnosis,
            visit=visit, chronic=chronic, controlled=controlled, issued_at=issued_at,
            available_from=available, valid_until=available + timedelta(days=validity - 1),
            signing_key=key, signature=b"")
        for _attempt in range(CODE_ATTEMPTS):
            issue.code = new_code()
            issue.series_code = issues[0].code if issues else issue.code
            try:
                with transaction.atomic():
                    issue.save(force_insert=True)
                break
            except IntegrityError as error:
                if "code" not in str(error):
                    raise
        else:
            raise RuntimeError("could not draw a free prescription code")
        issues.append(issue)
    return issues


# --- cancelling -----------------------------------------------------------------------


def _prescription_of_prescriber(actor: User, code: str) -> Prescription:
    prescription = (Prescription.objects.select_for_update()
                    .select_related("patient").filter(code=code).first())
    if prescription is None:
        raise Http404
    if prescription.prescriber_id != actor.pk:
        raise PermissionDenied(_("Only the prescriber cancels a prescription."))
    return prescription


def _refused(actor: User, code: str, action=AuditAction.UPDATE):
    record_audit_event(actor=actor, action=action, object_type=PRESCRIPTION_OBJECT,
                       object_id=code, allowed=False)


def cancel_prescription(*, actor: User, code: str, reason: str) -> Prescription:
    """Cancel an issue nothing of which was dispensed, and the later issues of its series."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why it is cancelled.")]})
    try:
        with transaction.atomic():
            prescription = _prescription_of_prescriber(actor, code)
            if prescription.status != PrescriptionStatus.ISSUED:
                raise PrescriptionConflict(
                    _("Only a prescription nothing of which was dispensed can be cancelled; "
                      "this one is %(status)s.") % {"status": prescription.get_status_display()},
                    "not_cancellable")
            issues = list(Prescription.objects.select_for_update().filter(
                series_code=prescription.series_code,
                issue_number__gte=prescription.issue_number,
                status=PrescriptionStatus.ISSUED))
            now = timezone.now()
            for issue in issues:
                issue.status = PrescriptionStatus.CANCELLED
                issue.cancel_reason, issue.cancelled_at = reason[:300], now
                issue.save(update_fields=["status", "cancel_reason", "cancelled_at",
                                          "updated_at"])
            PrescriptionItem.objects.filter(
                prescription__in=issues, status__in=OPEN_ITEM_STATUSES,
            ).update(status=ItemStatus.CANCELLED, status_reason=reason[:300])
            drugs = [item.drug for item in prescription.items.select_related("drug")]
            for issue in issues:
                issue.patient = prescription.patient
                emit(PRESCRIPTION_CANCELLED, {**_event_fields(issue, drugs), "reason": reason},
                     dedupe_key=f"prescription:{issue.code}:cancelled")
            record_audit_event(actor=actor, action=AuditAction.UPDATE,
                               object_type=PRESCRIPTION_OBJECT, object_id=prescription.code,
                               patient_med_id=prescription.patient.med_id,
                               reason=f"cancelled: {reason}")
    except (PermissionDenied, PrescriptionConflict):
        _refused(actor, code)
        raise
    return prescription


def cancel_item(*, actor: User, code: str, line: int, reason: str) -> PrescriptionItem:
    """Cancel one medicine that was not dispensed at all."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why it is cancelled.")]})
    try:
        with transaction.atomic():
            prescription = _prescription_of_prescriber(actor, code)
            items = {i.line: i for i in prescription.items.select_for_update()}
            item = items.get(line)
            if item is None:
                raise ValidationError({"line": [_("This prescription has no such line.")]})
            if (prescription.status not in DISPENSABLE_STATUSES
                    or item.status not in (ItemStatus.TO_DISPENSE, ItemStatus.NOT_DISPENSED)):
                raise PrescriptionConflict(
                    _("Only a medicine not yet dispensed can be cancelled."), "not_cancellable")
            item.status, item.status_reason = ItemStatus.CANCELLED, reason[:300]
            item.save(update_fields=["status", "status_reason"])
            _settle_status(prescription, list(items.values()), reason=reason)
            if prescription.status == PrescriptionStatus.CANCELLED:
                emit(PRESCRIPTION_CANCELLED, {
                    **_event_fields(prescription, [i.drug for i in items.values()]),
                    "reason": reason}, dedupe_key=f"prescription:{prescription.code}:cancelled")
            record_audit_event(actor=actor, action=AuditAction.UPDATE,
                               object_type=PRESCRIPTION_OBJECT, object_id=prescription.code,
                               patient_med_id=prescription.patient.med_id,
                               reason=f"item {line} cancelled: {reason}")
    except (PermissionDenied, PrescriptionConflict):
        _refused(actor, code)
        raise
    return item


def _settle_status(prescription: Prescription, items: list[PrescriptionItem], *,
                   reason: str = "") -> None:
    """The prescription's status from its items' (items already updated in memory)."""
    statuses = {item.status for item in items}
    if statuses <= {ItemStatus.CANCELLED}:
        prescription.status = PrescriptionStatus.CANCELLED
        prescription.cancel_reason = reason[:300] or "all items cancelled"
        prescription.cancelled_at = timezone.now()
    elif statuses <= {ItemStatus.DISPENSED, ItemStatus.CANCELLED}:
        prescription.status = PrescriptionStatus.DISPENSED
    elif any(item.dispensed_quantity for item in items):
        prescription.status = PrescriptionStatus.PARTIALLY_DISPENSED
    else:
        return
    prescription.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])


# --- pharmacies -----------------------------------------------------------------------


def _request_digest(code: str, lines: list[dict], identity_document: str) -> str:
    body = json.dumps({"code": code, "lines": sorted((int(x["item"]), int(x["quantity"]))
                                                     for x in lines),
                       "document": identity_document}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _clean_lines(lines: list[dict]) -> list[tuple[int, int]]:
    if not lines:
        raise ValidationError({"items": [_("Choose what to dispense.")]})
    wanted: dict[int, int] = {}
    for index, line in enumerate(lines):
        item, quantity = line.get("item"), line.get("quantity")
        if not isinstance(item, int) or item in wanted:
            raise ValidationError({f"items.{index}.item": [_("Each line once, by its number.")]})
        if not isinstance(quantity, int) or quantity <= 0:
            raise ValidationError({f"items.{index}.quantity": [
                _("The quantity is a whole number above zero.")]})
        wanted[item] = quantity
    return sorted(wanted.items())


def dispense(*, by: PharmacyActor, code: str, patient_check: str, items: list[dict],
             idempotency_key: str = "", identity_document: str = "") -> tuple[Dispensing, bool]:
    """Give out medicines against a prescription; (the dispensing, whether it is new).

    The same Idempotency-Key from the same pharmacy answers with the first dispensing and
    gives nothing more; with another request body it is refused. An unknown code or a
    failed patient check is Http404, with nothing written but its audit event.
    """
    wanted = _clean_lines(items)
    identity_document = " ".join((identity_document or "").split()).upper()[:64]
    idempotency_key = (idempotency_key or "").strip()[:100]
    digest = _request_digest(code, items, identity_document) if idempotency_key else ""
    prescription = outcome = None
    try:
        with (lockout_audited(by=by, code=code, action=AuditAction.UPDATE),
              transaction.atomic()):
            prescription = find_for_pharmacy(by=by, code=code, patient_check=patient_check,
                                             action=AuditAction.UPDATE, for_update=True)
            if prescription is not None:
                outcome = _dispense_locked(prescription, by=by, wanted=wanted,
                                           identity_document=identity_document,
                                           idempotency_key=idempotency_key, digest=digest)
    except (PrescriptionConflict, ValidationError) as refusal:
        by.audit(action=AuditAction.UPDATE, object_type=PRESCRIPTION_OBJECT,
                 object_id=prescription.code, patient_med_id=prescription.patient.med_id,
                 allowed=False, reason=getattr(refusal, "code", "") or "invalid")
        raise
    if outcome is None:
        raise Http404
    return outcome


def _earlier_dispensing(prescription: Prescription, by: PharmacyActor, idempotency_key: str,
                        digest: str) -> Dispensing | None:
    """The dispensing this pharmacy already made with this Idempotency-Key, if any."""
    earlier = next(iter(Dispensing.objects.filter(pharmacy=by.pharmacy,
                                                  idempotency_key=idempotency_key)[:1]), None)
    if earlier is None:
        return None
    if earlier.request_digest != digest or earlier.prescription_id != prescription.pk:
        raise PrescriptionConflict(_("This Idempotency-Key was used for another request."),
                                   "idempotency_key_reused")
    earlier.prescription, earlier.pharmacy = prescription, by.pharmacy
    by.audit(action=AuditAction.VIEW, object_type=DISPENSING_OBJECT,
             object_id=str(earlier.public_id), patient_med_id=prescription.patient.med_id)
    return earlier


def _dispense_locked(prescription: Prescription, *, by: PharmacyActor, wanted, identity_document,
                     idempotency_key, digest) -> tuple[Dispensing, bool]:
    # Read after the prescription's lock, which every change to its items takes first.
    items = {item.line: item for item in prescription.items.all()}
    if idempotency_key:
        earlier = _earlier_dispensing(prescription, by, idempotency_key, digest)
        if earlier is not None:
            return earlier, False
    check_dispensable(prescription, list(items.values()))
    for line, quantity in wanted:
        item = items.get(line)
        if item is None:
            raise ValidationError({"items": [_("This prescription has no line %(line)d.")
                                             % {"line": line}]})
        if item.status not in OPEN_ITEM_STATUSES:
            raise PrescriptionConflict(
                _("Line %(line)d is %(status)s.") % {"line": line,
                                                     "status": item.get_status_display()},
                "item_not_dispensable")
        if quantity > item.remaining:
            raise PrescriptionConflict(
                _("Line %(line)d: %(left)d left to dispense, %(asked)d asked.")
                % {"line": line, "left": item.remaining, "asked": quantity}, "over_quantity")
    if prescription.controlled:
        open_lines = {line: item.remaining for line, item in items.items()
                      if item.status in OPEN_ITEM_STATUSES}
        if dict(wanted) != open_lines:
            raise PrescriptionConflict(
                _("A controlled substance is dispensed once, in full."), "controlled_in_full")
        if len(identity_document) < 5:
            raise ValidationError({"identity_document": [
                _("Record the patient's identity document (series and number).")]})
    dispensing = Dispensing(prescription=prescription, pharmacy=by.pharmacy,
                            pharmacist=by.user, api_key=by.api_key,
                            idempotency_key=idempotency_key, request_digest=digest,
                            identity_document=identity_document, status_after="")
    new_lines = []
    for line, quantity in wanted:
        item = items[line]
        item.dispensed_quantity += quantity
        item.status = (ItemStatus.DISPENSED if item.remaining == 0
                       else ItemStatus.PARTLY_DISPENSED)
        item.status_reason, item.refused_at = "", None
        new_lines.append(DispensingLine(item=item, quantity=quantity,
                                        remaining_after=item.remaining))
    # Every line in one UPDATE. Adding to the stored quantity (F) keeps it honest even if
    # a lock were ever missed: the check constraint refuses a total above the prescribed.
    PrescriptionItem.objects.filter(pk__in=[items[line].pk for line, _q in wanted]).update(
        dispensed_quantity=F("dispensed_quantity") + Case(
            *(When(pk=items[line].pk, then=Value(quantity)) for line, quantity in wanted),
            output_field=PositiveIntegerField()),
        status=Case(*(When(pk=items[line].pk, then=Value(items[line].status))
                      for line, _q in wanted), output_field=CharField()),
        status_reason="", refused_at=None)
    _settle_status(prescription, list(items.values()))
    dispensing.status_after = prescription.status
    dispensing.save(force_insert=True)
    for line in new_lines:
        line.dispensing = dispensing
        line.dispensing_dispensed_at = dispensing.dispensed_at
    DispensingLine.objects.bulk_create(new_lines)
    # No dedupe key: the dispensing is new, so its event cannot repeat (and a key would
    # cost a savepoint, two more round trips, on the pharmacy API's busiest call).
    emit(PRESCRIPTION_DISPENSED, {
        **_event_fields(prescription, [items[line].drug for line, _q in wanted]),
        "pharmacy": by.pharmacy.name, "pharmacy_code": by.pharmacy.code,
        "quantity": sum(q for _line, q in wanted),
        "status": prescription.status, "dispensing": str(dispensing.public_id),
    })
    by.audit(action=AuditAction.UPDATE, object_type=PRESCRIPTION_OBJECT,
             object_id=prescription.code, patient_med_id=prescription.patient.med_id,
             reason=f"dispensed {dispensing.public_id}: " + "; ".join(
                 f"{items[line].drug.inn} {items[line].drug.strength} × {quantity}"
                 for line, quantity in wanted))
    return dispensing, True


def refuse_item(*, by: PharmacyActor, code: str, patient_check: str, line: int,
                reason: str) -> PrescriptionItem:
    """The pharmacy could not give a medicine (out of stock, …); another pharmacy still can."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why it was not dispensed.")]})
    item = None
    with lockout_audited(by=by, code=code, action=AuditAction.UPDATE), transaction.atomic():
        prescription = find_for_pharmacy(by=by, code=code, patient_check=patient_check,
                                         action=AuditAction.UPDATE, for_update=True)
        if prescription is not None:
            item = _refuse_locked(prescription, by=by, line=line, reason=reason)
    if item is None:
        raise Http404
    return item


def _refuse_locked(prescription: Prescription, *, by: PharmacyActor, line: int,
                   reason: str) -> PrescriptionItem:
    items = list(prescription.items.all())
    check_dispensable(prescription, items)
    item = next((item for item in items if item.line == line), None)
    if item is None:
        raise ValidationError({"line": [_("This prescription has no such line.")]})
    if item.status not in OPEN_ITEM_STATUSES:
        raise PrescriptionConflict(_("Line %(line)d is %(status)s.") % {
            "line": line, "status": item.get_status_display()}, "item_not_dispensable")
    if item.dispensed_quantity == 0:
        item.status = ItemStatus.NOT_DISPENSED
    item.status_reason, item.refused_at = reason[:300], by.pharmacy
    item.save(update_fields=["status", "status_reason", "refused_at"])
    by.audit(action=AuditAction.UPDATE, object_type=PRESCRIPTION_OBJECT,
             object_id=prescription.code, patient_med_id=prescription.patient.med_id,
             reason=f"item {line} not dispensed: {reason}")
    # For the prescriber's results inbox ("not dispensed: out of stock"); one per refusal.
    emit(PRESCRIPTION_NOT_DISPENSED, {
        "med_id": prescription.patient.med_id, "code": prescription.code, "line": line,
        "drug": f"{item.drug.inn} {item.drug.strength}", "reason": item.status_reason,
        "pharmacy": by.pharmacy.name, "patient": prescription.patient.full_name,
        "prescriber": prescription.prescriber_id, "refused_at": timezone.now()})
    return item


# --- time -------------------------------------------------------------------------------


def expire_prescriptions(*, today: date | None = None, batch: int = 1000) -> int:
    """Expire open issues past their last valid day, in batches; returns how many."""
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            expiring = list(Prescription.objects.select_for_update(skip_locked=True)
                            .filter(status__in=DISPENSABLE_STATUSES, valid_until__lt=today)
                            .select_related("patient")[:batch])
            if not expiring:
                return total
            ids = [prescription.pk for prescription in expiring]
            drugs = _drugs_by_prescription(ids)
            for prescription in expiring:
                emit(PRESCRIPTION_EXPIRED, _event_fields(prescription, drugs[prescription.pk]),
                     dedupe_key=f"prescription:{prescription.code}:expired")
            PrescriptionItem.objects.filter(prescription_id__in=ids,
                                            status__in=OPEN_ITEM_STATUSES).update(
                status=ItemStatus.EXPIRED, status_reason="")
            total += Prescription.objects.filter(pk__in=ids).update(
                status=PrescriptionStatus.EXPIRED, updated_at=timezone.now())


def warn_expiring(*, today: date | None = None, days_before: int = EXPIRY_WARNING_DAYS) -> int:
    """Tell patients about open issues whose last day is `days_before` days away (once)."""
    today = today or timezone.localdate()
    soon = list(Prescription.objects.filter(
        status__in=DISPENSABLE_STATUSES, valid_until=today + timedelta(days=days_before),
        available_from__lte=today).select_related("patient").order_by("pk"))
    drugs = _drugs_by_prescription([prescription.pk for prescription in soon])
    with transaction.atomic():
        for prescription in soon:
            emit(PRESCRIPTION_EXPIRING, {**_event_fields(prescription, drugs[prescription.pk]),
                                         "days_left": days_before},
                 dedupe_key=f"prescription:{prescription.code}:expiring")
    return len(soon)


def _drugs_by_prescription(ids: list[int]) -> dict[int, list[Drug]]:
    drugs: dict[int, list[Drug]] = {pk: [] for pk in ids}
    for item in PrescriptionItem.objects.filter(prescription_id__in=ids).select_related(
            "drug").order_by("prescription_id", "line"):
        drugs[item.prescription_id].append(item.drug)
    return drugs


def _event_fields(prescription: Prescription, drugs: list[Drug]) -> dict:
    """What every prescription event carries (outbox README: med_id, code, drug, valid_until,
    district). The card's district is in the event so pharmacy_sync, which routes it to
    that district's pharmacies, never reads the cards."""
    return {"med_id": prescription.patient.med_id, "code": prescription.code,
            "drug": ", ".join(f"{drug.inn} {drug.strength}" for drug in drugs),
            "valid_until": prescription.valid_until.isoformat(),
            "district": prescription.patient.district_id}
