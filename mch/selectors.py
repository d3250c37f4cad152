"""Every read of mother-and-child care that people see, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from mch import dating
from mch.growth import flag
from mch.models import (
    AntenatalContact,
    CalendarDose,
    GrowthMeasurement,
    Pregnancy,
    RiskLevel,
    Vaccination,
    VaccinationExemption,
)
from mch.services import IMMUNISATION_OBJECT, PREGNANCY_OBJECT
from mch.vaccine_schedule import Dose, DoseState, DoseStatus, Exemption, child_schedule
from patients.access import CardAccess, card_for
from patients.models import CardStatus, PatientCard
from registry.selectors import acting_staff_record

# Who reads these sections: caring staff, the patient (own and represented cards, which
# card_for decides) and administrators. Registrars, laboratories and pharmacists do not
# read clinical records (the need-to-know rule).
READERS = (Role.CLINICIAN, Role.NURSE, Role.PATIENT, Role.ADMINISTRATOR)
DISTRICT_ROLES = (Role.CLINICIAN, Role.NURSE)
# Children followed on the district list: the calendar's last dose is at 16.
CHILDHOOD = timedelta(days=round(17 * 365.25))
DUE_SOON = timedelta(days=7)


def current_gestational_age(card: PatientCard, on: date | None = None
                            ) -> dating.GestationalAge | None:
    """The gestational age of the card's open pregnancy, for the clinical banner (one
    query; the caller has already opened the card through card_for)."""
    edd = Pregnancy.objects.filter(card=card, outcome="").values_list("edd", flat=True).first()
    return dating.gestational_age(edd, on or timezone.localdate()) if edd else None


def _section(user: User, med_id: str, object_type: str) -> CardAccess:
    if user.role not in READERS:
        record_audit_event(actor=user, action=AuditAction.VIEW, object_type=object_type,
                           object_id=med_id, allowed=False)
        raise PermissionDenied
    return card_for(user, med_id, object_type=object_type)


@dataclass
class PregnancySection:
    access: CardAccess
    pregnancy: Pregnancy | None
    contacts: list
    previous: list


def _contact_statuses(pregnancy: Pregnancy, contacts, today: date):
    visits = {visit.contact.number: visit.visited_on for visit in pregnancy.visits.all()}
    return dating.contact_schedule(
        edd=pregnancy.edd, contacts=[(c.number, c.week_from, c.week_to) for c in contacts],
        visits=visits, today=min(today, pregnancy.outcome_date or today))


def pregnancy_section(user: User, med_id: str) -> PregnancySection:
    access = _section(user, med_id, PREGNANCY_OBJECT)
    pregnancies = list(
        Pregnancy.objects.filter(card=access.card).order_by("-edd")
        .select_related("outcome_facility", "registered_by")
        .prefetch_related("risk_factors", "visits__contact", "newborns__card"))
    current = pregnancies[0] if pregnancies and pregnancies[0].is_open else None
    contacts = []
    if current:
        catalogue = list(AntenatalContact.objects.all())
        by_number = {contact.number: contact for contact in catalogue}
        today = timezone.localdate()
        contacts = [(status, by_number[status.number], status.days_overdue(today))
                    for status in _contact_statuses(current, catalogue, today)]
        current.age = dating.gestational_age(current.edd, today)
    return PregnancySection(access, current, contacts,
                            [p for p in pregnancies if p is not current])


def calendar_doses() -> list[tuple[CalendarDose, Dose]]:
    return [(dose, Dose(dose.vaccine.code, dose.number, dose.min_age_days,
                        dose.min_interval_days, dose.latest_age_days, dose.sex))
            for dose in CalendarDose.objects.select_related("vaccine")]


def _schedules(cards: list[PatientCard], calendar, today: date) -> dict[int, list[DoseStatus]]:
    """The schedule of each card in three queries however many cards (the calendar is
    read once by the caller)."""
    ids = [card.pk for card in cards]
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
    doses = [dose for _row, dose in calendar]
    return {card.pk: child_schedule(birth_date=card.birth_date, sex=card.sex, calendar=doses,
                                    given=given[card.pk], exemptions=exemptions[card.pk],
                                    today=today)
            for card in cards if card.birth_date}


@dataclass
class ImmunisationSection:
    access: CardAccess
    schedule: list  # (calendar dose row, DoseStatus, days overdue)
    vaccinations: list
    exemptions: list
    growth: list  # (measurement, {field: GrowthFlag})


def immunisation_section(user: User, med_id: str) -> ImmunisationSection:
    access = _section(user, med_id, IMMUNISATION_OBJECT)
    today = timezone.localdate()
    calendar = calendar_doses()
    rows = {(dose.vaccine, dose.number): row for row, dose in calendar}
    statuses = _schedules([access.card], calendar, today).get(access.card.pk, [])
    return ImmunisationSection(
        access,
        [(rows[(s.dose.vaccine, s.dose.number)], s, s.days_overdue(today)) for s in statuses],
        list(Vaccination.objects.filter(card=access.card)
             .select_related("dose__vaccine", "given_by", "facility").order_by("given_on")),
        list(VaccinationExemption.objects.filter(card=access.card).select_related(
            "vaccine", "recorded_by")),
        [(measured, {"weight": flag(measured.weight_sds), "length": flag(measured.length_sds),
                     "head": flag(measured.head_circumference_sds)})
         for measured in GrowthMeasurement.objects.filter(card=access.card)],
    )


def _district_cards(user: User):
    """The people a member of staff follows: a family doctor's own district; a nurse's
    polyclinic (patronage nurses work the whole polyclinic's districts)."""
    if user.role not in DISTRICT_ROLES:
        raise PermissionDenied
    cards = PatientCard.objects.exclude(status=CardStatus.MERGED)
    if user.role == Role.CLINICIAN:
        return cards.filter(family_doctor=user)
    record = acting_staff_record(user)
    if record is None:
        raise PermissionDenied
    return cards.filter(attached_facility=record.facility_id)


@dataclass
class ChildLine:
    card: PatientCard
    status: DoseStatus
    vaccine_name: str
    days_overdue: int


@dataclass
class PregnancyLine:
    pregnancy: Pregnancy
    age: dating.GestationalAge
    overdue_contact: dating.ContactStatus | None
    days_overdue: int


@dataclass
class DistrictList:
    due: list[ChildLine]
    overdue: list[ChildLine]
    pregnancies: list[PregnancyLine]
    by_trimester: dict[int, int]
    by_risk: dict[str, int]

    @property
    def pregnant(self) -> int:
        return sum(self.by_trimester.values())


def _trimester_filter(trimester: int | None, today: date) -> Q:
    """Open pregnancies in a trimester, as a range of expected delivery dates (indexed)."""
    if trimester is None:
        return Q()
    start_week = {1: 0, 2: dating.SECOND_TRIMESTER_WEEK, 3: dating.THIRD_TRIMESTER_WEEK}
    end_week = {1: dating.SECOND_TRIMESTER_WEEK, 2: dating.THIRD_TRIMESTER_WEEK, 3: 60}
    # Gestational age at least N weeks today <=> EDD at most today + 280 days - N weeks.
    return Q(edd__lte=today + dating.TERM - timedelta(weeks=start_week[trimester]),
             edd__gt=today + dating.TERM - timedelta(weeks=end_week[trimester]))


def district_list(user: User, *, trimester: int | None = None, risk: str = "",
                  overdue_only: bool = False) -> DistrictList:
    """The family doctor's district: children with a dose due this week or overdue, and
    pregnant women by trimester and risk group with any antenatal contact overdue.

    A child appears once per dose, so a child late for three vaccines shows three lines.
    """
    today = timezone.localdate()
    cards = _district_cards(user)
    children = list(cards.filter(birth_date__gt=today - CHILDHOOD).only(
        "med_id", "last_name", "first_name", "middle_name", "birth_date", "sex", "status"))
    calendar = calendar_doses()
    names = {dose.vaccine: row.vaccine.name for row, dose in calendar}
    schedules = _schedules(children, calendar, today)
    due, overdue = [], []
    for card in children:
        for status in schedules.get(card.pk, []):
            line = ChildLine(card, status, names[status.dose.vaccine], status.days_overdue(today))
            if status.state == DoseState.OVERDUE:
                overdue.append(line)
            elif status.state == DoseState.DUE or (
                    status.state == DoseState.UPCOMING and status.due_on - today <= DUE_SOON):
                due.append(line)
    overdue.sort(key=lambda line: -line.days_overdue)
    due.sort(key=lambda line: line.status.due_on)
    pregnancies_all = (Pregnancy.objects.filter(outcome="", card__in=cards.values("pk"))
                       .select_related("card").prefetch_related("visits__contact")
                       .order_by("edd"))
    pregnancies = pregnancies_all.filter(_trimester_filter(trimester, today))
    if risk in RiskLevel.values:
        pregnancies = pregnancies.filter(risk_group=risk)
    contacts = list(AntenatalContact.objects.all())
    lines = []
    for pregnancy in pregnancies:
        late = [s for s in _contact_statuses(pregnancy, contacts, today) if s.state == "overdue"]
        contact = late[-1] if late else None
        if overdue_only and contact is None:
            continue
        lines.append(PregnancyLine(pregnancy, dating.gestational_age(pregnancy.edd, today),
                                   contact, contact.days_overdue(today) if contact else 0))
    counts = list(pregnancies_all.values_list("edd", "risk_group"))
    by_trimester = {1: 0, 2: 0, 3: 0}
    by_risk = dict.fromkeys(RiskLevel.values, 0)
    for edd, group in counts:
        by_trimester[dating.gestational_age(edd, today).trimester] += 1
        by_risk[group] += 1
    shown = {(line.card.med_id, line.card.med_id) for line in due + overdue}
    shown |= {(line.pregnancy.card.med_id, line.pregnancy.card.med_id) for line in lines}
    record_list_event(actor=user, object_type="mch.district", shown=sorted(shown),
                      list_id="district")
    return DistrictList(due, overdue, lines, by_trimester, by_risk)
