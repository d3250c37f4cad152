"""Reads of referrals that people see: the receiver's incoming list, a card's referrals,
and the specialists a clinician may refer to."""

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.referrals.models import Referral, ReferralStatus, ReferralTarget
from clinics.referrals.receivers import receiver_condition
from clinics.referrals.services import REFERRAL_OBJECT
from dmed.audit import record_list_event
from dmed.models import User
from dmed.roles import Role
from dmed.translit import search_key
from dmed.worklists import Worklist, worklist
from patients.access import CARING_ROLES, card_for
from registry.models import StaffRecord
from registry.selectors import acting_staff_record

INCOMING_LIMIT = 100
SUGGESTIONS = 20
MIN_WORD = 3  # a trigram: shorter words cannot use the search index


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
    record_list_event(actor=user, object_type=REFERRAL_OBJECT, list_id="incoming",
                      shown=[(r.public_id, r.card.med_id) for r in referrals])
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
    """Specialists whose name, specialty or facility holds every word searched (in either
    script: the words are folded as the names are), those of the asker's region first,
    then by name. Words under three letters are too common to narrow anything and are
    left out; with nothing left, nothing is found. With nothing typed, the specialists
    the asker referred to lately. Only those who refer (clinicians and nurses at work)
    may search."""
    record = acting_staff_record(user) if user.role in CARING_ROLES else None
    if record is None:
        raise PermissionDenied(_("Clinicians refer patients."))
    folded = search_key(search).split()
    if not folded:
        return recently_referred_to(user, limit=limit)
    words = [word for word in folded if len(word) >= MIN_WORD][:5]
    if not words:
        return []
    nearby = Case(When(facility__region_id=record.facility.region_id, then=Value(0)),
                  default=Value(1))
    # The page first, then its rows: a common word ("kardio") matches thousands, and
    # joining each to its person and region before the sort cost most of the time.
    page = list(current_specialists().select_related(None)
                .filter(*[Q(search_text__contains=word) for word in words])
                .exclude(user=user).order_by(nearby, "search_text", "pk")
                .values_list("pk", flat=True)[:limit])
    found = current_specialists().in_bulk(page)
    return [found[pk] for pk in page]


def recently_referred_to(user: User, *, limit: int = SUGGESTIONS) -> list[StaffRecord]:
    """The specialists of this user's last referrals who still work, latest first."""
    latest = (Referral.objects.filter(referred_by=user, target=ReferralTarget.SPECIALIST)
              .order_by("-created_at").values_list("to_clinician_id", flat=True)[:100])
    order = list(dict.fromkeys(latest))[:limit]
    records = {record.user_id: record
               for record in current_specialists().filter(user_id__in=order)}
    return [records[user_id] for user_id in order if user_id in records]


def referrals_to_decide(user: User, *, cursor: str | None = None) -> Worklist:
    """Active referrals to this user still waiting for a decision (sent, neither accepted
    nor declined), oldest first: a home page worklist, audited as one list read."""
    condition = receiver_condition(user)
    if condition is None:
        raise PermissionDenied(_("Only the receiving clinicians, departments and laboratories "
                                 "have incoming referrals."))
    listed = worklist(Referral.objects.active().filter(condition, status=ReferralStatus.SENT)
                      .select_related("card", "referred_by", "from_facility"),
                      order=("created_at", "pk"), cursor=cursor)
    record_list_event(actor=user, object_type=REFERRAL_OBJECT, list_id="to decide",
                      shown=[(r.public_id, r.card.med_id) for r in listed.rows])
    return listed
