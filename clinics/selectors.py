from django.db.models import Q
from django.utils import timezone

from clinics.models import StaffRecord
from dmed.models import User

# Cached on the user object for the request, so every audit event and page of one
# request shares a single staff lookup.
_ACTING_ATTR = "_acting_staff_record"


def active_staff_records(user: User):
    today = timezone.localdate()
    return (
        StaffRecord.objects.filter(user=user, active_from__lte=today)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
        .select_related("facility", "department")
        .order_by("active_from", "pk")
    )


def acting_staff_record(user: User) -> StaffRecord | None:
    """The staff record a user acts under now: their earliest active one."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, _ACTING_ATTR):
        setattr(user, _ACTING_ATTR, active_staff_records(user).first())
    return getattr(user, _ACTING_ATTR)


def acting_facility_code(user: User) -> str:
    record = acting_staff_record(user)
    return record.facility.code if record else ""
