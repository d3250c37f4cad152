"""Reads of referrals that people see: the receiver's incoming list, a card's referrals,
and the specialists a clinician may refer to."""

import operator
from functools import reduce

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import StaffRecord
from clinics.referrals.models import Referral
from clinics.referrals.receivers import receiver_condition
from clinics.referrals.services import REFERRAL_OBJECT
from clinics.selectors import acting_staff_record
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from patients.access import CARING_ROLES, card_for

INCOMING_LIMIT = 100
SUGGESTIONS = 20


def _related(referrals):
    return referrals.select_related("card", "referred_by", "from_facility", "to_clinician",
                                    "to_department", "to_facility", "decided_by",
                                    "diagnosis")


def incoming_referrals(user: User) -> list[Referral]:
    """Active referrals to this user, the most urgent and oldest first."""
    condition = receiver_condition(user)
    if condition is None:
        raise PermissionDenied(_("Only the receiving clinicians, departments and laboratories "
                                 "have incoming referrals."))
    referrals = list(_related(Referral.objects.active().filter(condition))
                     .order_by("status", "valid_until", "created_at")[:INCOMING_LIMIT])
    record_audit_event(actor=user, action=AuditAction.LIST, object_type=REFERRAL_OBJECT,
                       object_id=str(len(referrals)))
    return referrals


def card_referrals(user: User, med_id: str):
    access = card_for(user, med_id, object_type=REFERRAL_OBJECT)
    return access, list(_related(Referral.objects.filter(card=access.card))
                        .order_by("-created_at")[:INCOMING_LIMIT])


def active_referrals_of(card) -> list[Referral]:
    """The card's active referrals, for what its holder may do with them (the queues book
    the receiver's service points). Not audited here: the caller has already checked the
    card for its user and audits its own read."""
    return list(Referral.objects.active().filter(card=card)
                .only("target", "to_clinician_id", "to_department_id", "to_facility_id",
                      "valid_until").order_by("-valid_until", "pk"))


def current_specialists():
    """Clinicians with a specialty on a staff record that is current today."""
    today = timezone.localdate()
    return (StaffRecord.objects.filter(role=Role.CLINICIAN, active_from__lte=today)
            .exclude(specialty="").filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
            .select_related("user", "facility__region"))


def specialist_choice(record: StaffRecord) -> str:
    """How a specialist is offered and typed back: readable, ending in "#<username>",
    the part the referral form reads."""
    return (f"{record.user.full_name} — {record.specialty}, {record.facility.name} "
            f"#{record.user.username}")


def specialist_named(choice: str) -> StaffRecord | None:
    """The current specialist a typed-back choice names, or None."""
    _text, sep, username = (choice or "").rpartition("#")
    username = username.strip()
    if not sep or not username:
        return None
    return current_specialists().filter(user__username=username).order_by("pk").first()


def specialists_matching(user: User, search: str = "", *, limit: int = SUGGESTIONS):
    """Specialists whose name, specialty or facility holds every word searched, those of
    the asker's region first: the whole country is one search away, and the neighbours
    come before the capital's thousands. Only those who refer (clinicians and nurses at
    work) may search."""
    record = acting_staff_record(user) if user.role in CARING_ROLES else None
    if record is None:
        raise PermissionDenied(_("Clinicians refer patients."))
    specialists = current_specialists()
    words = search.split()[:5]
    if words:
        specialists = specialists.filter(reduce(operator.and_, (
            Q(user__last_name__icontains=word) | Q(user__first_name__icontains=word)
            | Q(specialty__icontains=word) | Q(facility__name__icontains=word)
            for word in words)))
    nearby = Case(When(facility__region_id=record.facility.region_id, then=Value(0)),
                  default=Value(1))
    return list(specialists.exclude(user=user)
                .order_by(nearby, "specialty", "user__last_name", "user__first_name", "pk")
                [:limit])
