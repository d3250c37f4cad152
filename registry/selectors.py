from django.db.models import Q
from django.utils import timezone

from dmed.acting import chosen_facility
from dmed.models import User
from dmed.recent import RecentAnswers
from dmed.roles import Role
from registry.models import StaffRecord

# Cached on the user object for the request, so every audit event and page of one
# request shares a single staff lookup; and per process for a few seconds (dmed.recent),
# so that hot API paths pay none. A record ended elsewhere acts at most that long.
_ACTING_ATTR = "_acting_staff_record"
_posts = RecentAnswers("staff records")


def active_staff_records(user: User):
    today = timezone.localdate()
    return (
        StaffRecord.objects.filter(user=user, active_from__lte=today)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
        .select_related("facility", "department")
        .order_by("active_from", "pk")
    )


def acting_staff_record(user: User) -> StaffRecord | None:
    """The staff record a user acts under now: the active one at the facility they chose
    (dmed.acting), else their earliest active one."""
    return _acting(user)[0]


def acting_choices(user: User) -> list[StaffRecord]:
    """Every active staff record of the user: the facilities they may choose to act for."""
    return _acting(user)[1]


def _acting(user: User) -> tuple[StaffRecord | None, list[StaffRecord]]:
    if not user.is_authenticated:
        return None, []
    chosen = chosen_facility()
    cached = getattr(user, _ACTING_ATTR, None)
    if cached is None or cached[0] != chosen:
        # By day too: a record that ends today is gone from the lists at midnight.
        records = _posts.get((user.pk, timezone.localdate()),
                             lambda: list(active_staff_records(user)))
        record = next((r for r in records if r.facility.code == chosen),
                      records[0] if records else None)
        cached = (chosen, record, records)
        setattr(user, _ACTING_ATTR, cached)
    return cached[1], cached[2]


def forget_posts(user_id: int | None = None) -> None:
    """This process reads the user's (everyone's) staff records again at their next
    request."""
    _posts.forget(None if user_id is None else lambda key, _records: key[0] == user_id)


def acting_facility_code(user: User) -> str:
    record = acting_staff_record(user)
    return record.facility.code if record else ""


def _active_posts(facility_id: int):
    today = timezone.localdate()
    return (StaffRecord.objects.filter(facility_id=facility_id, active_from__lte=today,
                                       user__is_active=True)
            .filter(Q(active_to__isnull=True) | Q(active_to__gte=today)))


def facility_heads(facility_id: int) -> list[int]:
    """The accounts of the facility's heads (heads of no one department) who work today:
    they are told what happens to the facility as a whole (a patient leaving it)."""
    return list(_active_posts(facility_id).filter(is_head=True, department__isnull=True)
                .values_list("user_id", flat=True).distinct())


def district_staff(district_id: int, role: str) -> list[int]:
    """The accounts working today in this role at any facility of the district (a
    district's epidemiologists)."""
    today = timezone.localdate()
    return list(StaffRecord.objects.filter(facility__district_id=district_id, role=role,
                                           active_from__lte=today, user__is_active=True)
                .filter(Q(active_to__isnull=True) | Q(active_to__gte=today))
                .order_by("user_id").values_list("user_id", flat=True).distinct())


def works_at(user: User, facility_id: int, role: str) -> bool:
    """Does the person hold an active post in this role at the facility today?"""
    return _active_posts(facility_id).filter(user=user, role=role).exists()


def clinicians_at(facility_id: int):
    """The clinicians working at the facility today, by name: who may be a family doctor."""
    return (User.objects.filter(pk__in=_active_posts(facility_id).filter(role=Role.CLINICIAN)
                                .values("user_id"))
            .order_by("last_name", "first_name", "pk"))


def nurses_at(facility_id: int):
    """The nurses working at the facility today, by name: who may walk a home visit."""
    return (User.objects.filter(pk__in=_active_posts(facility_id).filter(role=Role.NURSE)
                                .values("user_id"))
            .order_by("last_name", "first_name", "pk"))
