"""Who may open which card: the one place the card scope rule lives.

`card_for` loads a card and authorises the acting user in one call, and writes the
audit event of the read (or of its refusal) in the same transaction. Every page and
endpoint that shows a card, or anything under it, starts from here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, reduce

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from patients.identifiers import is_valid_med_id, normalise_med_id
from patients.models import BreakGlassGrant, CardStatus, PatientCard, Representation
from registry.models import FacilityKind
from registry.selectors import acting_staff_record

CARD_OBJECT = "patients.card"
GLIMPSE_OBJECT = "patients.card_glimpse"  # an out-of-scope card found by its identifier
# Staff who care for patients and may therefore break the glass to reach one.
CARING_ROLES = (Role.CLINICIAN, Role.NURSE)
FACILITY_ROLES = (Role.CLINICIAN, Role.NURSE, Role.REGISTRAR)
# The facilities a card is attached to.
ATTACHING_KINDS = (FacilityKind.POLYCLINIC, FacilityKind.FAMILY_DOCTOR_POINT)


class Section(models.TextChoices):
    """The parts of a card that need-to-know tells apart."""

    IDENTIFICATION = "identification", _("identification")  # name, MED-ID, birth date, sex
    DEMOGRAPHICS = "demographics", _("demographics and contacts")
    ATTACHMENT = "attachment", _("attachment")
    APPOINTMENTS = "appointments", _("appointments, tickets and visit dates")
    CLINICAL_TEXT = "clinical_text", _("clinical text")
    DIAGNOSES = "diagnoses", _("diagnoses")
    LAB_RESULTS = "lab_results", _("laboratory orders and results")
    PRESCRIPTIONS = "prescriptions", _("prescriptions")
    ALLERGIES = "allergies", _("allergies and problems")
    STAYS = "stays", _("hospital stays")
    REFERRALS = "referrals", _("referrals: to whom and when")
    ACCESS_LOG = "access_log", _("access log")


_EVERYTHING = frozenset(Section)
# Need-to-know: which sections of a card (one in scope) each role sees, in pages, the API
# and exports. Clinicians and nurses treat, so they see the whole record; who opened it is
# the patient's to read (and administrators' to review). Lab technicians and pharmacists
# reach a card only through an order of their laboratory or a prescription's code.
NEED_TO_KNOW: dict[str, frozenset] = {
    Role.CLINICIAN: _EVERYTHING - {Section.ACCESS_LOG},
    Role.NURSE: _EVERYTHING - {Section.ACCESS_LOG},
    Role.REGISTRAR: frozenset({Section.IDENTIFICATION, Section.DEMOGRAPHICS,
                               Section.ATTACHMENT, Section.APPOINTMENTS, Section.REFERRALS}),
    # A referral to a laboratory is one of its orders: to whom and when.
    Role.LAB_TECHNICIAN: frozenset({Section.IDENTIFICATION, Section.LAB_RESULTS,
                                    Section.REFERRALS}),
    Role.PHARMACIST: frozenset({Section.IDENTIFICATION, Section.PRESCRIPTIONS}),
    Role.PATIENT: _EVERYTHING,
    Role.ADMINISTRATOR: frozenset({Section.IDENTIFICATION, Section.DEMOGRAPHICS,
                                   Section.ATTACHMENT, Section.APPOINTMENTS,
                                   Section.REFERRALS, Section.ACCESS_LOG}),
    # The national platform keeps the national record: every card's coded record (diagnoses,
    # results, prescriptions, …) and who opened it (citizens read it there too), but not the
    # clinicians' free text.
    Role.NATIONAL_PLATFORM: _EVERYTHING - {Section.CLINICAL_TEXT},
    # A district's epidemiologist reads the adverse events following immunisation of the
    # district (mch), each with its vaccination and the child's identification; no card
    # is in their scope, so no card opens for them.
    Role.EPIDEMIOLOGIST: frozenset({Section.IDENTIFICATION}),
}

# The section each audited kind of record belongs to: reading one needs it. A record kind
# missing here is refused to everyone (and its tests fail) until someone decides.
SECTION_OF_OBJECT: dict[str, str] = {
    CARD_OBJECT: Section.IDENTIFICATION,  # the page itself hides what the role may not see
    "patients.access_log": Section.ACCESS_LOG,
    "patients.allergy": Section.ALLERGIES,
    "patients.chronic_condition": Section.ALLERGIES,
    "patients.attachment_request": Section.ATTACHMENT,
    # Who represents the patient (parents, guardians): their names and contacts.
    "patients.representative": Section.DEMOGRAPHICS,
    "queue.ticket": Section.APPOINTMENTS,
    "queue.appointment": Section.APPOINTMENTS,
    "clinics.visit": Section.APPOINTMENTS,  # when, where, with whom; the text needs more
    "clinics.visit_record": Section.CLINICAL_TEXT,
    "clinics.visit_addendum": Section.CLINICAL_TEXT,
    # Measured at a visit and shown with its record (the API's visit shows them so).
    "clinics.vital_signs": Section.CLINICAL_TEXT,
    "clinics.diagnosis": Section.DIAGNOSES,
    "clinics.timeline": Section.IDENTIFICATION,  # each entry needs its own section
    "clinics.stay": Section.STAYS,
    "clinics.lab_order": Section.LAB_RESULTS,
    "clinics.lab_result": Section.LAB_RESULTS,
    "clinics.referral": Section.REFERRALS,
    "prescriptions.prescription": Section.PRESCRIPTIONS,
    # Mother and child (mch/): a pregnancy's course and a child's vaccinations are clinical.
    "mch.pregnancy": Section.CLINICAL_TEXT,
    "mch.immunisation": Section.CLINICAL_TEXT,
    # Patronage (patronage/): a home visit's findings are clinical.
    "patronage.visit": Section.CLINICAL_TEXT,
}


def sees(user: User, section: str) -> bool:
    """Does the user's role see this section of a card they may open?"""
    return section in NEED_TO_KNOW.get(user.role, frozenset())


def sections_seen(user: User) -> dict[str, bool]:
    """Every section by its value, for templates: `{% if sees.clinical_text %}`."""
    return {section.value: sees(user, section) for section in Section}


class SectionDenied(PermissionDenied):
    """The user may know the card, but their work does not need this part of it (403)."""

    code = "need_to_know"

    def __init__(self):
        super().__init__(_("Your role does not see this part of the card."))


class CardAccessDenied(PermissionDenied):
    """The card exists and the user may know it, but not open it (403; can break the glass)."""

    code = "out_of_scope"

    def __init__(self, *, can_break_glass: bool):
        super().__init__(_("This card is outside your scope."))
        self.can_break_glass = can_break_glass


def represented_card_ids(user: User):
    """Cards a representative may open now: the validity period is checked here only."""
    today = timezone.localdate()
    return Representation.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
        representative=user, valid_from__lte=today,
    ).values("card_id")


def _break_glass_cards(user: User):
    return BreakGlassGrant.objects.filter(user=user, expires_at__gt=timezone.now(),
                                          revoked_at__isnull=True).values("card_id")


@dataclass(frozen=True)
class Scope:
    """The cards a user reaches: field matches (all fields of one must hold) or card sets.

    Written once, read two ways: lists filter by `as_q()`; a single loaded card is checked
    by `contains()`, in Python for the matches, so opening a card costs no scope query.
    """

    everything: bool = False
    matches: tuple[dict, ...] = ()
    # Querysets of `card_id` values, made only when asked: a card in scope by its fields
    # (an attached patient, the usual case) costs no building of them.
    card_sets: Callable[[], tuple] = tuple

    def as_q(self) -> Q | None:
        if self.everything:
            return None
        terms = self.terms()
        return reduce(operator.or_, terms) if terms else Q(pk__in=[])

    def terms(self) -> list[Q]:
        """The branches `as_q` ORs together, for a query that runs each on its own index
        (see patients.selectors.search_cards). Meaningless when `everything`. The card
        sets are one branch, the union of their ids: each is a few rows, and one subquery
        for all of them costs a search's planning and Python a fraction of one each."""
        sets = self.card_sets()
        ids = [card_ids.order_by() for card_ids in sets]  # each set's own order is no use
        together = [Q(pk__in=ids[0].union(*ids[1:], all=True))] if ids else []
        return [Q(**match) for match in self.matches] + together

    def reaches_nothing(self) -> bool:
        return not (self.everything or self.matches or self.card_sets())

    def contains(self, card: PatientCard) -> bool:
        if self.everything or any(
            all(getattr(card, field) == value for field, value in match.items())
            for match in self.matches
        ):
            return True
        return any(card_ids.filter(card_id=card.pk).exists() for card_ids in self.card_sets())


@cache
def _care_relations() -> tuple:
    return tuple(import_string(path) for path in settings.PATIENT_CARE_RELATIONS)


def cards_in_care(user: User, record) -> tuple:
    """Card sets of the patients a member of staff treats: those with a queue ticket or an
    appointment at their facility, and whatever other apps relate (visits, referrals).

    Apps above `patients` know these records, and `patients` must not import them: each
    names its relation in settings.PATIENT_CARE_RELATIONS, a function of (user, staff
    record) returning a queryset of `card_id` values.
    """
    return tuple(relation(user, record) for relation in _care_relations())


def regular_scope(user: User) -> Scope:
    """Cards the user sees without breaking the glass: clinicians, nurses and registrars
    reach the cards attached to their facility or their family doctor, temporary cards
    registered there, and the patients in their care (`cards_in_care`)."""
    if user.role in (Role.ADMINISTRATOR, Role.NATIONAL_PLATFORM):
        return Scope(everything=True)
    if user.role == Role.PATIENT:
        return Scope(matches=({"user_id": user.pk},),
                     card_sets=lambda: (represented_card_ids(user),))
    record = acting_staff_record(user) if user.role in FACILITY_ROLES else None
    if record is None:
        return Scope()
    return Scope(matches=(
        {"attached_facility_id": record.facility_id},
        {"family_doctor_id": user.pk},
        {"status": CardStatus.TEMPORARY, "registered_at_id": record.facility_id},
    ), card_sets=lambda: cards_in_care(user, record))


def visible_scope(user: User) -> Scope:
    """The scope of `visible_cards`: the regular scope and break-the-glass grants."""
    scope = regular_scope(user)
    if user.role in CARING_ROLES:
        regular = scope
        scope = replace(scope, card_sets=lambda: (*regular.card_sets(), _break_glass_cards(user)))
    return scope


def visible_cards(user: User, scope: Scope | None = None):
    """Every card the user may open now, break-the-glass grants included."""
    cards = PatientCard.objects.exclude(status=CardStatus.MERGED)
    condition = (scope or visible_scope(user)).as_q()
    return cards if condition is None else cards.filter(condition)


@dataclass(frozen=True)
class CardAccess:
    card: PatientCard
    break_glass: bool


def of_card(card: PatientCard, field: str = "card") -> Q:
    """Rows of this card and of the cards merged into it. A signed record (a closed visit,
    a discharge) stays on the card it was signed for, so every read of a person's history
    goes through here. Merging re-points earlier merges, so one hop reaches them all."""
    return Q(**{field: card}) | Q(**{f"{field}__merged_into": card})


def _card_with_registries(**key) -> PatientCard | None:
    cards = PatientCard.objects.select_related("attached_facility", "family_doctor",
                                               "region", "district")
    return next(iter(cards.filter(**key)[:1]), None)


def _resolve(med_id: str, load=None) -> PatientCard:
    med_id = normalise_med_id(med_id)
    if not is_valid_med_id(med_id):
        raise Http404
    load = load or _card_with_registries
    card = load(med_id=med_id)
    # A merged card answers for the card it was merged into: old printouts keep working.
    while card is not None and card.merged_into_id:
        card = load(pk=card.merged_into_id)
    if card is None:
        raise Http404
    return card


def check_card_access(user: User, card: PatientCard, section: str = Section.IDENTIFICATION
                      ) -> CardAccess:
    """May the user open this card, and read this section of it (need-to-know)? Scope is
    decided first, so a role that may not learn the card exists gets 404 either way."""
    access = _scope_access(user, card)
    if not sees(user, section):
        raise SectionDenied
    return access


def _scope_access(user: User, card: PatientCard) -> CardAccess:
    if regular_scope(user).contains(card):
        return CardAccess(card, break_glass=False)
    if user.role in CARING_ROLES and _break_glass_cards(user).filter(card_id=card.pk).exists():
        return CardAccess(card, break_glass=True)
    if user.role in FACILITY_ROLES:
        raise CardAccessDenied(can_break_glass=user.role in CARING_ROLES)
    # Patients, pharmacists and others must not learn whether someone else's card exists.
    raise Http404


def card_for(user: User, med_id: str, *, action: str = AuditAction.VIEW,
             object_type: str = CARD_OBJECT, record_success: bool = True,
             load=None) -> CardAccess:
    """Load the card by MED-ID for this user, or refuse; audit either way.

    Call it outside an atomic block that the refusal would roll back: a refused access
    must stay in the trail. A failed audit write fails the read with it. Writes pass
    record_success=False and record their event inside their own transaction
    (see patients.services.audit_card_write), so the trail never claims an undone write.
    `load(med_id=…)` / `load(pk=…)` loads the card (or None) when the caller needs other
    columns than the card's own and its registries' (keeping those the scope reads).
    """
    card = _resolve(med_id, load)
    return record_access(user, card, object_type=object_type, object_id=card.med_id,
                         action=action, record_success=record_success)


def record_access(user: User, card: PatientCard, *, object_type: str, object_id,
                  action: str = AuditAction.VIEW, record_success: bool = True) -> CardAccess:
    """May the user read this record of the card (the card itself, a visit, a stay, a
    prescription)? The refusal is audited and raised; the read is audited unless the
    caller records its own event (see card_for)."""
    try:
        access = check_card_access(user, card, SECTION_OF_OBJECT[object_type])
    except (PermissionDenied, Http404):
        record_audit_event(actor=user, action=action, object_type=object_type,
                           object_id=object_id, patient_med_id=card.med_id, allowed=False)
        raise
    if record_success:
        record_audit_event(actor=user, action=action, object_type=object_type,
                           object_id=object_id, patient_med_id=card.med_id,
                           break_glass=access.break_glass)
    return access


def card_at_the_desk(user: User, med_id: str) -> PatientCard:
    """The card of a person standing at a registrar's desk, by its exact MED-ID, in scope or
    not: the walk-in ticket the registrar issues puts the person in the facility's care
    for the day (see `cards_in_care`). The caller audits the ticket it writes."""
    if user.role != Role.REGISTRAR or acting_staff_record(user) is None:
        raise PermissionDenied(_("Only a registrar issues a ticket to a card outside scope."))
    return _resolve(med_id)


@dataclass(frozen=True)
class CardGlimpse:
    """What staff learn of a card outside their scope found by its exact identifier: that
    it exists, whose initials and birth year, and what their role may do about it."""

    med_id: str
    initials: str
    birth_year: int | None
    can_break_glass: bool
    can_issue_ticket: bool
    # A registrar records the person's request to be attached to their polyclinic.
    can_request_attachment: bool


def glimpse_by_identifier(user: User, identifier) -> CardGlimpse | None:
    """The card an exact MED-ID or PINFL (`identifier`, a Q on one of them) names, when it is
    outside the user's scope and their role may act on it; None otherwise. Audited: the
    patient's access log shows who looked their card up."""
    if user.role not in FACILITY_ROLES:
        return None
    card = (PatientCard.objects.exclude(status=CardStatus.MERGED).filter(identifier)
            .only("med_id", "last_name", "first_name", "birth_date").first())
    if card is None:
        return None
    record_audit_event(actor=user, action=AuditAction.SEARCH, object_type=GLIMPSE_OBJECT,
                       object_id=card.med_id, patient_med_id=card.med_id,
                       reason="exact identifier outside scope")
    return CardGlimpse(med_id=card.med_id, initials=card_initials(card),
                       birth_year=card.birth_date.year if card.birth_date else None,
                       can_break_glass=user.role in CARING_ROLES,
                       can_issue_ticket=user.role == Role.REGISTRAR,
                       can_request_attachment=registers_attachments(user))


def registers_attachments(user: User) -> bool:
    """Does the user record attachment requests: a registrar of a polyclinic or a family
    doctor point (hospitals attach no one)."""
    record = acting_staff_record(user) if user.role == Role.REGISTRAR else None
    return record is not None and record.facility.kind in ATTACHING_KINDS


def card_initials(card: PatientCard) -> str:
    """The initials of the card's last and first names ("K.A."): all that staff outside
    its scope learn of the name."""
    return "".join(f"{name[0]}." for name in (card.last_name, card.first_name) if name)
