"""Who receives a referral: the one place the rule is written, as a query condition.

The services (may this user decide?), the incoming list and the card scope
(patients.access, through settings.PATIENT_CARE_RELATIONS) all read it.
"""

from django.db.models import Q

from clinics.referrals.models import Referral, ReferralTarget
from dmed.models import User
from dmed.roles import Role
from registry.selectors import acting_staff_record

# Clinicians and nurses receive referrals to them or their department.
RECEIVING_CARERS = (Role.CLINICIAN, Role.NURSE)


def receiver_condition(user: User) -> Q | None:
    """Referrals addressed to this user: in person, to their department, to their lab."""
    record = acting_staff_record(user)
    if record is None:
        return None
    if user.role == Role.LAB_TECHNICIAN:
        return Q(target=ReferralTarget.LABORATORY, to_facility_id=record.facility_id)
    if user.role not in RECEIVING_CARERS:
        return None
    condition = Q(target=ReferralTarget.SPECIALIST, to_clinician_id=user.pk)
    if record.department_id:
        condition |= Q(target=ReferralTarget.DEPARTMENT, to_department_id=record.department_id)
    return condition


def is_receiver(user: User, referral: Referral) -> bool:
    condition = receiver_condition(user)
    return condition is not None and Referral.objects.filter(condition,
                                                             pk=referral.pk).exists()


def receivers_of(referral_public_id) -> list[int]:
    """The accounts a referral is addressed to: the specialist, the clinicians and nurses
    acting in the department, or the laboratory's technicians. The staff with a record
    there are the candidates and is_receiver decides, two queries each, for the few people
    of one department or laboratory. The patient is left out even when they work there:
    they hear of their referral as the patient."""
    referral = Referral.objects.filter(public_id=referral_public_id).first()
    if referral is None:
        return []
    if referral.to_clinician_id:
        place = Q(pk=referral.to_clinician_id)
    elif referral.to_department_id:
        place = Q(staff_records__department_id=referral.to_department_id)
    else:
        place = Q(staff_records__facility_id=referral.to_facility_id,
                  staff_records__role=Role.LAB_TECHNICIAN)
    candidates = (User.objects.filter(place, is_active=True)
                  .exclude(patient_card=referral.card_id).distinct())
    return [user.pk for user in candidates if is_receiver(user, referral)]


def cards_referred_here(user: User, record):
    """A care relation of patients.access: the cards with an active referral (sent or
    accepted, unexpired) to this clinician or nurse or their department. The receiver needs
    the card to decide and to treat; a declined, cancelled or expired referral gives
    nothing, and lab technicians never get the card this way."""
    condition = receiver_condition(user) if user.role in RECEIVING_CARERS else None
    if condition is None:
        return Referral.objects.none().values("card_id")
    return Referral.objects.active().filter(condition).values("card_id")
