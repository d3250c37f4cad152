"""Every write of mother-and-child care: one transaction each, with its audit event.

The scope check of each write runs before its transaction (patients.services.
authorise_card_write), so a refusal stays in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dmed.audit import record_audit_event
from dmed.models import AuditAction, User
from dmed.roles import Role
from mch import dating, growth, schedules
from mch.catalogue import AGE_35_PLUS, AGE_UNDER_18
from mch.models import (
    AdverseEvent,
    AefiOutcome,
    AntenatalContact,
    AntenatalVisit,
    CalendarDose,
    Causality,
    DatingMethod,
    ExemptionKind,
    GrowthMeasurement,
    ImmunisationStatus,
    Newborn,
    Outcome,
    Pregnancy,
    RiskFactor,
    RiskLevel,
    SeriousCriterion,
    Vaccination,
    VaccinationExemption,
    Vaccine,
)
from mch.vaccine_schedule import OVERDUE_AFTER
from outbox import kinds
from outbox.events import emit
from patients import services as cards
from patients.access import CARING_ROLES
from patients.models import CardStatus, Sex
from patients.selectors import current_representatives
from registry.models import Facility
from registry.selectors import acting_staff_record, district_staff

PREGNANCY_OBJECT = "mch.pregnancy"
# An adverse event following immunisation: read by the district's epidemiologist.
AEFI_OBJECT = "mch.aefi"
# The child's page: the immunisation calendar and growth.
IMMUNISATION_OBJECT = "mch.immunisation"
# Beyond this a date of the last period is a mistake, not a pregnancy still going.
LONGEST_PREGNANCY = timedelta(weeks=44)
# Younger than this, a pregnancy on the card is a mistake in the card or the choice of it.
YOUNGEST_MOTHER = 10


def _audit(actor: User, access, object_type: str, object_id, reason: str,
           action: str = AuditAction.CREATE) -> None:
    record_audit_event(actor=actor, action=action, object_type=object_type,
                       object_id=str(object_id), patient_med_id=access.card.med_id,
                       reason=reason, break_glass=access.break_glass)


def _require(actor: User, roles, message: str):
    if actor.role not in roles or acting_staff_record(actor) is None:
        raise PermissionDenied(message)
    return acting_staff_record(actor)


def _age_on(birth_date: date | None, on: date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def risk_group(factors) -> str:
    levels = {factor.level for factor in factors}
    if RiskLevel.HIGH in levels:
        return RiskLevel.HIGH
    return RiskLevel.MEDIUM if levels else RiskLevel.LOW


def _expected_delivery(*, dating_method: str, lmp: date | None, scan_date: date | None,
                       scan_weeks: int | None, scan_days: int | None, today: date) -> date:
    errors: dict[str, list] = {}
    if dating_method == DatingMethod.LMP:
        if lmp is None:
            errors["lmp"] = [_("Give the first day of the last menstrual period.")]
        elif lmp > today:
            errors["lmp"] = [_("This date is in the future.")]
        elif today - lmp > LONGEST_PREGNANCY:
            errors["lmp"] = [_("This is more than 44 weeks ago.")]
    elif dating_method == DatingMethod.ULTRASOUND:
        if scan_date is None:
            errors["scan_date"] = [_("Give the date of the dating scan.")]
        elif scan_date > today:
            errors["scan_date"] = [_("This date is in the future.")]
        if scan_weeks is None or not 4 <= scan_weeks <= 42:
            errors["scan_weeks"] = [_("Weeks at the scan are between 4 and 42.")]
        if scan_days is None or not 0 <= scan_days <= 6:
            errors["scan_days"] = [_("Days at the scan are between 0 and 6.")]
    else:
        errors["dating_method"] = [_("Choose how the pregnancy is dated.")]
    if errors:
        raise ValidationError(errors)
    if dating_method == DatingMethod.LMP:
        return dating.edd_by_naegele(lmp)
    edd = dating.edd_by_scan(scan_date, scan_weeks, scan_days)
    if today - (edd - dating.TERM) > LONGEST_PREGNANCY:
        raise ValidationError({"scan_date": [_("By this scan the pregnancy would be past "
                                               "44 weeks today.")]})
    return edd


def register_pregnancy(*, actor: User, med_id: str, dating_method: str, gravidity: int,
                       parity: int, risk_factors=(), lmp: date | None = None,
                       scan_date: date | None = None, scan_weeks: int | None = None,
                       scan_days: int | None = None) -> Pregnancy:
    """A clinician registers a pregnancy on a woman's card: dated by the last period
    (Naegele's rule) or a scan, with her obstetric history and risk factors. Her age adds
    its own risk factor; the risk group follows from the factors."""
    record = _require(actor, (Role.CLINICIAN,), _("Clinicians register pregnancies."))
    access = cards.authorise_card_write(actor, med_id)
    card, today = access.card, timezone.localdate()
    errors: dict[str, list] = {}
    age = _age_on(card.birth_date, today)
    if card.sex == Sex.MALE:
        errors["__all__"] = [_("This card is a man's.")]
    elif age is not None and age < YOUNGEST_MOTHER:
        errors["__all__"] = [_("By the card's birth date she is %(age)s years old: check the "
                               "card.") % {"age": age}]
    if gravidity is None or gravidity < 1:
        errors["gravidity"] = [_("Count this pregnancy too: at least 1.")]
    elif parity is None or parity < 0 or parity >= gravidity:
        errors["parity"] = [_("Births before this pregnancy: fewer than the pregnancies.")]
    try:
        edd = _expected_delivery(dating_method=dating_method, lmp=lmp, scan_date=scan_date,
                                 scan_weeks=scan_weeks, scan_days=scan_days, today=today)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    factors = list(risk_factors)
    age_code = AGE_UNDER_18 if age is not None and age < 18 else \
        AGE_35_PLUS if age is not None and age >= 35 else None
    if age_code:
        factors += list(RiskFactor.objects.filter(code=age_code, is_active=True)
                        .exclude(pk__in=[factor.pk for factor in factors]))
    with transaction.atomic():
        pregnancy = Pregnancy(
            card=card, dating_method=dating_method, edd=edd, gravidity=gravidity,
            parity=parity, risk_group=risk_group(factors), registered_by=actor,
            registered_at=record.facility,
            lmp=lmp if dating_method == DatingMethod.LMP else None,
            **({"scan_date": scan_date, "scan_weeks": scan_weeks, "scan_days": scan_days}
               if dating_method == DatingMethod.ULTRASOUND else {}))
        schedules.next_contact(pregnancy)
        try:
            with transaction.atomic():
                pregnancy.save(force_insert=True)
        except IntegrityError as error:
            if "pregnancy_one_open_per_card" not in str(error):
                raise
            raise ValidationError({"__all__": [_("A pregnancy is already open on this card; "
                                                 "record its outcome first.")]}) from error
        pregnancy.risk_factors.set(factors)
        _audit(actor, access, PREGNANCY_OBJECT, pregnancy.pk, _("Pregnancy registered"))
    return pregnancy


def _open_pregnancy(card) -> Pregnancy:
    pregnancy = Pregnancy.objects.select_for_update().filter(card=card, outcome="").first()
    if pregnancy is None:
        raise ValidationError({"__all__": [_("No pregnancy is open on this card.")]})
    return pregnancy


@dataclass(frozen=True)
class Measurements:
    systolic: int | None = None
    diastolic: int | None = None
    weight_kg: Decimal | None = None
    fundal_height_cm: int | None = None
    fetal_heart_rate: int | None = None


def record_antenatal_visit(*, actor: User, med_id: str, visited_on: date,
                           measurements: Measurements) -> AntenatalVisit:
    """An antenatal contact took place: it counts as the schedule's next contact not yet
    visited, or a later one if her gestational age has reached that one's window."""
    _require(actor, CARING_ROLES, _("Clinicians and nurses record antenatal contacts."))
    access = cards.authorise_card_write(actor, med_id)
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": [_("This date is in the future.")]})
    if (measurements.systolic is None) != (measurements.diastolic is None):
        raise ValidationError({"diastolic": [_("Give both pressures, or neither.")]})
    with transaction.atomic():
        pregnancy = _open_pregnancy(access.card)
        done = set(pregnancy.visits.values_list("contact__number", flat=True))
        reached = dating.gestational_age(pregnancy.edd, visited_on).weeks
        waiting = [c for c in AntenatalContact.objects.order_by("number")
                   if c.number > max(done, default=0)]
        if not waiting:
            raise ValidationError({"__all__": [_("Every contact of the schedule is recorded.")]})
        contact = next((c for c in reversed(waiting) if c.week_from <= reached), waiting[0])
        visit = AntenatalVisit.objects.create(pregnancy=pregnancy, contact=contact,
                                              visited_on=visited_on, recorded_by=actor,
                                              **measurements.__dict__)
        schedules.next_contact(pregnancy, waiting)
        pregnancy.save(update_fields=["next_contact", "next_contact_closes_on"])
        _audit(actor, access, PREGNANCY_OBJECT, pregnancy.pk,
               _("Antenatal contact %(number)s recorded") % {"number": contact.number})
    return visit


@dataclass(frozen=True)
class BabyAtBirth:
    sex: str
    weight_g: int
    length_cm: Decimal
    apgar_1: int
    apgar_5: int


def _check_newborns(newborns: list[BabyAtBirth]) -> None:
    errors: dict[str, list] = {}
    for baby in newborns:
        if baby.sex not in Sex.values:
            errors.setdefault("sex", []).append(_("Choose the baby's sex."))
        if not 200 <= baby.weight_g <= 7000:
            errors.setdefault("weight_g", []).append(_("Weight at birth is 200 to 7000 g."))
        if not 20 <= baby.length_cm <= 65:
            errors.setdefault("length_cm", []).append(_("Length at birth is 20 to 65 cm."))
        for field, score in (("apgar_1", baby.apgar_1), ("apgar_5", baby.apgar_5)):
            if not 0 <= score <= 10:
                errors.setdefault(field, []).append(_("An Apgar score is 0 to 10."))
    if errors:
        raise ValidationError(errors)


def record_outcome(*, actor: User, med_id: str, outcome: str, outcome_date: date,
                   facility: Facility, newborns: list[BabyAtBirth] = ()) -> Pregnancy:
    """The pregnancy ends. Each baby born alive gets a temporary card at once (no name nor
    PINFL yet: merged with the card made from the birth certificate when it arrives),
    with its birth date and the mother's address, attached to the mother's polyclinic and
    family doctor, the mother its representative."""
    _require(actor, (Role.CLINICIAN,), _("Clinicians record how a pregnancy ended."))
    access = cards.authorise_card_write(actor, med_id)
    mother = access.card
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome.")]})
    if outcome_date > timezone.localdate():
        raise ValidationError({"outcome_date": [_("This date is in the future.")]})
    if outcome == Outcome.LIVE_BIRTH and not newborns:
        raise ValidationError({"__all__": [_("A live birth needs the baby's details.")]})
    if outcome != Outcome.LIVE_BIRTH:
        newborns = []
    _check_newborns(newborns)
    with transaction.atomic():
        pregnancy = _open_pregnancy(mother)
        if outcome_date < pregnancy.edd - dating.TERM:
            raise ValidationError({"outcome_date": [_("This is before the pregnancy began.")]})
        pregnancy.outcome, pregnancy.outcome_date = outcome, outcome_date
        pregnancy.outcome_facility = facility
        pregnancy.next_contact = pregnancy.next_contact_closes_on = None
        pregnancy.save(update_fields=["outcome", "outcome_date", "outcome_facility",
                                      "next_contact", "next_contact_closes_on"])
        babies = []
        for baby in newborns:
            card = _newborn_card(actor, mother, baby, outcome_date)
            Newborn.objects.create(pregnancy=pregnancy, card=card, born_on=outcome_date,
                                   **baby.__dict__)
            babies.append(card)
        schedules.refresh_immunisation(babies)
        _audit(actor, access, PREGNANCY_OBJECT, pregnancy.pk,
               _("Pregnancy ended: %(outcome)s") % {"outcome": Outcome(outcome).label},
               action=AuditAction.UPDATE)
    return pregnancy


def record_newborn_discharge(*, actor: User, med_id: str, newborn: str,
                             discharged_on: date) -> Newborn:
    """The maternity's staff (or the mother's polyclinic, from the discharge letter) record
    the day a baby born there went home: the mother's card (`med_id`) and one of her
    babies by its MED-ID. Recorded again, the date is corrected. Home visits count from
    it (patronage follows the save)."""
    _require(actor, CARING_ROLES, _("Clinicians and nurses record a newborn's discharge."))
    access = cards.authorise_card_write(actor, med_id)
    baby = (Newborn.objects.filter(pregnancy__card=access.card, card__med_id=newborn)
            .select_related("card").first())
    if baby is None:
        raise ValidationError({"newborn": [_("Choose a baby of this mother.")]})
    if discharged_on > timezone.localdate():
        raise ValidationError({"discharged_on": [_("This date is in the future.")]})
    if discharged_on < baby.born_on:
        raise ValidationError({"discharged_on": [_("This is before the birth (%(date)s).") % {
            "date": baby.born_on.strftime("%d.%m.%Y")}]})
    with transaction.atomic():
        baby.discharged_on = discharged_on
        baby.save(update_fields=["discharged_on"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=PREGNANCY_OBJECT,
                           object_id=str(baby.pregnancy_id), patient_med_id=baby.card.med_id,
                           reason=_("Discharged home on %(date)s") % {
                               "date": discharged_on.strftime("%d.%m.%Y")},
                           break_glass=access.break_glass)
    return baby


def _newborn_card(actor: User, mother, baby: BabyAtBirth, born_on: date):
    card = cards.register_temporary_card(
        actor=actor, sex=baby.sex,
        notes=_("Newborn of %(mother)s (MED-ID %(med_id)s), born %(date)s") % {
            "mother": mother.full_name, "med_id": mother.med_id,
            "date": born_on.strftime("%d.%m.%Y")})
    card = cards.update_card(
        actor=actor, med_id=card.med_id, birth_date=born_on, region=mother.region,
        district=mother.district, street=mother.street,
        emergency_contact_name=mother.full_name, emergency_contact_phone=mother.phone)
    if mother.attached_facility_id:
        cards.change_attachment(actor=actor, med_id=card.med_id,
                                facility=mother.attached_facility,
                                family_doctor=mother.family_doctor,
                                reason=_("Born; attached with the mother"))
    cards.link_mother_at_birth(actor=actor, newborn=card, mother=mother, born_on=born_on)
    return card


def record_vaccination(*, actor: User, med_id: str, dose: CalendarDose, lot_number: str,
                       expiry_date: date, site: str, route: str,
                       given_on: date) -> Vaccination:
    """A dose was given. It must be the next of its series, at or after its minimum age
    and the minimum interval since the previous dose, from a lot not expired that day."""
    record = _require(actor, CARING_ROLES, _("Clinicians and nurses record vaccinations."))
    access = cards.authorise_card_write(actor, med_id)
    card = access.card
    errors: dict[str, list] = {}
    if given_on > timezone.localdate():
        errors["given_on"] = [_("This date is in the future.")]
    elif card.birth_date is None:
        errors["__all__"] = [_("The card has no birth date: record it first.")]
    elif given_on < card.birth_date + timedelta(days=dose.min_age_days):
        errors["given_on"] = [_("Too young for this dose: it is given from %(date)s.") % {
            "date": (card.birth_date + timedelta(days=dose.min_age_days)).strftime("%d.%m.%Y")}]
    if expiry_date < given_on:
        errors["expiry_date"] = [_("This lot had expired on the day of vaccination.")]
    if not lot_number.strip():
        errors["lot_number"] = [_("Give the lot number from the vial.")]
    if dose.sex and card.sex and dose.sex != card.sex:
        errors["dose"] = [_("This dose is not given to this child.")]
    if dose.number > 1 and "given_on" not in errors:
        previous = Vaccination.objects.filter(card=card, dose__vaccine=dose.vaccine_id,
                                              dose__number=dose.number - 1).first()
        if previous is None:
            errors["dose"] = [_("The previous dose of this vaccine is not recorded.")]
        elif given_on < previous.given_on + timedelta(days=dose.min_interval_days):
            errors["given_on"] = [_("Too soon after the previous dose: at least %(days)s days "
                                    "apart.") % {"days": dose.min_interval_days}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                vaccination = Vaccination.objects.create(
                    card=card, dose=dose, lot_number=lot_number.strip(),
                    expiry_date=expiry_date, site=site, route=route, given_on=given_on,
                    given_by=actor, facility=record.facility)
        except IntegrityError as error:
            raise ValidationError({"dose": [_("This dose is already recorded.")]}) from error
        schedules.refresh_immunisation([card])
        _audit(actor, access, IMMUNISATION_OBJECT, vaccination.pk,
               _("Vaccination recorded: %(dose)s") % {"dose": dose})
    return vaccination


def report_adverse_event(*, actor: User, med_id: str, vaccination: int, onset_on: date,
                         onset_time=None, symptoms=(), serious: bool, criteria=(),
                         outcome: str, description: str = "",
                         reporter: str) -> AdverseEvent:
    """An adverse event following one of the card's vaccinations, reported by the nurse or
    doctor who hears of it, for the epidemiologist of the district where the vaccine was
    given. A serious one tells the district's epidemiologists at once (outbox, once)."""
    _require(actor, CARING_ROLES, _("Clinicians and nurses report adverse events."))
    access = cards.authorise_card_write(actor, med_id)
    given = (Vaccination.objects.filter(card=access.card, pk=vaccination)
             .select_related("dose__vaccine", "facility").first())
    symptoms, criteria = list(symptoms), sorted(set(criteria))
    errors: dict[str, list] = {}
    if given is None:
        errors["vaccination"] = [_("Choose a vaccination recorded on this card.")]
    if onset_on > timezone.localdate():
        errors["onset_on"] = [_("This date is in the future.")]
    elif given is not None and onset_on < given.given_on:
        errors["onset_on"] = [_("This is before the vaccination (%(date)s).") % {
            "date": given.given_on.strftime("%d.%m.%Y")}]
    if not symptoms or any(not symptom.is_active for symptom in symptoms):
        errors["symptoms"] = [_("Choose at least one symptom of the list.")]
    if any(criterion not in SeriousCriterion.values for criterion in criteria):
        errors["criteria"] = [_("Choose the criteria of the list.")]
    elif serious and not criteria:
        errors["criteria"] = [_("A serious event meets at least one of these criteria.")]
    elif criteria and not serious:
        errors["serious"] = [_("An event meeting these criteria is serious.")]
    if outcome not in AefiOutcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    elif outcome == AefiOutcome.DIED and SeriousCriterion.DEATH not in criteria:
        errors["criteria"] = [_("The child died: the event is serious, by death.")]
    if not reporter.strip():
        errors["reporter"] = [_("Say who told of the event.")]
    district_id = given and (given.facility.district_id or access.card.district_id)
    if given is not None and district_id is None:
        errors["__all__"] = [_("Neither the facility nor the card has a district: no "
                               "epidemiologist would receive the report.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            vaccination=given, vaccinated_on=given.given_on, district_id=district_id,
            onset_on=onset_on, onset_time=onset_time, serious=serious, criteria=criteria,
            outcome=outcome, description=description.strip(), reporter=reporter.strip(),
            reported_by=actor)
        event.symptoms.set(symptoms)
        if serious:
            emit(kinds.AEFI_SERIOUS, {
                "med_id": access.card.med_id, "report": str(event.public_id),
                "vaccine": given.dose.vaccine.name, "facility": given.facility.name,
                "reported_on": timezone.localdate().isoformat(), "criteria": criteria,
                "recipients": district_staff(district_id, Role.EPIDEMIOLOGIST)},
                dedupe_key=f"aefi:{event.public_id}:serious")
        _audit(actor, access, AEFI_OBJECT, event.public_id,
               _("Adverse event reported after %(dose)s") % {"dose": given.dose})
    return event


def epidemiologist_district(actor: User) -> int:
    """The district an epidemiologist works for: that of the facility of the staff record
    they act under (a district's sanitary-epidemiological service, or its central
    polyclinic). Anyone else, or a facility of no district, is refused."""
    record = acting_staff_record(actor) if actor.role == Role.EPIDEMIOLOGIST else None
    if record is None or record.facility.district_id is None:
        raise PermissionDenied(_("The district's epidemiologist reads adverse event "
                                 "reports."))
    return record.facility.district_id


def district_report(actor: User, public_id, action: str = AuditAction.VIEW) -> AdverseEvent:
    """A report of the actor's district, or the refusal, audited (a report of another
    district is refused as one that does not exist is not: both 403, both in the trail)."""
    event = (AdverseEvent.objects.filter(public_id=public_id)
             .select_related("vaccination__card").first())
    try:
        district_id = epidemiologist_district(actor)
        if event is None or event.district_id != district_id:
            raise PermissionDenied(_("This report is not of your district."))
    except PermissionDenied:
        record_audit_event(actor=actor, action=action, object_type=AEFI_OBJECT,
                           object_id=str(public_id), allowed=False,
                           patient_med_id=event.vaccination.card.med_id if event else "")
        raise
    return event


def investigate_adverse_event(*, actor: User, public_id, causality: str,
                              investigation: str) -> AdverseEvent:
    """The district's epidemiologist closes the investigation of a report with the WHO
    causality category and the findings; once."""
    found = district_report(actor, public_id, action=AuditAction.UPDATE)
    errors: dict[str, list] = {}
    if causality not in Causality.values:
        errors["causality"] = [_("Choose the causality category.")]
    if not investigation.strip():
        errors["investigation"] = [_("Write what the investigation found.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = AdverseEvent.objects.select_for_update().get(pk=found.pk)
        if event.causality:
            raise ValidationError({"__all__": [_("This report is already investigated.")]})
        event.causality, event.investigation = causality, investigation.strip()
        event.investigated_by, event.investigated_at = actor, timezone.now()
        event.save(update_fields=["causality", "investigation", "investigated_by",
                                  "investigated_at"])
        record_audit_event(actor=actor, action=AuditAction.UPDATE, object_type=AEFI_OBJECT,
                           object_id=str(event.public_id),
                           patient_med_id=found.vaccination.card.med_id,
                           reason=_("Investigated: %(category)s") % {
                               "category": Causality(causality).label})
    return event


def record_exemption(*, actor: User, med_id: str, vaccine: Vaccine, kind: str, reason: str,
                     revisit_on: date) -> VaccinationExemption:
    """A contraindication, or the parents' refusal, of a vaccine until a date to revisit."""
    _require(actor, CARING_ROLES, _("Clinicians and nurses record contraindications and "
                                    "refusals."))
    access = cards.authorise_card_write(actor, med_id)
    errors: dict[str, list] = {}
    if kind not in ExemptionKind.values:
        errors["kind"] = [_("Choose contraindication or refusal.")]
    if not reason.strip():
        errors["reason"] = [_("State the reason.")]
    if revisit_on <= timezone.localdate():
        errors["revisit_on"] = [_("The date to revisit is after today.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        exemption = VaccinationExemption.objects.create(
            card=access.card, vaccine=vaccine, kind=kind, reason=reason.strip(),
            revisit_on=revisit_on, recorded_by=actor)
        schedules.refresh_immunisation([access.card])
        _audit(actor, access, IMMUNISATION_OBJECT, exemption.pk,
               _("%(kind)s of %(vaccine)s recorded") % {
                   "kind": ExemptionKind(kind).label, "vaccine": vaccine.name})
    return exemption


def record_growth(*, actor: User, med_id: str, measured_on: date,
                  weight_kg: Decimal | None = None, length_cm: Decimal | None = None,
                  head_circumference_cm: Decimal | None = None) -> GrowthMeasurement:
    """A child was measured; the WHO z-scores are computed and kept with the values."""
    _require(actor, CARING_ROLES, _("Clinicians and nurses record growth."))
    access = cards.authorise_card_write(actor, med_id)
    card = access.card
    values = {"weight_kg": weight_kg, "length_cm": length_cm,
              "head_circumference_cm": head_circumference_cm}
    if all(value is None for value in values.values()):
        raise ValidationError({"__all__": [_("Give at least one measurement.")]})
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": [_("This date is in the future.")]})
    if card.birth_date is None or card.sex not in Sex.values:
        raise ValidationError({"__all__": [_("The card needs a birth date and a sex for "
                                             "growth standards.")]})
    if measured_on < card.birth_date:
        raise ValidationError({"measured_on": [_("This is before the birth date.")]})
    scores, problems = growth.z_scores(sex=card.sex, birth_date=card.birth_date,
                                       measured_on=measured_on, values=values)
    if problems:
        raise ValidationError({field: [_("The WHO standard cannot score this: %(reason)s")
                                       % {"reason": reason}]
                               for field, reason in problems.items()})
    with transaction.atomic():
        measurement = GrowthMeasurement.objects.create(
            card=card, measured_on=measured_on, recorded_by=actor, **values,
            weight_sds=scores["weight_kg"], length_sds=scores["length_cm"],
            head_circumference_sds=scores["head_circumference_cm"])
        _audit(actor, access, IMMUNISATION_OBJECT, measurement.pk,
               _("Growth measured"))
    return measurement


def move_to_merged_card(*, source, target) -> None:
    """A card merged into another takes its mother-and-child records along (inside the
    merge's transaction, from the patients.signals.card_merged receiver): a newborn's
    temporary card merged into the card made from the birth certificate keeps its
    vaccinations, growth and its link to the mother.

    One person has one open pregnancy: if both cards have one, the merge stops with a
    message (record the outcome of the wrong one first). A dose recorded on both cards
    stays on the target; the source's copy stays on the merged card, in its history.
    """
    if Pregnancy.objects.filter(card=source, outcome="").exists() and \
            Pregnancy.objects.filter(card=target, outcome="").exists():
        raise ValidationError({"into": [_("Both cards have an open pregnancy; record the "
                                          "outcome of the wrong one first.")]})
    Pregnancy.objects.filter(card=source).update(card=target)
    Newborn.objects.filter(card=source).update(card=target)
    given = Vaccination.objects.filter(card=target).values("dose_id")
    Vaccination.objects.filter(card=source).exclude(dose_id__in=given).update(card=target)
    for model in (VaccinationExemption, GrowthMeasurement):
        model.objects.filter(card=source).update(card=target)
    ImmunisationStatus.objects.filter(card=source).delete()
    schedules.refresh_immunisation([target])


# Parents hear of a dose this many days before it falls due, and again when it becomes
# overdue (mch.vaccine_schedule.OVERDUE_AFTER after its date).
REMIND_DAYS_BEFORE = 3
# A daily run looks back this far, so a missed run or two loses no reminder; the event's
# dedupe key makes each reminder once.
REMINDER_LOOKBACK = timedelta(days=3)
REMINDER_CHUNK = 500


def _remind(kind: str, status: ImmunisationStatus, representatives: list[int]) -> None:
    card, dose = status.card, status.next_dose
    emit(kind, {"med_id": card.med_id, "child": card.first_name or card.med_id,
                "vaccine": dose.vaccine.name, "dose": dose.number,
                "due_on": status.next_due_on.isoformat(),
                "facility": card.attached_facility.name if card.attached_facility_id else "",
                "representatives": representatives},
         dedupe_key=f"immunisation:{card.med_id}:{dose.vaccine.code}:{dose.number}:{kind}:"
                    f"{status.next_due_on.isoformat()}")


def _not_yet_reminded(overdue: bool) -> Q:
    """Statuses whose next dose at its date has not had this reminder: no reminder of this
    dose and date yet, or (for the overdue one) only the due one."""
    same = Q(reminded_dose=F("next_dose"), reminded_due_on=F("next_due_on"))
    if overdue:
        same &= Q(reminded_overdue=True)
    return Q(reminded_dose__isnull=True) | Q(reminded_due_on__isnull=True) | ~same


def send_immunisation_reminders(*, today: date | None = None) -> int:
    """Raise the reminders of children's next doses (beat, daily): `immunisation.due`
    when a dose comes within REMIND_DAYS_BEFORE days, `immunisation.overdue` when it has
    just become overdue. Read from the stored next doses (an index range of a few days'
    due dates, not every child's calendar) and only those not yet reminded of that dose
    at that date (the status keeps the last reminder), in chunks, each chunk's reminders
    and marks in one transaction; so a night costs what it raises. Each reminder once
    per dose and date (a dose moved by a contraindication is reminded of its new date;
    the event's dedupe key holds it too). The event names the child's representatives,
    whom notifications tell through their own channels and quiet hours.
    Returns how many reminders were raised."""
    today = today or timezone.localdate()
    overdue_from = today - OVERDUE_AFTER
    windows = (
        (kinds.IMMUNISATION_DUE, False,
         Q(next_due_on__gte=today - REMINDER_LOOKBACK,
           next_due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))),
        (kinds.IMMUNISATION_OVERDUE, True,
         Q(next_due_on__lt=overdue_from, next_due_on__gte=overdue_from - REMINDER_LOOKBACK)),
    )
    raised = 0
    for kind, overdue, window in windows:
        statuses = (ImmunisationStatus.objects.filter(window).filter(_not_yet_reminded(overdue))
                    .exclude(card__status=CardStatus.MERGED)
                    .select_related("card__attached_facility", "next_dose__vaccine")
                    .order_by("next_due_on", "card"))
        after = None
        while True:
            chunk = statuses.filter(after) if after else statuses
            chunk = list(chunk[:REMINDER_CHUNK])
            if not chunk:
                break
            parents = current_representatives([status.card_id for status in chunk], today)
            with transaction.atomic():
                for status in chunk:
                    _remind(kind, status, parents.get(status.card_id, []))
                    status.reminded_dose_id, status.reminded_due_on = \
                        status.next_dose_id, status.next_due_on
                    status.reminded_overdue = overdue
                # The dose and date read, not the row's now: a status changed meanwhile
                # is reminded of its new dose the next night.
                ImmunisationStatus.objects.bulk_update(
                    chunk, ["reminded_dose", "reminded_due_on", "reminded_overdue"])
            raised += len(chunk)
            last = chunk[-1]
            after = Q(next_due_on__gt=last.next_due_on) | Q(next_due_on=last.next_due_on,
                                                            card__gt=last.card_id)
    return raised
