"""The calendar arithmetic (mch.vaccine_schedule, mch.dating) over the database: each
child's schedule read in a few queries however many children, and the stored next dose
and next antenatal contact that the district list and the reminders read.

Not a selector (no user, no audit): the services call it inside their writes, the
selectors once they have checked who asks, the daily refresh with nobody asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from mch import dating
from mch.models import (
    AntenatalContact,
    CalendarDose,
    ImmunisationStatus,
    Pregnancy,
    Vaccination,
    VaccinationExemption,
)
from mch.vaccine_schedule import Dose, DoseStatus, Exemption, child_schedule, next_dose
from patients.models import CardStatus, PatientCard

# Children followed on the calendar: its last dose is at 16.
CHILDHOOD = timedelta(days=round(17 * 365.25))
# The daily refresh works through this many children per query and transaction.
REFRESH_CHUNK = 2000


def calendar_doses() -> list[tuple[CalendarDose, Dose]]:
    return [(dose, Dose(dose.vaccine.code, dose.number, dose.min_age_days,
                        dose.min_interval_days, dose.latest_age_days, dose.sex))
            for dose in CalendarDose.objects.select_related("vaccine")]


def _records(ids: list[int], today: date) -> tuple[dict[int, dict], dict[int, dict]]:
    given: dict[int, dict] = {pk: {} for pk in ids}
    for card_id, vaccine, number, given_on in Vaccination.objects.filter(
            card_id__in=ids).values_list("card_id", "dose__vaccine__code", "dose__number",
                                         "given_on"):
        given[card_id][(vaccine, number)] = given_on
    exemptions: dict[int, dict] = {pk: {} for pk in ids}
    # Newest first: the latest word on each vaccine is the one that holds.
    for exemption in VaccinationExemption.objects.filter(
            card_id__in=ids, revisit_on__gt=today).select_related("vaccine"):
        exemptions[exemption.card_id].setdefault(
            exemption.vaccine.code,
            Exemption(exemption.kind, exemption.reason, exemption.revisit_on))
    return given, exemptions


def schedules(cards: list[PatientCard], calendar, today: date) -> dict[int, list[DoseStatus]]:
    """The schedule of each card in three queries however many cards (the calendar is
    read once by the caller)."""
    given, exemptions = _records([card.pk for card in cards], today)
    doses = [dose for _row, dose in calendar]
    return {card.pk: child_schedule(birth_date=card.birth_date, sex=card.sex, calendar=doses,
                                    given=given[card.pk], exemptions=exemptions[card.pk],
                                    today=today)
            for card in cards if card.birth_date}


def refresh_immunisation(cards: Iterable[PatientCard], calendar=None,
                         today: date | None = None) -> None:
    """Write each child's stored next dose; a card without a birth date has none."""
    cards = [card for card in cards if card.status != CardStatus.MERGED]
    today = today or timezone.localdate()
    calendar = calendar if calendar is not None else calendar_doses()
    rows = {(dose.vaccine, dose.number): row for row, dose in calendar}
    given, exemptions = _records([card.pk for card in cards], today)
    doses = [dose for _row, dose in calendar]
    statuses = []
    for card in cards:
        if card.birth_date is None:
            continue
        following = next_dose(
            child_schedule(birth_date=card.birth_date, sex=card.sex, calendar=doses,
                           given=given[card.pk], exemptions=exemptions[card.pk], today=today),
            exemptions[card.pk], card.birth_date, today)
        dose = following.status.dose if following.status else None
        statuses.append(ImmunisationStatus(
            card_id=card.pk, birth_date=card.birth_date, sex=card.sex,
            family_doctor_id=card.family_doctor_id, facility_id=card.attached_facility_id,
            next_dose=rows[(dose.vaccine, dose.number)] if dose else None,
            next_due_on=following.status.due_on if dose else None,
            recheck_on=following.recheck_on, updated_at=timezone.now()))
    ImmunisationStatus.objects.filter(card__in=[card.pk for card in cards],
                                      card__birth_date__isnull=True).delete()
    ImmunisationStatus.objects.bulk_create(
        statuses, update_conflicts=True, unique_fields=["card"],
        update_fields=["birth_date", "sex", "family_doctor", "facility", "next_dose",
                       "next_due_on", "recheck_on", "updated_at"])


def stale_children(today: date) -> list[int]:
    """The ids of the children whose stored next dose may be wrong today: none stored yet,
    its recheck day come, or the card's birth date, sex or district changed since (by a
    service or around them: an import, a fix in the database).

    One set-based pass, a join of the childhood cards with the stored statuses (a merge
    join over the two primary keys) that returns only the stale ids, a night's few, not
    every child: a correlated subquery per card cost a probe of the status index for each
    of them, again for each chunk (bench/README.md, "The nightly mother-and-child tasks")."""
    card, status = PatientCard._meta.db_table, ImmunisationStatus._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id FROM {card} c LEFT JOIN {status} s ON s.card_id = c.id "  # noqa: S608
            "WHERE c.birth_date > %s AND c.status <> %s "
            "AND (s.card_id IS NULL OR s.recheck_on <= %s OR s.birth_date <> c.birth_date "
            "     OR s.sex <> c.sex OR s.family_doctor_id IS DISTINCT FROM c.family_doctor_id "
            "     OR s.facility_id IS DISTINCT FROM c.attached_facility_id) "
            "ORDER BY c.id",
            [today - CHILDHOOD, CardStatus.MERGED, today])
        return [row[0] for row in cursor.fetchall()]


def refresh_stale(today: date | None = None) -> int:
    """The daily refresh: every stale child's status, in chunks of REFRESH_CHUNK children
    (a child on the calendar past its last dose drops off with the others once it grows
    past childhood). Returns how many children were refreshed."""
    today = today or timezone.localdate()
    stale = stale_children(today)
    calendar = calendar_doses() if stale else []
    for start in range(0, len(stale), REFRESH_CHUNK):
        chunk = list(PatientCard.objects.filter(pk__in=stale[start:start + REFRESH_CHUNK])
                     .only("pk", "birth_date", "sex", "status", "family_doctor",
                           "attached_facility"))
        refresh_immunisation(chunk, calendar, today)
    ImmunisationStatus.objects.filter(birth_date__lte=today - CHILDHOOD).delete()
    return len(stale)


def schedule_changed() -> int:
    """The antenatal schedule was edited (the admin): open pregnancies' next contacts are
    cleared (one UPDATE here) and worked out again by that night's refresh."""
    return Pregnancy.objects.filter(outcome="", next_contact__isnull=False).update(
        next_contact=None, next_contact_closes_on=None)


def refresh_next_contacts() -> int:
    """Open pregnancies without a next contact (a schedule edited, or every contact
    visited) get theirs, in chunks. Returns how many were looked at."""
    contacts = list(AntenatalContact.objects.all())
    looked, after = 0, 0
    while True:
        chunk = list(Pregnancy.objects.filter(outcome="", next_contact__isnull=True,
                                              pk__gt=after)
                     .annotate(last_visited=Max("visits__contact__number"))
                     .order_by("pk")[:REFRESH_CHUNK])
        if not chunk:
            return looked
        for pregnancy in chunk:
            next_contact(pregnancy, contacts, visited=pregnancy.last_visited or 0)
        Pregnancy.objects.bulk_update(chunk, ["next_contact", "next_contact_closes_on"])
        looked += len(chunk)
        after = chunk[-1].pk


def calendar_changed() -> int:
    """The calendar was edited (the admin): every stored next dose may be wrong, so each is
    due for tonight's refresh (one UPDATE here; the work is the refresh's, in chunks)."""
    today = timezone.localdate()
    return ImmunisationStatus.objects.filter(
        Q(recheck_on__isnull=True) | Q(recheck_on__gt=today)).update(recheck_on=today)


def follow_attachment(card: PatientCard) -> None:
    """The card moved to another polyclinic or doctor: its next dose moves with it."""
    ImmunisationStatus.objects.filter(card=card).update(
        family_doctor=card.family_doctor_id, facility=card.attached_facility_id)


def next_contact(pregnancy: Pregnancy, contacts: list[AntenatalContact] | None = None,
                 visited: int | None = None) -> None:
    """Set (not save) the pregnancy's next antenatal contact: the first of the schedule
    after the last one visited (`visited`, read when not given), and the last day of its
    window."""
    contacts = contacts if contacts is not None else list(AntenatalContact.objects.all())
    if visited is None:
        visited = max(pregnancy.visits.values_list("contact__number", flat=True), default=0) \
            if pregnancy.pk else 0
    waiting = [contact for contact in sorted(contacts, key=lambda c: c.number)
               if contact.number > visited]
    following = waiting[0] if waiting and pregnancy.is_open else None
    pregnancy.next_contact = following
    pregnancy.next_contact_closes_on = (
        dating.week_date(pregnancy.edd, following.week_to + 1) - timedelta(days=1)
        if following else None)
