"""Reads of referrals that people see: the receiver's incoming list and a card's referrals."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from clinics.referrals.models import Referral
from clinics.referrals.receivers import receiver_condition
from clinics.referrals.services import REFERRAL_OBJECT
from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from patients.access import card_for

INCOMING_LIMIT = 100


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
                .only("target", "to_clinician_id", "to_department_id", "to_facility_id"))
