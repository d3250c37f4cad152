"""Every write to a card: one transaction each, with its audit event."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import FacilityKind
from clinics.selectors import acting_staff_record
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from dmed.translit import search_key
from patients.access import CARD_OBJECT, CARING_ROLES, FACILITY_ROLES, card_for
from patients.identifiers import (
    new_med_id,
    normalise_document_number,
    normalise_med_id,
    normalise_phone,
    validate_identity_document,
    validate_pinfl_against,
)
from patients.models import (
    Attachment,
    BreakGlassGrant,
    CardStatus,
    IdentityDocument,
    PatientCard,
)
from patients.selectors import possible_duplicates

BREAK_GLASS_LIFETIME = timedelta(days=1)
MED_ID_ATTEMPTS = 8
IDENTITY_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "sex", "pinfl",
                   "phone", "region", "district", "street", "blood_group",
                   "emergency_contact_name", "emergency_contact_phone")


class PossibleDuplicate(ValidationError):
    """Cards with the same name and birth date exist; the caller must confirm first."""

    def __init__(self, candidates: list[PatientCard]):
        super().__init__(
            {"non_field_errors": [_("Cards with the same name and birth date exist: %(ids)s. "
                                    "Check them, then confirm this is a different person.")
                                  % {"ids": ", ".join(c.med_id for c in candidates)}]},
            code="possible_duplicate",
        )
        self.candidates = candidates


def _require_facility_staff(actor: User):
    record = acting_staff_record(actor)
    if actor.role not in FACILITY_ROLES or record is None:
        raise PermissionDenied(_("Only registrars and clinicians at a facility register cards."))
    return record


def _clean_identity(fields: dict, *, card: PatientCard | None = None) -> dict:
    """Normalise and check identity fields; every problem is reported per field."""
    errors: dict[str, list] = {}
    cleaned = dict(fields)
    for phone_field in ("phone", "emergency_contact_phone"):
        if cleaned.get(phone_field):
            try:
                cleaned[phone_field] = normalise_phone(cleaned[phone_field])
            except ValidationError as error:
                errors.setdefault(phone_field, []).extend(error.messages)
    pinfl = cleaned.get("pinfl", card.pinfl if card else "")
    if pinfl:
        try:
            validate_pinfl_against(
                pinfl,
                birth_date=cleaned.get("birth_date", card.birth_date if card else None),
                sex=cleaned.get("sex", card.sex if card else None),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        else:
            holder = PatientCard.objects.filter(pinfl=pinfl).exclude(
                pk=card.pk if card else None).first()
            if holder:
                errors.setdefault("pinfl", []).append(
                    _("This PINFL is already on card %(med_id)s.") % {"med_id": holder.med_id})
    district, region = cleaned.get("district"), cleaned.get("region")
    if district and region and district.region_id != region.pk:
        errors.setdefault("district", []).append(_("This district is not in the chosen region."))
    birth_date = cleaned.get("birth_date")
    if birth_date and birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _insert_with_new_med_id(card: PatientCard) -> PatientCard:
    """MED-IDs are random, so a clash is possible though rare: draw again."""
    for _attempt in range(MED_ID_ATTEMPTS):
        card.med_id = new_med_id()
        try:
            with transaction.atomic():
                card.save(force_insert=True)
            return card
        except IntegrityError as error:
            if "med_id" not in str(error):
                raise
    raise RuntimeError("could not draw a free MED-ID")


@transaction.atomic
def register_card(*, actor: User, last_name: str, first_name: str, birth_date: date, sex: str,
                  middle_name: str = "", documents: list[dict] | None = None,
                  attached_facility=None, family_doctor: User | None = None,
                  confirm_not_duplicate: bool = False, **identity) -> PatientCard:
    """Register a person: the card gets its MED-ID and an attachment at once."""
    record = _require_facility_staff(actor)
    fields = _clean_identity({"last_name": last_name.strip(), "first_name": first_name.strip(),
                              "middle_name": middle_name.strip(), "birth_date": birth_date,
                              "sex": sex, **identity})
    cleaned_documents = _clean_documents(documents or [])
    if not confirm_not_duplicate:
        candidates = possible_duplicates(last_name=last_name, first_name=first_name,
                                         birth_date=birth_date)
        if candidates:
            raise PossibleDuplicate(candidates)
    if attached_facility is None and record.facility.kind == FacilityKind.POLYCLINIC:
        attached_facility = record.facility
    card = PatientCard(**fields, registered_at=record.facility,
                       attached_facility=attached_facility, family_doctor=family_doctor)
    card.search_name = search_key(card.full_name)
    _insert_with_new_med_id(card)
    for document in cleaned_documents:
        IdentityDocument.objects.create(card=card, **document)
    if attached_facility:
        Attachment.objects.create(card=card, facility=attached_facility,
                                  family_doctor=family_doctor, changed_by=actor,
                                  reason=_("Registered"))
    record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id)
    return card


def _clean_documents(documents: list[dict]) -> list[dict]:
    cleaned, errors = [], []
    for document in documents:
        number = normalise_document_number(document.get("number", ""))
        country = (document.get("country") or "").upper()
        try:
            validate_identity_document(kind=document.get("kind", ""), number=number,
                                       country=country)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if IdentityDocument.objects.filter(kind=document["kind"], number__iexact=number,
                                           country=country).exists():
            errors.append(_("The document %(number)s is already on another card.")
                          % {"number": number})
        cleaned.append({"kind": document["kind"], "number": number, "country": country})
    if errors:
        raise ValidationError({"documents": errors})
    return cleaned


@transaction.atomic
def register_temporary_card(*, actor: User, sex: str = "", notes: str = "") -> PatientCard:
    """An unidentified person (brought in unconscious): a card at once, scoped to here."""
    record = _require_facility_staff(actor)
    card = PatientCard(status=CardStatus.TEMPORARY, sex=sex, registered_at=record.facility,
                       street=notes[:200])
    _insert_with_new_med_id(card)
    record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id,
                       reason=_("Unidentified patient"))
    return card


def update_card(*, actor: User, med_id: str, **changes) -> PatientCard:
    """Correct a card's identity details; the PINFL is checked against what results."""
    access = card_for(actor, med_id, action=AuditAction.UPDATE)
    if actor.role == Role.PATIENT:
        raise PermissionDenied(_("Patients cannot change their card; ask the registry."))
    with transaction.atomic():
        card = PatientCard.objects.select_for_update().get(pk=access.card.pk)
        unknown = set(changes) - set(IDENTITY_FIELDS)
        if unknown:
            raise ValidationError({field: [_("This field cannot be changed.")]
                                   for field in sorted(unknown)})
        fields = _clean_identity(changes, card=card)
        for field, value in fields.items():
            setattr(card, field, value)
        card.search_name = search_key(card.full_name)
        if card.status == CardStatus.TEMPORARY and card.last_name and card.birth_date and card.sex:
            card.status = CardStatus.ACTIVE
        card.save()
    return card


@transaction.atomic
def break_the_glass(*, actor: User, med_id: str, reason: str) -> BreakGlassGrant:
    """Open a card outside one's scope for a day, with a stated reason, flagged for review."""
    reason = reason.strip()
    if actor.role not in CARING_ROLES:
        raise PermissionDenied(_("Only clinicians and nurses may break the glass."))
    if len(reason) < 10:
        raise ValidationError({"reason": [_("State why you need this card (at least 10 "
                                            "characters).")]})
    card = PatientCard.objects.filter(med_id=normalise_med_id(med_id)).exclude(
        status=CardStatus.MERGED).first()
    if card is None:
        raise Http404
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(user=actor, card=card, reason=reason,
                                           granted_at=now, expires_at=now + BREAK_GLASS_LIFETIME)
    record_audit_event(actor=actor, action=AuditAction.BREAK_GLASS, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id, reason=reason,
                       break_glass=True)
    return grant
