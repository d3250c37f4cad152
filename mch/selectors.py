"""Every read of mother-and-child care that people see, scoped to the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.utils import timezone

from dmed.audit import record_audit_event, record_list_event
from dmed.models import AuditAction, User
from dmed.paging import Page, keyset_page
from dmed.roles import Role
from mch import dating
from mch.growth import flag
from mch.growth_charts import chart as growth_chart
from mch.models import (
    AdverseEvent,
    AntenatalContact,
    CalendarDose,
    GrowthMeasurement,
    ImmunisationStatus,
    Pregnancy,
    RiskLevel,
    Vaccination,
    VaccinationExemption,
)
from mch.schedules import calendar_doses, schedules
from mch.services import (
    AEFI_OBJECT,
    IMMUNISATION_OBJECT,
    PREGNANCY_OBJECT,
    district_report,
    epidemiologist_district,
)
from mch.vaccine_schedule import OVERDUE_AFTER, next_dose
from patients.access import CardAccess, card_for
from patients.models import CardStatus, PatientCard
from registry.selectors import acting_staff_record

# Who reads these sections: caring staff, the patient (own and represented cards, which
# card_for decides) and administrators. Registrars, laboratories and pharmacists do not
# read clinical records (the need-to-know rule).
READERS = (Role.CLINICIAN, Role.NURSE, Role.PATIENT, Role.ADMINISTRATOR)
DISTRICT_ROLES = (Role.CLINICIAN, Role.NURSE)
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


@dataclass
class ImmunisationSection:
    access: CardAccess
    schedule: list  # (calendar dose row, DoseStatus, days overdue)
    vaccinations: list
    exemptions: list
    growth: list  # (measurement, {field: GrowthFlag})
    charts: list  # mch.growth_charts.Chart, one per measure measured
    next_dose: tuple | None  # (calendar dose row, DoseStatus) of the dose to give next


def immunisation_section(user: User, med_id: str) -> ImmunisationSection:
    access = _section(user, med_id, IMMUNISATION_OBJECT)
    today = timezone.localdate()
    calendar = calendar_doses()
    rows = {(dose.vaccine, dose.number): row for row, dose in calendar}
    statuses = schedules([access.card], calendar, today).get(access.card.pk, [])
    measurements = list(GrowthMeasurement.objects.filter(card=access.card))
    card = access.card
    charts = [drawn for field in ("weight_kg", "length_cm", "head_circumference_cm")
              if card.birth_date and (drawn := growth_chart(
                  sex=card.sex, birth_date=card.birth_date, field=field,
                  measurements=measurements))]
    return ImmunisationSection(
        access,
        [(rows[(s.dose.vaccine, s.dose.number)], s, s.days_overdue(today)) for s in statuses],
        list(Vaccination.objects.filter(card=access.card)
             .select_related("dose__vaccine", "given_by", "facility").order_by("given_on")),
        list(VaccinationExemption.objects.filter(card=access.card).select_related(
            "vaccine", "recorded_by")),
        [(measured, {"weight": flag(measured.weight_sds), "length": flag(measured.length_sds),
                     "head": flag(measured.head_circumference_sds)})
         for measured in measurements],
        charts,
        (rows[(following.dose.vaccine, following.dose.number)], following)
        if (following := next_dose(statuses, {}, card.birth_date, today).status) else None,
    )


def _district(user: User) -> tuple[str, int]:
    """Whom a member of staff follows: a family doctor's own district; a nurse's
    polyclinic (patronage nurses work all its districts). As (the card's field, value)."""
    if user.role not in DISTRICT_ROLES:
        raise PermissionDenied
    if user.role == Role.CLINICIAN:
        return "family_doctor", user.pk
    record = acting_staff_record(user)
    if record is None:
        raise PermissionDenied
    return "attached_facility", record.facility_id


@dataclass
class ChildLine:
    card: PatientCard
    dose: CalendarDose
    due_on: date
    days_overdue: int


@dataclass
class PregnancyLine:
    pregnancy: Pregnancy
    age: dating.GestationalAge
    overdue_contact: dating.ContactStatus | None
    days_overdue: int


@dataclass
class DistrictList:
    due: Page  # of ChildLine
    overdue: Page  # of ChildLine
    due_count: int
    overdue_count: int
    pregnancies: Page  # of PregnancyLine
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


def _child_page(statuses, cursor: str | None, today: date) -> Page:
    page = keyset_page(statuses.select_related("card", "next_dose__vaccine").only(
        "next_due_on", "next_dose", "card__med_id", "card__last_name", "card__first_name",
        "card__middle_name", "card__birth_date", "card__status", "card__family_doctor",
        "next_dose__number", "next_dose__vaccine__name"),
        order=("next_due_on", "card"), cursor=cursor)
    page.results = [ChildLine(status.card, status.next_dose, status.next_due_on,
                              max(0, (today - status.next_due_on).days))
                    for status in page.results]
    return page


def _latest_late_contact(pregnancy: Pregnancy, contacts, today: date):
    """The contact she is late for: of those from her next one on, the last whose window
    has closed (computed from the stored next contact, no query)."""
    if pregnancy.next_contact_closes_on is None or pregnancy.next_contact_closes_on >= today:
        return None
    waiting = [(c.number, c.week_from, c.week_to) for c in contacts
               if c.number >= pregnancy.next_contact_number]
    late = [status for status in dating.contact_schedule(edd=pregnancy.edd, contacts=waiting,
                                                         visits={}, today=today)
            if status.state == "overdue"]
    return late[-1]


def district_list(user: User, *, trimester: int | None = None, risk: str = "",
                  overdue_only: bool = False, overdue_cursor: str | None = None,
                  due_cursor: str | None = None,
                  pregnancy_cursor: str | None = None) -> DistrictList:
    """The family doctor's district, a page of each list: children whose next dose is
    overdue or due this week, and pregnant women by trimester and risk group with the
    antenatal contact each is late for. Read from the stored next dose and next contact
    (mch.schedules), so the queries are the same whatever the district's size."""
    today = timezone.localdate()
    field, value = _district(user)
    # The status row keeps the card's district (mch.schedules): one index range each.
    statuses = ImmunisationStatus.objects.filter(
        next_due_on__isnull=False,
        **{"family_doctor" if field == "family_doctor" else "facility": value})
    overdue_since = today - OVERDUE_AFTER
    late = statuses.filter(next_due_on__lt=overdue_since)
    this_week = statuses.filter(next_due_on__gte=overdue_since,
                                next_due_on__lte=today + DUE_SOON)
    counts = statuses.aggregate(
        overdue=Count("pk", filter=Q(next_due_on__lt=overdue_since)),
        due=Count("pk", filter=Q(next_due_on__gte=overdue_since,
                                 next_due_on__lte=today + DUE_SOON)))
    overdue, due = _child_page(late, overdue_cursor, today), \
        _child_page(this_week, due_cursor, today)

    pregnancies_all = Pregnancy.objects.filter(outcome="", **{f"card__{field}": value}).exclude(
        card__status=CardStatus.MERGED)
    pregnancies = pregnancies_all.filter(_trimester_filter(trimester, today))
    if risk in RiskLevel.values:
        pregnancies = pregnancies.filter(risk_group=risk)
    if overdue_only:
        pregnancies = pregnancies.filter(next_contact_closes_on__lt=today)
    pregnancy_page = keyset_page(
        pregnancies.select_related("card").annotate(
            next_contact_number=F("next_contact__number")),
        order=("edd", "pk"), cursor=pregnancy_cursor)
    contacts = list(AntenatalContact.objects.all())
    lines = []
    for pregnancy in pregnancy_page.results:
        contact = _latest_late_contact(pregnancy, contacts, today)
        lines.append(PregnancyLine(pregnancy, dating.gestational_age(pregnancy.edd, today),
                                   contact, contact.days_overdue(today) if contact else 0))
    pregnancy_page.results = lines
    tally = pregnancies_all.aggregate(
        **{f"trimester_{number}": Count("pk", filter=_trimester_filter(number, today))
           for number in (1, 2, 3)},
        **{f"risk_{group}": Count("pk", filter=Q(risk_group=group))
           for group in RiskLevel.values})
    shown = {(line.card.med_id, line.card.med_id) for line in due.results + overdue.results}
    shown |= {(line.pregnancy.card.med_id, line.pregnancy.card.med_id) for line in lines}
    record_list_event(actor=user, object_type="mch.district", shown=sorted(shown),
                      list_id="district")
    return DistrictList(due, overdue, counts["due"], counts["overdue"], pregnancy_page,
                        {number: tally[f"trimester_{number}"] for number in (1, 2, 3)},
                        {group: tally[f"risk_{group}"] for group in RiskLevel.values})


@dataclass
class AefiWorklist:
    page: Page  # of AdverseEvent, serious first, then newest
    total: int
    serious: int
    waiting: int  # not investigated yet

    @property
    def count(self) -> int:  # the home panel's number
        return self.waiting


def _aefi_rows(queryset):
    return (queryset.select_related("vaccination__card", "vaccination__dose__vaccine",
                                    "vaccination__facility")
            .prefetch_related("symptoms"))


def aefi_worklist(user: User, *, serious: bool | None = None, vaccine=None,
                  date_from: date | None = None, date_to: date | None = None,
                  cursor: str | None = None, limit: int = 25) -> AefiWorklist:
    """The epidemiologist's worklist: the adverse events following immunisation reported in
    their district, serious first and newest first, filtered by seriousness, vaccine and
    onset dates, with the district's counts. The same few queries at any size (one index
    range of the district)."""
    district_id = epidemiologist_district(user)
    reports = AdverseEvent.objects.filter(district_id=district_id)
    counts = reports.aggregate(total=Count("pk"), serious=Count("pk", filter=Q(serious=True)),
                               waiting=Count("pk", filter=Q(causality="")))
    if serious is not None:
        reports = reports.filter(serious=serious)
    if vaccine is not None:
        reports = reports.filter(vaccination__dose__vaccine=vaccine)
    if date_from is not None:
        reports = reports.filter(onset_on__gte=date_from)
    if date_to is not None:
        reports = reports.filter(onset_on__lte=date_to)
    page = keyset_page(_aefi_rows(reports), order=("-serious", "-reported_at", "-pk"),
                       cursor=cursor, limit=limit)
    record_list_event(actor=user, object_type=AEFI_OBJECT, list_id="aefi",
                      shown=[(str(event.public_id), event.vaccination.card.med_id)
                             for event in page.results])
    return AefiWorklist(page, counts["total"], counts["serious"], counts["waiting"])


def aefi_report(user: User, public_id) -> AdverseEvent:
    """One report for the district's epidemiologist: the event, the vaccination (vaccine,
    lot, expiry, site, route, who, when, where) and the child's identification and
    polyclinic; nothing else of the card. Audited, refusals too."""
    found = district_report(user, public_id)
    event = _aefi_rows(AdverseEvent.objects.filter(pk=found.pk)).select_related(
        "vaccination__given_by", "vaccination__card__attached_facility", "reported_by",
        "investigated_by").get()
    record_audit_event(actor=user, action=AuditAction.VIEW, object_type=AEFI_OBJECT,
                       object_id=str(event.public_id),
                       patient_med_id=event.vaccination.card.med_id)
    return event
