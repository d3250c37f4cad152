"""Every write to a card: one transaction each, with its audit event."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from dmed.translit import search_key
from outbox.events import emit
from outbox.kinds import ATTACHMENT_DECLINED, ATTACHMENT_MOVED
from patients.access import (
    ATTACHING_KINDS,
    CARD_OBJECT,
    CARING_ROLES,
    FACILITY_ROLES,
    card_at_the_desk,
    card_for,
    card_initials,
    visible_cards,
)
from patients.hooks import hook
from patients.identifiers import (
    new_med_id,
    normalise_document_number,
    normalise_med_id,
    normalise_phone,
    validate_identity_document,
    validate_pinfl_against,
)
from patients.models import (
    ICD10_PATTERN,
    AllergenKind,
    Allergy,
    Attachment,
    AttachmentGround,
    AttachmentRequest,
    AttachmentRequestStatus,
    BreakGlassGrant,
    CardStatus,
    ChronicCondition,
    ConditionStatus,
    GrantReview,
    IdentityDocument,
    PatientCard,
    Representation,
    Severity,
    Verification,
)
from patients.selectors import ATTACHMENT_REQUEST_OBJECT, GRANT_OBJECT, possible_duplicates
from patients.signals import card_address_changed, card_attached, card_merged
from registry.models import FacilityKind
from registry.selectors import acting_staff_record, facility_heads, works_at

BREAK_GLASS_LIFETIME = timedelta(days=1)
MED_ID_ATTEMPTS = 8
IDENTITY_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "sex", "pinfl",
                   "phone", "region", "district", "street", "blood_group",
                   "emergency_contact_name", "emergency_contact_phone")

# An identified (not temporary, not merged) card has these (PatientCard's constraint).
IDENTIFIED_CARD_FIELDS = ("last_name", "birth_date", "sex")
SUBSTANCE_LENGTH = Allergy._meta.get_field("substance").max_length
REACTION_LENGTH = Allergy._meta.get_field("reaction").max_length
END_REASON_LENGTH = Allergy._meta.get_field("end_reason").max_length
CONDITION_TEXT_LENGTH = ChronicCondition._meta.get_field("text").max_length


def card_hint(card: PatientCard) -> str:
    """What someone who may not open a card learns of it: initials, birth year and its
    polyclinic. Never the MED-ID (which opens the card at a counter) nor the full name."""
    initials = " ".join(f"{name[:1]}." for name in (card.last_name, card.first_name) if name)
    year = card.birth_date.year if card.birth_date else "?"
    if card.attached_facility_id:
        return _("%(initials)s, born %(year)s, attached to %(polyclinic)s") % {
            "initials": initials, "year": year, "polyclinic": card.attached_facility.name}
    return _("%(initials)s, born %(year)s, not attached to a polyclinic") % {
        "initials": initials, "year": year}


def _openable(actor: User, cards: list[PatientCard]) -> set[int]:
    """Which of these cards the actor may open (one query): only those are named."""
    return set(visible_cards(actor).filter(pk__in=[card.pk for card in cards])
               .values_list("pk", flat=True))


class PossibleDuplicate(ValidationError):
    """Cards with the same name and birth date exist; the caller must confirm first.

    Cards the registrar may open are named by MED-ID (they can open and check them);
    any other is described by `card_hint` only, with what to do instead of registering.
    """

    def __init__(self, openable: list[PatientCard], elsewhere: list[PatientCard]):
        messages = []
        if openable:
            messages.append(_("Cards with the same name and birth date exist: %(ids)s. Check "
                              "them, then confirm this is a different person.")
                            % {"ids": ", ".join(c.med_id for c in openable)})
        for card in elsewhere:
            # What to do instead: the person's request of attachment, recorded from the
            # card found by its MED-ID or PINFL (request_attachment).
            messages.append(_(
                "A card for this person probably exists already: %(hint)s. Do not register "
                "a second card: to be served here, the person applies for attachment to "
                "this polyclinic, and that polyclinic or this one's registry moves the card. "
                "Confirm only if this is a different person.") % {"hint": card_hint(card)})
        super().__init__({"non_field_errors": messages}, code="possible_duplicate")
        self.candidates = openable
        self.hints = [card_hint(card) for card in elsewhere]


def _require_facility_staff(actor: User):
    record = acting_staff_record(actor)
    if actor.role not in FACILITY_ROLES or record is None:
        raise PermissionDenied(_("Only registrars and clinicians at a facility register cards."))
    return record


def _clean_identity(fields: dict, *, actor: User, card: PatientCard | None = None) -> dict:
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
            holder = PatientCard.objects.select_related("attached_facility").filter(
                pinfl=pinfl).exclude(
                pk=card.pk if card else None).first()
            if holder and _openable(actor, [holder]):
                errors.setdefault("pinfl", []).append(
                    _("This PINFL is already on card %(med_id)s.") % {"med_id": holder.med_id})
            elif holder:
                errors.setdefault("pinfl", []).append(
                    _("This PINFL is already on another card: %(hint)s.")
                    % {"hint": card_hint(holder)})
    district, region = cleaned.get("district"), cleaned.get("region")
    if district and region and district.region_id != region.pk:
        errors.setdefault("district", []).append(_("This district is not in the chosen region."))
    if card is None or card.status not in (CardStatus.TEMPORARY, CardStatus.MERGED):
        # What the database's card_identified_has_identity constraint holds, said per field.
        for field in IDENTIFIED_CARD_FIELDS:
            if cleaned.get(field, getattr(card, field) if card else None) in ("", None):
                errors.setdefault(field, []).append(
                    _("An identified card needs this field; it cannot be empty."))
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
            # Two registrars saving the same person at once: the database keeps one.
            if "card_pinfl_unique" in str(error):
                raise ValidationError({"pinfl": [_("This PINFL was just registered on another "
                                                   "card.")]}) from error
            if "med_id" not in str(error):
                raise
    raise RuntimeError("could not draw a free MED-ID")


def register_card(*, actor: User, last_name: str, first_name: str, birth_date: date, sex: str,
                  middle_name: str = "", documents: list[dict] | None = None,
                  attached_facility=None, family_doctor: User | None = None,
                  confirm_not_duplicate: bool = False, **identity) -> PatientCard:
    """Register a person: the card gets its MED-ID and an attachment at once."""
    record = _require_facility_staff(actor)
    fields = _clean_identity({"last_name": last_name.strip(), "first_name": first_name.strip(),
                              "middle_name": middle_name.strip(), "birth_date": birth_date,
                              "sex": sex, **identity}, actor=actor)
    cleaned_documents = _clean_documents(documents or [])
    if not confirm_not_duplicate:
        candidates = possible_duplicates(last_name=last_name, first_name=first_name,
                                         birth_date=birth_date)
        if candidates:
            # A card the registrar may open is named; any other only hinted at (card_hint).
            # Either read is audited, outside the registration's transaction, which does
            # not happen.
            openable = _openable(actor, candidates)
            for candidate in candidates:
                record_audit_event(actor=actor, action=AuditAction.LIST,
                                   object_type="patients.duplicate_candidate",
                                   object_id=candidate.med_id, patient_med_id=candidate.med_id,
                                   reason="" if candidate.pk in openable
                                   else "outside scope: initials, birth year, polyclinic")
            raise PossibleDuplicate([c for c in candidates if c.pk in openable],
                                    [c for c in candidates if c.pk not in openable])
    if attached_facility is None and record.facility.kind == FacilityKind.POLYCLINIC:
        attached_facility = record.facility
    with transaction.atomic():
        card = PatientCard(**fields, registered_at=record.facility,
                           attached_facility=attached_facility, family_doctor=family_doctor)
        card.search_name = search_key(card.full_name)
        _insert_with_new_med_id(card)
        try:
            with transaction.atomic():
                for document in cleaned_documents:
                    IdentityDocument.objects.create(card=card, **document)
        except IntegrityError as error:
            raise ValidationError({"documents": [_("This document was just registered on "
                                                   "another card.")]}) from error
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
                       identification_notes=notes.strip()[:300])
    _insert_with_new_med_id(card)
    record_audit_event(actor=actor, action=AuditAction.CREATE, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id,
                       reason=_("Unidentified patient"))
    return card


def authorise_card_write(actor: User, med_id: str):
    """Scope check for a write, outside its transaction so that a refusal stays audited."""
    return card_for(actor, med_id, action=AuditAction.UPDATE, record_success=False)


def audit_card_write(actor: User, access, reason: str = "") -> None:
    """The write's audit event, inside the write's transaction."""
    record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=CARD_OBJECT,
                       object_id=access.card.med_id, patient_med_id=access.card.med_id,
                       reason=reason, break_glass=access.break_glass)


def update_card(*, actor: User, med_id: str, **changes) -> PatientCard:
    """Correct a card's identity details; the PINFL is checked against what results."""
    access = authorise_card_write(actor, med_id)
    if actor.role == Role.PATIENT:
        raise PermissionDenied(_("Patients cannot change their card; ask the registry."))
    with transaction.atomic():
        card = PatientCard.objects.select_for_update().get(pk=access.card.pk)
        unknown = set(changes) - set(IDENTITY_FIELDS)
        if unknown:
            raise ValidationError({field: [_("This field cannot be changed.")]
                                   for field in sorted(unknown)})
        fields = _clean_identity(changes, actor=actor, card=card)
        moved_house = "street" in fields and fields["street"] != card.street
        for field, value in fields.items():
            setattr(card, field, value)
        card.search_name = search_key(card.full_name)
        if card.status == CardStatus.TEMPORARY and card.last_name and card.birth_date and card.sex:
            card.status = CardStatus.ACTIVE
        card.save()
        audit_card_write(actor, access)
        if moved_house:
            card_address_changed.send(sender=PatientCard, card=card, actor=actor)
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
    record = acting_staff_record(actor)
    grant = BreakGlassGrant.objects.create(user=actor, card=card, reason=reason,
                                           facility=record.facility if record else None,
                                           granted_at=now, expires_at=now + BREAK_GLASS_LIFETIME)
    record_audit_event(actor=actor, action=AuditAction.BREAK_GLASS, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id, reason=reason,
                       break_glass=True)
    return grant


def _lock_pair(first: PatientCard, second: PatientCard):
    """Lock both cards in primary-key order, so two merges cannot deadlock."""
    locked = {c.pk: c for c in PatientCard.objects.select_for_update()
              .filter(pk__in=[first.pk, second.pk]).order_by("pk")}
    return locked[first.pk], locked[second.pk]


@transaction.atomic
def merge_cards(*, actor: User, source_med_id: str, target_med_id: str) -> PatientCard:
    """Merge one person's second card into their first; every record moves, nothing is lost.

    Administrators merge any two cards. Staff of a facility merge a temporary card
    registered there into the card of the person once identified.
    """
    source = PatientCard.objects.filter(med_id=normalise_med_id(source_med_id)).first()
    target = PatientCard.objects.filter(med_id=normalise_med_id(target_med_id)).first()
    if source is None or target is None:
        raise Http404
    source, target = _lock_pair(source, target)
    if source.pk == target.pk:
        raise ValidationError({"into": [_("A card cannot be merged into itself.")]})
    if CardStatus.MERGED in (source.status, target.status):
        raise ValidationError({"into": [_("This card was already merged.")]})
    if actor.role != Role.ADMINISTRATOR:
        record = acting_staff_record(actor)
        if not (source.status == CardStatus.TEMPORARY and record is not None
                and record.facility_id == source.registered_at_id):
            raise PermissionDenied(_("Only administrators merge identified cards."))
    _move_records(source, target)
    PatientCard.objects.filter(merged_into=source).update(merged_into=target)
    source.status, source.merged_into = CardStatus.MERGED, target
    source.save(update_fields=["status", "merged_into", "pinfl", "user", "updated_at"])
    target.save()
    card_merged.send(sender=PatientCard, source=source, target=target, actor=actor)
    for card in (source, target):
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=CARD_OBJECT,
                           object_id=card.med_id, patient_med_id=card.med_id,
                           reason=_("Card %(source)s merged into %(target)s")
                           % {"source": source.med_id, "target": target.med_id})
    return target


def _move_records(source: PatientCard, target: PatientCard) -> None:
    for model in (IdentityDocument, Allergy, ChronicCondition, Representation, BreakGlassGrant):
        model.objects.filter(card=source).update(card=target)
    # The target's own attachment stays current; the source's becomes history.
    source_attachments = Attachment.objects.filter(card=source)
    if Attachment.objects.filter(card=target, ended_at__isnull=True).exists():
        source_attachments.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    source_attachments.update(card=target)
    # Identity the target lacks comes from the source; unique values move, never copy.
    if source.pinfl and not target.pinfl:
        target.pinfl, source.pinfl = source.pinfl, ""
        source.save(update_fields=["pinfl"])
    if source.user_id and not target.user_id:
        target.user_id, source.user = source.user_id, None
        source.save(update_fields=["user"])
    for field in IDENTITY_FIELDS:
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
    if target.status == CardStatus.TEMPORARY and target.last_name and target.birth_date:
        target.status = CardStatus.ACTIVE
    target.search_name = search_key(target.full_name)


def change_attachment(*, actor: User, med_id: str, facility, family_doctor: User | None,
                      reason: str) -> Attachment:
    """Attach the card to another polyclinic or doctor; the old attachment becomes history."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the attachment changes.")]})
    if facility.kind not in ATTACHING_KINDS:
        raise ValidationError({"facility": [_("Cards are attached to a polyclinic or a family "
                                              "doctor point.")]})
    if actor.role not in (Role.REGISTRAR, Role.CLINICIAN, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Registrars change attachments."))
    access = authorise_card_write(actor, med_id)
    with transaction.atomic():
        card = PatientCard.objects.select_for_update().get(pk=access.card.pk)
        attachment = _move_card(card, facility=facility, family_doctor=family_doctor,
                                reason=reason, actor=actor)
        audit_card_write(actor, access, reason)
    return attachment


def _move_card(card: PatientCard, *, facility, family_doctor: User | None, reason: str,
               actor: User) -> Attachment:
    """Attach the locked card elsewhere: the current attachment ends and stays as history."""
    Attachment.objects.filter(card=card, ended_at__isnull=True).update(ended_at=timezone.now())
    attachment = Attachment.objects.create(card=card, facility=facility,
                                           family_doctor=family_doctor, reason=reason,
                                           changed_by=actor)
    card.attached_facility, card.family_doctor = facility, family_doctor
    card.save(update_fields=["attached_facility", "family_doctor", "updated_at"])
    card_attached.send(sender=PatientCard, card=card, actor=actor)
    return attachment


NEW_ADDRESS_LENGTH = AttachmentRequest._meta.get_field("new_address").max_length
DECISION_NOTE_LENGTH = AttachmentRequest._meta.get_field("decision_note").max_length


def _requesting_card(actor: User, med_id: str, facility) -> PatientCard:
    """The card an attachment request is for. A registrar records it for a person at their
    desk (the card is usually outside scope: that is why they ask), for their own
    polyclinic only; a patient asks for their own card or one they represent."""
    if actor.role == Role.REGISTRAR:
        record = acting_staff_record(actor)
        if record is None or facility is None or record.facility_id != facility.pk:
            raise PermissionDenied(_("A registrar records requests to their own polyclinic."))
        return card_at_the_desk(actor, med_id)
    if actor.role == Role.PATIENT:
        return authorise_card_write(actor, med_id).card
    raise PermissionDenied(_("Attachment is requested by the person or a registrar."))


def next_own_choice_move(card: PatientCard) -> date | None:
    """The first day the person may move by their own choice again, when that is later than
    today: a year (the setting) after their last accepted own-choice move."""
    last = (AttachmentRequest.objects.filter(card=card, ground=AttachmentGround.OWN_CHOICE,
                                             status=AttachmentRequestStatus.ACCEPTED)
            .order_by("-decided_at").values_list("decided_at", flat=True).first())
    if last is None:
        return None
    allowed = timezone.localtime(last).date() + timedelta(
        days=settings.ATTACHMENT_CHANGE_INTERVAL_DAYS)
    return allowed if allowed > timezone.localdate() else None


def request_attachment(*, actor: User, med_id: str, facility, ground: str,
                       applied_on: date | None = None,
                       new_address: str = "") -> AttachmentRequest:
    """Record a person's application to be attached to `facility`; that polyclinic decides.

    By their own choice once a year (settings.ATTACHMENT_CHANGE_INTERVAL_DAYS), after moving
    house at any time (with the new address); one application open at a time (the
    database holds that too)."""
    errors: dict[str, list] = {}
    new_address = (new_address or "").strip()
    applied_on = applied_on or timezone.localdate()
    if ground not in AttachmentGround.values:
        errors["ground"] = [_("Choose the person's own choice or a move of house.")]
    if ground == AttachmentGround.MOVED_HOUSE and not new_address:
        errors["new_address"] = [_("After a move, give the new address.")]
    if len(new_address) > NEW_ADDRESS_LENGTH:
        errors["new_address"] = [_("At most %(count)s characters.")
                                 % {"count": NEW_ADDRESS_LENGTH}]
    if applied_on > timezone.localdate():
        errors["applied_on"] = [_("The application date is in the future.")]
    if facility is None or facility.kind not in ATTACHING_KINDS:
        errors["facility"] = [_("Cards are attached to a polyclinic or a family doctor "
                                "point.")]
    card = _requesting_card(actor, med_id, facility)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The card's row serialises requests for it: the checks below see every other.
        card = PatientCard.objects.select_for_update(of=("self",)).select_related(
            "attached_facility").get(pk=card.pk)
        if card.status != CardStatus.ACTIVE:
            raise ValidationError({"card": [_("Identify the person on their card first.")]})
        if card.attached_facility_id == facility.pk:
            raise ValidationError({"facility": [_("The card is attached here already.")]})
        if AttachmentRequest.objects.filter(card=card,
                                            status=AttachmentRequestStatus.PENDING).exists():
            raise ValidationError({"card": [_("An attachment request of this person awaits a "
                                              "decision already.")]})
        allowed = next_own_choice_move(card) if ground == AttachmentGround.OWN_CHOICE else None
        if allowed is not None:
            raise ValidationError({"ground": [_(
                "The person moved by their own choice less than a year ago: the next such "
                "move is possible from %(date)s, or now after a move of house.")
                % {"date": allowed.strftime("%d.%m.%Y")}]})
        request = AttachmentRequest.objects.create(
            card=card, facility=facility, from_facility=card.attached_facility,
            ground=ground, new_address=new_address, applied_on=applied_on,
            requested_by=actor)
        record_audit_event(actor=actor, action=AuditAction.CREATE,
                           object_type=ATTACHMENT_REQUEST_OBJECT,
                           object_id=str(request.public_id), patient_med_id=card.med_id,
                           reason=f"{ground} → {facility.code}")
    return request


def _request_to_decide(actor: User, request_id) -> AttachmentRequest:
    """A request to the polyclinic the actor acts for, for its registrars and head; to
    anyone else it does not exist (404). Called outside the decision's transaction, so
    that a refusal stays audited."""
    record = acting_staff_record(actor)
    try:
        public_id = uuid.UUID(str(request_id))
    except ValueError as error:
        raise Http404 from error
    request = AttachmentRequest.objects.filter(public_id=public_id).first()
    if request is None or record is None or record.facility_id != request.facility_id:
        record_audit_event(actor=actor, action=AuditAction.UPDATE,
                           object_type=ATTACHMENT_REQUEST_OBJECT, object_id=str(public_id),
                           allowed=False)
        raise Http404
    if actor.role != Role.REGISTRAR and not record.is_head:
        raise PermissionDenied(_("The polyclinic's head or a registrar decides attachment "
                                 "requests."))
    return request


def decide_attachment_request(*, actor: User, request_id, accept: bool, note: str = "",
                              family_doctor: User | None = None) -> AttachmentRequest:
    """The polyclinic asked accepts (the card moves, with a family doctor of its own) or
    declines with a reason; the patient is told either way, and on a move the polyclinic
    left (its family doctor and heads) too."""
    note = (note or "").strip()
    errors: dict[str, list] = {}
    if not accept and not note:
        errors["note"] = [_("Say why the request is declined.")]
    if len(note) > DECISION_NOTE_LENGTH:
        errors["note"] = [_("At most %(count)s characters.") % {"count": DECISION_NOTE_LENGTH}]
    request = _request_to_decide(actor, request_id)
    with transaction.atomic():
        request = (AttachmentRequest.objects.select_for_update(of=("self",))
                   .select_related("facility").get(pk=request.pk))
        if family_doctor is not None and not works_at(family_doctor, request.facility_id,
                                                      Role.CLINICIAN):
            errors["family_doctor"] = [_("Choose a clinician of this polyclinic.")]
        if errors:
            raise ValidationError(errors)
        if request.status != AttachmentRequestStatus.PENDING:
            raise ValidationError({"request": [_("This request has been decided already.")]})
        card = PatientCard.objects.select_for_update(of=("self",)).select_related(
            "attached_facility").get(pk=request.card_id)
        request.status = (AttachmentRequestStatus.ACCEPTED if accept
                          else AttachmentRequestStatus.DECLINED)
        request.decided_by, request.decided_at = actor, timezone.now()
        request.decision_note = note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE,
                           object_type=ATTACHMENT_REQUEST_OBJECT,
                           object_id=str(request.public_id), patient_med_id=card.med_id,
                           reason=f"{request.status}: {note}".strip())
        event = {"med_id": card.med_id, "request": request.public_id,
                 "to_facility": request.facility.name,
                 "applied_on": request.applied_on, "reason": note}
        if accept:
            _emit_move(card, request, event, family_doctor=family_doctor, actor=actor)
        else:
            emit(ATTACHMENT_DECLINED, event,
                 dedupe_key=f"attachment-request:{request.public_id}:declined")
    return request


def _emit_move(card: PatientCard, request: AttachmentRequest, event: dict, *,
               family_doctor: User | None, actor: User) -> None:
    """Move the card and tell its patient and the polyclinic it leaves: that polyclinic's
    family doctor of the patient and its heads, who learn initials and birth year only."""
    told = ([card.family_doctor_id] if card.family_doctor_id else []) + (
        facility_heads(card.attached_facility_id) if card.attached_facility_id else [])
    from_facility = card.attached_facility.name if card.attached_facility_id else ""
    _move_card(card, facility=request.facility, family_doctor=family_doctor,
               reason=_("Attachment request of %(date)s: %(ground)s")
               % {"date": request.applied_on.strftime("%d.%m.%Y"),
                  "ground": request.get_ground_display()}, actor=actor)
    record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=CARD_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id,
                       reason=f"attached to {request.facility.code}")
    emit(ATTACHMENT_MOVED, {**event, "from_facility": from_facility,
                            "patient": card_initials(card),
                            "born": card.birth_date.year if card.birth_date else "",
                            "old_polyclinic_staff": sorted(set(told))},
         dedupe_key=f"attachment-request:{request.public_id}:moved")


def _authorise_clinical_write(actor: User, med_id: str):
    if actor.role not in CARING_ROLES:
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=CARD_OBJECT,
                           object_id=med_id, allowed=False, reason="clinical summary")
        raise PermissionDenied(_("Clinicians and nurses record the clinical summary."))
    return authorise_card_write(actor, med_id)


def _allergy_fields(*, kind: str, substance: str, reaction: str, severity: str,
                    verification: str) -> dict:
    """An allergy's fields checked and named as the card records them (a drug by its INN,
    a group by its ATC group, through the registry's hook); every problem per field."""
    errors: dict[str, list] = {}
    substance, reaction = (substance or "").strip(), (reaction or "").strip()
    if kind not in AllergenKind.values:
        errors["kind"] = [_("Choose a medicine, a group of medicines or another allergen.")]
    if severity not in Severity.values:
        errors["severity"] = [_("Choose how severe the reaction is.")]
    if verification not in Verification.values:
        errors["verification"] = [_("Say whether the allergy is verified or suspected.")]
    if len(reaction) > REACTION_LENGTH:
        errors["reaction"] = [_("At most %(count)s characters.") % {"count": REACTION_LENGTH}]
    atc_code = ""
    if not substance:
        errors["substance"] = [_("Name what the patient is allergic to.")]
    elif len(substance) > SUBSTANCE_LENGTH:
        errors["substance"] = [_("At most %(count)s characters.")
                               % {"count": SUBSTANCE_LENGTH}]
    elif kind in (AllergenKind.DRUG, AllergenKind.DRUG_GROUP):
        try:
            substance, atc_code = hook("ALLERGEN_RESOLVER")(kind, substance)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "substance": substance, "atc_code": atc_code, "reaction": reaction,
            "severity": severity, "verification": verification}


def _describe_allergy(allergy: Allergy) -> str:
    return f"{allergy.substance} ({allergy.get_severity_display()}, " \
           f"{allergy.get_verification_display()})"


def _locked_card(access) -> PatientCard:
    """The card row locked: allergy changes and "no known allergies" exclude each other."""
    return PatientCard.objects.select_for_update().get(pk=access.card.pk)


def _record_of(model, card: PatientCard, public_id):
    """A record of this card by its public id, locked; another card's id is not followed."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404 from error
    try:
        return model.objects.select_for_update().get(public_id=public_id, card=card)
    except model.DoesNotExist as missing:
        raise Http404 from missing


def _refuse_twice(card: PatientCard, substance: str, *, other_than=None) -> None:
    same = Allergy.objects.filter(card=card, ended_at__isnull=True,
                                  substance__iexact=substance)
    if other_than is not None:
        same = same.exclude(pk=other_than.pk)
    if same.exists():
        raise ValidationError({"substance": [_("This allergy is on the card already; correct "
                                               "it there.")]})


def record_allergy(*, actor: User, med_id: str, substance: str, severity: str,
                   reaction: str = "", kind: str = AllergenKind.OTHER,
                   verification: str = Verification.SUSPECTED) -> Allergy:
    """Add an allergy; a "no known allergies" statement on the card is withdrawn by it."""
    access = _authorise_clinical_write(actor, med_id)
    fields = _allergy_fields(kind=kind, substance=substance, reaction=reaction,
                             severity=severity, verification=verification)
    with transaction.atomic():
        card = _locked_card(access)
        _refuse_twice(card, fields["substance"])
        allergy = Allergy.objects.create(card=card, recorded_by=actor, changed_by=actor,
                                         **fields)
        if card.no_known_allergies_at:
            card.no_known_allergies_at, card.no_known_allergies_by = None, None
            card.save(update_fields=["no_known_allergies_at", "no_known_allergies_by",
                                     "updated_at"])
        audit_card_write(actor, access, _("Allergy recorded: %(allergy)s")
                         % {"allergy": _describe_allergy(allergy)})
    return allergy


def correct_allergy(*, actor: User, med_id: str, allergy_id, substance: str, severity: str,
                    reaction: str = "", kind: str = AllergenKind.OTHER,
                    verification: str = Verification.SUSPECTED) -> Allergy:
    """Correct a current allergy (a suspicion verified, a reaction described better)."""
    access = _authorise_clinical_write(actor, med_id)
    fields = _allergy_fields(kind=kind, substance=substance, reaction=reaction,
                             severity=severity, verification=verification)
    with transaction.atomic():
        card = _locked_card(access)
        allergy = _record_of(Allergy, card, allergy_id)
        if not allergy.is_active:
            raise ValidationError(_("This allergy has ended; record it again if it returns."),
                                  code="allergy_ended")
        _refuse_twice(card, fields["substance"], other_than=allergy)
        before = _describe_allergy(allergy)
        for name, value in fields.items():
            setattr(allergy, name, value)
        allergy.changed_at, allergy.changed_by = timezone.now(), actor
        allergy.save()
        audit_card_write(actor, access, _("Allergy corrected: %(before)s → %(after)s")
                         % {"before": before, "after": _describe_allergy(allergy)})
    return allergy


def end_allergy(*, actor: User, med_id: str, allergy_id, reason: str) -> Allergy:
    """End an allergy (outgrown, or recorded in error): it stays as history, warns no more."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"end_reason": [_("Say why the allergy no longer applies.")]})
    if len(reason) > END_REASON_LENGTH:
        raise ValidationError({"end_reason": [_("At most %(count)s characters.")
                                              % {"count": END_REASON_LENGTH}]})
    access = _authorise_clinical_write(actor, med_id)
    with transaction.atomic():
        allergy = _record_of(Allergy, _locked_card(access), allergy_id)
        if not allergy.is_active:
            raise ValidationError(_("This allergy has ended already."), code="allergy_ended")
        now = timezone.now()
        allergy.ended_at, allergy.end_reason = now, reason
        allergy.changed_at, allergy.changed_by = now, actor
        allergy.save(update_fields=["ended_at", "end_reason", "changed_at", "changed_by"])
        audit_card_write(actor, access, _("Allergy ended: %(allergy)s — %(reason)s")
                         % {"allergy": _describe_allergy(allergy), "reason": reason})
    return allergy


def record_no_known_allergies(*, actor: User, med_id: str) -> PatientCard:
    """The patient was asked and knows of no allergy: a statement, unlike never asking."""
    access = _authorise_clinical_write(actor, med_id)
    with transaction.atomic():
        card = _locked_card(access)
        if Allergy.objects.filter(card=card, ended_at__isnull=True).exists():
            raise ValidationError(_("The card lists allergies: end those recorded in error "
                                    "first."), code="allergies_listed")
        card.no_known_allergies_at, card.no_known_allergies_by = timezone.now(), actor
        card.save(update_fields=["no_known_allergies_at", "no_known_allergies_by",
                                 "updated_at"])
        audit_card_write(actor, access, _("No known allergies recorded"))
    return card


def _condition_fields(*, icd10_code: str, text: str, since: date | None,
                      status: str) -> dict:
    """A chronic condition's fields checked: the code must be in the ICD-10 catalogue
    (through its hook). Without the clinician's own text the catalogue's title names the
    condition, in each reader's language, so none is copied in the writer's."""
    errors: dict[str, list] = {}
    code, text = (icd10_code or "").strip().upper(), (text or "").strip()
    title = hook("ICD10_TITLE")(code) if re.match(ICD10_PATTERN, code) else None
    if title is None:
        errors["icd10_code"] = [_("Choose a code of the ICD-10 catalogue, e.g. I10 or E11.9.")]
    if len(text) > CONDITION_TEXT_LENGTH:
        errors["text"] = [_("At most %(count)s characters.") % {"count": CONDITION_TEXT_LENGTH}]
    if since and since > timezone.localdate():
        errors["since"] = [_("The onset cannot be in the future.")]
    if status not in ConditionStatus.values:
        errors["status"] = [_("Choose active, in remission or resolved.")]
    if errors:
        raise ValidationError(errors)
    return {"icd10_code": code, "text": text, "since": since, "status": status}


def _refuse_condition_twice(card: PatientCard, code: str, *, other_than=None) -> None:
    same = ChronicCondition.objects.filter(card=card, icd10_code=code).exclude(
        status=ConditionStatus.RESOLVED)
    if other_than is not None:
        same = same.exclude(pk=other_than.pk)
    if same.exists():
        raise ValidationError({"icd10_code": [_("This condition is on the card already; "
                                                "correct it there.")]})


def record_chronic_condition(*, actor: User, med_id: str, icd10_code: str, text: str = "",
                             since: date | None = None,
                             status: str = ConditionStatus.ACTIVE) -> ChronicCondition:
    access = _authorise_clinical_write(actor, med_id)
    fields = _condition_fields(icd10_code=icd10_code, text=text, since=since, status=status)
    with transaction.atomic():
        card = _locked_card(access)
        _refuse_condition_twice(card, fields["icd10_code"])
        condition = ChronicCondition.objects.create(card=card, recorded_by=actor,
                                                    changed_by=actor, **fields)
        audit_card_write(actor, access, (_("Chronic condition recorded: %(code)s %(text)s")
                                         % {"code": condition.icd10_code,
                                            "text": condition.text}).strip())
    return condition


def correct_chronic_condition(*, actor: User, med_id: str, condition_id, icd10_code: str,
                              text: str = "", since: date | None = None,
                              status: str = ConditionStatus.ACTIVE) -> ChronicCondition:
    """Correct a condition, or change its status (in remission, resolved: no longer on the
    banner nor a ground for repeat prescriptions)."""
    access = _authorise_clinical_write(actor, med_id)
    fields = _condition_fields(icd10_code=icd10_code, text=text, since=since, status=status)
    with transaction.atomic():
        card = _locked_card(access)
        condition = _record_of(ChronicCondition, card, condition_id)
        _refuse_condition_twice(card, fields["icd10_code"], other_than=condition)
        before = f"{condition.icd10_code} {condition.get_status_display()}"
        for name, value in fields.items():
            setattr(condition, name, value)
        condition.changed_at, condition.changed_by = timezone.now(), actor
        condition.save()
        audit_card_write(actor, access, _("Chronic condition corrected: %(before)s → %(after)s")
                         % {"before": before, "after": f"{condition.icd10_code} "
                                                       f"{condition.get_status_display()}"})
    return condition


def link_representative(*, actor: User, med_id: str, representative: User, basis: str,
                        valid_from: date | None = None,
                        valid_to: date | None = None) -> Representation:
    """A parent or guardian gets to see a child's or ward's card from their own account."""
    if actor.role not in (Role.REGISTRAR, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Registrars link representatives."))
    errors = {}
    if representative.role != Role.PATIENT:
        errors["representative"] = [_("A representative signs in with a patient account.")]
    if not basis.strip():
        errors["basis"] = [_("State the basis: parent, guardianship decision, …")]
    valid_from = valid_from or timezone.localdate()
    if valid_to and valid_to < valid_from:
        errors["valid_to"] = [_("The end comes before the start.")]
    if errors:
        raise ValidationError(errors)
    access = authorise_card_write(actor, med_id)
    with transaction.atomic():
        representation, _created = Representation.objects.get_or_create(
            representative=representative, card=access.card, valid_from=valid_from,
            defaults={"basis": basis.strip(), "valid_to": valid_to},
        )
        audit_card_write(actor, access, reason=basis.strip())
    return representation



def _grant_for_head(actor: User, public_id) -> BreakGlassGrant:
    """A grant made at the facility this head acts for, locked; 404 for any other."""
    record = acting_staff_record(actor)
    if record is None or not record.is_head:
        raise PermissionDenied(_("Only the head of the facility reviews break-the-glass."))
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404 from error
    grant = (BreakGlassGrant.objects.select_for_update(of=("self",)).select_related("card")
             .filter(public_id=public_id, facility_id=record.facility_id).first())
    if grant is None:
        raise Http404
    return grant


@transaction.atomic
def review_break_glass(*, actor: User, grant_id, outcome: str, note: str) -> BreakGlassGrant:
    """The head confirms a grant as justified or refers it on, with a note the patient
    reads in their access log."""
    if outcome not in (GrantReview.JUSTIFIED, GrantReview.REFERRED):
        raise ValidationError({"outcome": [_("Choose justified or referred.")]})
    note = (note or "").strip()
    if outcome == GrantReview.REFERRED and not note:
        raise ValidationError({"note": [_("Say why it is referred.")]})
    grant = _grant_for_head(actor, grant_id)
    if grant.review != GrantReview.PENDING:
        raise ValidationError({"outcome": [_("This access has been reviewed already.")]})
    grant.review, grant.review_note = outcome, note[:2000]
    grant.reviewed_by, grant.reviewed_at = actor, timezone.now()
    grant.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=GRANT_OBJECT,
                       object_id=str(grant.public_id), patient_med_id=grant.card.med_id,
                       reason=f"{outcome}: {note}".strip())
    return grant


@transaction.atomic
def revoke_break_glass(*, actor: User, grant_id) -> BreakGlassGrant:
    """End a grant before it expires: the clinician no longer reaches the card."""
    grant = _grant_for_head(actor, grant_id)
    now = timezone.now()
    if grant.revoked_at is not None or grant.expires_at <= now:
        raise ValidationError({"grant": [_("This access has already ended.")]})
    grant.revoked_at = now
    grant.save(update_fields=["revoked_at"])
    record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=GRANT_OBJECT,
                       object_id=str(grant.public_id), patient_med_id=grant.card.med_id,
                       reason="revoked")
    return grant


def link_mother_at_birth(*, actor: User, newborn: PatientCard, mother: PatientCard,
                         born_on: date) -> Representation | None:
    """The clinician recording a live birth makes the mother her newborn's representative,
    until the child comes of age, when she has a patient account (else the registry links
    her later, link_representative). Both cards must be in the clinician's scope."""
    if actor.role not in CARING_ROLES:
        raise PermissionDenied(_("Clinicians and nurses record births."))
    access = authorise_card_write(actor, newborn.med_id)
    authorise_card_write(actor, mother.med_id)
    if mother.user_id is None:
        return None
    try:
        comes_of_age = born_on.replace(year=born_on.year + 18)
    except ValueError:  # born on 29 February
        comes_of_age = date(born_on.year + 18, 3, 1)
    with transaction.atomic():
        representation, _created = Representation.objects.get_or_create(
            representative_id=mother.user_id, card=newborn, valid_from=born_on,
            defaults={"basis": _("Mother (birth record)"), "valid_to": comes_of_age},
        )
        audit_card_write(actor, access, reason=_("Mother linked at birth"))
    return representation
