"""Mother and child: pregnancies followed through antenatal care to their outcome, and
children followed through the national immunisation calendar.

The catalogues (risk factors, antenatal contacts, vaccines and their doses) are data the
administrators edit; migrations load today's.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import FacilityKind


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


class RiskFactor(models.Model):
    """A pregnancy risk factor; its level decides the risk group it puts a woman in."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("risk level"), max_length=6, choices=RiskLevel.choices,
                             default=RiskLevel.MEDIUM)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("pregnancy risk factor")
        verbose_name_plural = _("pregnancy risk factors")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(level="low"),
                                              name="risk_factor_raises_risk")]

    def __str__(self) -> str:
        return self.name


class AntenatalContact(models.Model):
    """One contact of the antenatal schedule, due within a window of gestational weeks."""

    number = models.PositiveSmallIntegerField(_("contact"), unique=True)
    week_from = models.PositiveSmallIntegerField(_("from week"))
    week_to = models.PositiveSmallIntegerField(_("to week"))
    includes = models.TextField(_("what it includes"), blank=True)

    class Meta:
        verbose_name = _("antenatal contact")
        verbose_name_plural = _("antenatal schedule")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(week_to__gte=F("week_from")),
                                   name="antenatal_contact_window"),
            models.CheckConstraint(condition=Q(week_to__lte=42), name="antenatal_contact_term"),
        ]

    def __str__(self) -> str:
        return _("Contact %(number)s (weeks %(start)s–%(end)s)") % {
            "number": self.number, "start": self.week_from, "end": self.week_to}


class DatingMethod(models.TextChoices):
    LMP = "lmp", _("Last menstrual period")
    ULTRASOUND = "ultrasound", _("Ultrasound scan")


class Outcome(models.TextChoices):
    LIVE_BIRTH = "live_birth", _("Live birth")
    STILLBIRTH = "stillbirth", _("Stillbirth")
    MISCARRIAGE = "miscarriage", _("Miscarriage")
    TERMINATION = "termination", _("Termination")


class Pregnancy(models.Model):
    """A pregnancy on a woman's card: open until its outcome is recorded.

    The expected date of delivery (EDD) is what everything else is counted from: the
    gestational age, the trimester and each antenatal contact's window.
    """

    card = models.ForeignKey("patients.PatientCard", on_delete=models.PROTECT,
                             related_name="+")
    dating_method = models.CharField(_("dated by"), max_length=10, choices=DatingMethod.choices)
    lmp = models.DateField(_("last menstrual period"), null=True, blank=True)
    scan_date = models.DateField(_("scan date"), null=True, blank=True)
    scan_weeks = models.PositiveSmallIntegerField(_("weeks at scan"), null=True, blank=True)
    scan_days = models.PositiveSmallIntegerField(_("days at scan"), null=True, blank=True)
    edd = models.DateField(_("expected date of delivery"))
    gravidity = models.PositiveSmallIntegerField(_("gravidity"))
    parity = models.PositiveSmallIntegerField(_("parity"))
    risk_factors = models.ManyToManyField(RiskFactor, verbose_name=_("risk factors"),
                                          blank=True, related_name="+")
    # Computed from the risk factors when they are written (services), stored so the
    # district list filters by it with an index.
    risk_group = models.CharField(_("risk group"), max_length=6, choices=RiskLevel.choices)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                      related_name="+")
    registered_at = models.ForeignKey("registry.Facility", on_delete=models.PROTECT,
                                      related_name="+")
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices,
                               blank=True)
    outcome_date = models.DateField(_("outcome date"), null=True, blank=True)
    outcome_facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"),
                                         null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    # The first contact of the schedule after the last one visited, and the last day of
    # its window: written with each visit (services), so the district list finds overdue
    # contacts with an index instead of working out every pregnancy's schedule. An edit
    # of the schedule clears them until that night's refresh (mch.schedules).
    next_contact = models.ForeignKey(AntenatalContact, verbose_name=_("next contact"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    next_contact_closes_on = models.DateField(_("next contact's window closes"), null=True,
                                              blank=True)

    class Meta:
        verbose_name = _("pregnancy")
        verbose_name_plural = _("pregnancies")
        constraints = [
            models.UniqueConstraint(fields=["card"], condition=Q(outcome=""),
                                    name="pregnancy_one_open_per_card"),
            models.CheckConstraint(condition=Q(gravidity__gte=1) & Q(parity__lt=F("gravidity")),
                                   name="pregnancy_parity_below_gravidity"),
            models.CheckConstraint(
                condition=Q(dating_method="lmp", lmp__isnull=False)
                | Q(dating_method="ultrasound", scan_date__isnull=False,
                    scan_weeks__isnull=False, scan_days__lte=6),
                name="pregnancy_dated"),
            models.CheckConstraint(
                condition=Q(outcome="", outcome_date__isnull=True)
                | (~Q(outcome="") & Q(outcome_date__isnull=False)),
                name="pregnancy_outcome_dated"),
        ]
        indexes = [
            # The district list: open pregnancies by expected delivery.
            models.Index(fields=["edd"], condition=Q(outcome=""), name="pregnancy_open_edd"),
            models.Index(fields=["next_contact_closes_on"], condition=Q(outcome=""),
                         name="pregnancy_open_next_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} EDD {self.edd:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return not self.outcome

    @property
    def at_maternity(self) -> bool:
        """Ended in a hospital's maternity: its babies go home on a day of their own."""
        return self.outcome_facility is not None and \
            self.outcome_facility.kind == FacilityKind.HOSPITAL


class AntenatalVisit(models.Model):
    """What was measured at one antenatal contact."""

    pregnancy = models.ForeignKey(Pregnancy, on_delete=models.PROTECT, related_name="visits")
    contact = models.ForeignKey(AntenatalContact, verbose_name=_("contact"),
                                on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date"))
    systolic = models.PositiveSmallIntegerField(_("systolic pressure, mmHg"), null=True,
                                                blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure, mmHg"), null=True,
                                                 blank=True)
    weight_kg = models.DecimalField(_("weight, kg"), max_digits=5, decimal_places=1,
                                    null=True, blank=True)
    fundal_height_cm = models.PositiveSmallIntegerField(_("fundal height, cm"), null=True,
                                                        blank=True)
    fetal_heart_rate = models.PositiveSmallIntegerField(_("fetal heart rate, per minute"),
                                                        null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("antenatal visit")
        verbose_name_plural = _("antenatal visits")
        ordering = ["visited_on"]
        constraints = [models.UniqueConstraint(fields=["pregnancy", "contact"],
                                               name="antenatal_visit_once_per_contact")]

    def __str__(self) -> str:
        return f"{self.pregnancy_id} #{self.contact_id} {self.visited_on:%Y-%m-%d}"


class Newborn(models.Model):
    """A baby born alive of a pregnancy, and the card it got at birth.

    `born_on` is the pregnancy's outcome date, copied so the database holds the day the
    baby went home (`discharged_on`, recorded by the maternity's staff) to the birth."""

    pregnancy = models.ForeignKey(Pregnancy, on_delete=models.PROTECT, related_name="newborns")
    card = models.OneToOneField("patients.PatientCard", on_delete=models.PROTECT,
                                related_name="+")
    born_on = models.DateField(_("born on"))
    discharged_on = models.DateField(_("discharged home on"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=6)
    weight_g = models.PositiveIntegerField(_("weight, g"))
    length_cm = models.DecimalField(_("length, cm"), max_digits=4, decimal_places=1)
    apgar_1 = models.PositiveSmallIntegerField(_("Apgar at 1 minute"))
    apgar_5 = models.PositiveSmallIntegerField(_("Apgar at 5 minutes"))

    class Meta:
        verbose_name = _("newborn")
        verbose_name_plural = _("newborns")
        constraints = [
            models.CheckConstraint(condition=Q(apgar_1__lte=10) & Q(apgar_5__lte=10),
                                   name="newborn_apgar_range"),
            models.CheckConstraint(condition=Q(weight_g__gte=200) & Q(weight_g__lte=7000),
                                   name="newborn_weight_range"),
            models.CheckConstraint(condition=Q(discharged_on__isnull=True)
                                   | Q(discharged_on__gte=F("born_on")),
                                   name="newborn_discharged_after_birth"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} ({self.pregnancy_id})"


class Vaccine(models.Model):
    """A series of the immunisation calendar (pentavalent, MMR, …)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CalendarDose(models.Model):
    """One dose of the national immunisation calendar."""

    vaccine = models.ForeignKey(Vaccine, verbose_name=_("vaccine"), on_delete=models.PROTECT,
                                related_name="doses")
    number = models.PositiveSmallIntegerField(_("dose"))
    min_age_days = models.PositiveIntegerField(_("minimum age, days"))
    min_interval_days = models.PositiveIntegerField(
        _("minimum interval since the previous dose, days"), default=0)
    latest_age_days = models.PositiveIntegerField(_("latest age, days"), null=True, blank=True,
                                                  help_text=_("Not given after this age."))
    sex = models.CharField(_("only for"), max_length=6, blank=True,
                           choices=[("male", _("Boys")), ("female", _("Girls"))])

    class Meta:
        verbose_name = _("calendar dose")
        verbose_name_plural = _("immunisation calendar")
        ordering = ["min_age_days", "vaccine__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["vaccine", "number"], name="calendar_dose_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="calendar_dose_number"),
            models.CheckConstraint(
                condition=Q(latest_age_days__isnull=True)
                | Q(latest_age_days__gte=F("min_age_days")),
                name="calendar_dose_latest_after_earliest"),
        ]

    def __str__(self) -> str:
        return f"{self.vaccine} — {self.number}"


class Site(models.TextChoices):
    LEFT_THIGH = "left_thigh", _("Left thigh")
    RIGHT_THIGH = "right_thigh", _("Right thigh")
    LEFT_ARM = "left_arm", _("Left upper arm")
    RIGHT_ARM = "right_arm", _("Right upper arm")
    MOUTH = "mouth", _("Mouth")


class Route(models.TextChoices):
    INTRAMUSCULAR = "im", _("Intramuscular")
    SUBCUTANEOUS = "sc", _("Subcutaneous")
    INTRADERMAL = "id", _("Intradermal")
    ORAL = "oral", _("Oral")


class Vaccination(models.Model):
    card = models.ForeignKey("patients.PatientCard", on_delete=models.PROTECT,
                             related_name="+")
    dose = models.ForeignKey(CalendarDose, verbose_name=_("dose"), on_delete=models.PROTECT,
                             related_name="+")
    lot_number = models.CharField(_("lot number"), max_length=40)
    expiry_date = models.DateField(_("expiry date"))
    site = models.CharField(_("site"), max_length=12, choices=Site.choices)
    route = models.CharField(_("route"), max_length=4, choices=Route.choices)
    given_on = models.DateField(_("given on"))
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    facility = models.ForeignKey("registry.Facility", on_delete=models.PROTECT,
                                 related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vaccination")
        verbose_name_plural = _("vaccinations")
        constraints = [
            models.UniqueConstraint(fields=["card", "dose"], name="vaccination_once_per_dose"),
            models.CheckConstraint(condition=Q(expiry_date__gte=F("given_on")),
                                   name="vaccination_not_expired"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.dose} {self.given_on:%Y-%m-%d}"


class AefiSymptom(models.Model):
    """A sign or symptom of an adverse event following immunisation (the catalogue the
    report picks from; mch.catalogue loads the starting one)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("AEFI symptom")
        verbose_name_plural = _("AEFI symptoms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SeriousCriterion(models.TextChoices):
    """What makes an adverse event serious (WHO, "Global manual on surveillance of adverse
    events following immunization", 2016: the ICH E2A criteria)."""

    DEATH = "death", _("Death")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")
    HOSPITALISATION = "hospitalisation", _("Hospitalisation or its prolongation")
    DISABILITY = "disability", _("Persistent or significant disability")
    CONGENITAL_ANOMALY = "congenital_anomaly", _("Congenital anomaly or birth defect")


class AefiOutcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    RECOVERING = "recovering", _("Recovering")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    SEQUELAE = "sequelae", _("Recovered with sequelae")
    DIED = "died", _("Died")
    UNKNOWN = "unknown", _("Unknown")


class Causality(models.TextChoices):
    """The WHO causality assessment of an AEFI (WHO, "Causality assessment of an adverse
    event following immunization (AEFI): user manual for the revised WHO
    classification", 2nd edition, 2019)."""

    VACCINE_PRODUCT = "A1", _("A1 Vaccine product-related reaction")
    VACCINE_QUALITY = "A2", _("A2 Vaccine quality defect-related reaction")
    IMMUNISATION_ERROR = "A3", _("A3 Immunisation error-related reaction")
    ANXIETY = "A4", _("A4 Immunisation anxiety-related reaction")
    INDETERMINATE_CONSISTENT = "B1", _("B1 Indeterminate: consistent temporal relationship, "
                                       "insufficient evidence")
    INDETERMINATE_CONFLICTING = "B2", _("B2 Indeterminate: conflicting trends")
    COINCIDENTAL = "C", _("C Coincidental")
    UNCLASSIFIABLE = "D", _("D Unclassifiable")


class AdverseEvent(models.Model):
    """An adverse event following immunisation, reported from the vaccination record and
    investigated by the district's epidemiologist.

    The vaccination's date and its facility's district are copied, so the DB holds the
    onset to the vaccination and the district's worklist reads one index range."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    vaccination = models.ForeignKey(Vaccination, verbose_name=_("vaccination"),
                                    on_delete=models.PROTECT, related_name="adverse_events")
    vaccinated_on = models.DateField()
    district = models.ForeignKey("registry.District", on_delete=models.PROTECT,
                                 related_name="+")
    onset_on = models.DateField(_("onset date"))
    onset_time = models.TimeField(_("onset time"), null=True, blank=True)
    symptoms = models.ManyToManyField(AefiSymptom, verbose_name=_("symptoms"),
                                      related_name="+")
    serious = models.BooleanField(_("serious"))
    criteria = ArrayField(models.CharField(max_length=20, choices=SeriousCriterion.choices),
                          verbose_name=_("seriousness criteria"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=AefiOutcome.choices)
    description = models.TextField(_("description"), blank=True)
    # Who told of it (the mother, a hospital's doctor, the nurse herself), in words; the
    # member of staff who wrote it down is `reported_by`.
    reporter = models.CharField(_("reported by"), max_length=200)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    causality = models.CharField(_("causality"), max_length=2, choices=Causality.choices,
                                 blank=True)
    investigation = models.TextField(_("investigation findings"), blank=True)
    investigated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    investigated_at = models.DateTimeField(_("investigated"), null=True, blank=True)

    class Meta:
        verbose_name = _("adverse event following immunisation")
        verbose_name_plural = _("adverse events following immunisation")
        constraints = [
            models.CheckConstraint(condition=Q(onset_on__gte=F("vaccinated_on")),
                                   name="aefi_onset_after_vaccination"),
            models.CheckConstraint(
                condition=Q(serious=False, criteria__len=0)
                | Q(serious=True, criteria__len__gt=0),
                name="aefi_serious_has_criteria"),
            models.CheckConstraint(
                condition=~Q(outcome="died") | Q(serious=True, criteria__contains=["death"]),
                name="aefi_death_is_serious"),
            models.CheckConstraint(condition=~Q(reporter=""), name="aefi_reporter_named"),
            models.CheckConstraint(
                condition=Q(causality="", investigated_by__isnull=True,
                            investigated_at__isnull=True)
                | (~Q(causality="") & Q(investigated_by__isnull=False,
                                        investigated_at__isnull=False)),
                name="aefi_investigation_complete"),
        ]
        indexes = [
            # The epidemiologist's worklist: a district's reports, serious and newest first.
            models.Index(fields=["district", "-serious", "-reported_at", "-id"],
                         name="aefi_district_worklist"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.vaccination_id})"

    @property
    def criteria_labels(self) -> list:
        return [SeriousCriterion(criterion).label for criterion in self.criteria]


class ExemptionKind(models.TextChoices):
    # The values are the schedule's states (mch.vaccine_schedule.DoseState).
    CONTRAINDICATION = "postponed", _("Contraindication")
    REFUSAL = "refused", _("Refusal")


class VaccinationExemption(models.Model):
    """A contraindication or a refusal of a vaccine's next dose, until a date to revisit."""

    card = models.ForeignKey("patients.PatientCard", on_delete=models.PROTECT,
                             related_name="+")
    vaccine = models.ForeignKey(Vaccine, verbose_name=_("vaccine"), on_delete=models.PROTECT,
                                related_name="+")
    kind = models.CharField(_("kind"), max_length=9, choices=ExemptionKind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    revisit_on = models.DateField(_("revisit on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contraindication or refusal")
        verbose_name_plural = _("contraindications and refusals")
        ordering = ["-recorded_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""),
                                              name="exemption_has_reason")]
        indexes = [models.Index(fields=["card", "vaccine", "-recorded_at"],
                                name="exemption_latest")]

    def __str__(self) -> str:
        return f"{self.card_id} {self.get_kind_display()} {self.vaccine_id}"


class GrowthMeasurement(models.Model):
    """A child's weight, length or height and head circumference on a day, with the WHO
    z-scores (SDS) computed when written (mch.growth)."""

    card = models.ForeignKey("patients.PatientCard", on_delete=models.PROTECT,
                             related_name="+")
    measured_on = models.DateField(_("measured on"))
    weight_kg = models.DecimalField(_("weight, kg"), max_digits=5, decimal_places=2,
                                    null=True, blank=True)
    length_cm = models.DecimalField(_("length or height, cm"), max_digits=4, decimal_places=1,
                                    null=True, blank=True)
    head_circumference_cm = models.DecimalField(_("head circumference, cm"), max_digits=4,
                                                decimal_places=1, null=True, blank=True)
    weight_sds = models.FloatField(null=True, blank=True)
    length_sds = models.FloatField(null=True, blank=True)
    head_circumference_sds = models.FloatField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("growth measurement")
        verbose_name_plural = _("growth measurements")
        ordering = ["measured_on", "pk"]
        constraints = [models.CheckConstraint(
            condition=Q(weight_kg__isnull=False) | Q(length_cm__isnull=False)
            | Q(head_circumference_cm__isnull=False), name="growth_measures_something")]
        indexes = [models.Index(fields=["card", "measured_on"], name="growth_card_date")]

    def __str__(self) -> str:
        return f"{self.card_id} {self.measured_on:%Y-%m-%d}"


class ImmunisationStatus(models.Model):
    """A child's next dose of the calendar, kept by the services whenever something that
    decides it is written (a vaccination, an exemption, a birth, a merge) and by the
    daily refresh on the day it may change by itself (`recheck_on`) or when the card's
    birth date or sex no longer match. The district list reads, filters and pages these
    rows in the database; due or overdue follows from `next_due_on` and today."""

    card = models.OneToOneField("patients.PatientCard", primary_key=True,
                                on_delete=models.CASCADE, related_name="+")
    # What the status was computed for: a card corrected since is refreshed.
    birth_date = models.DateField()
    sex = models.CharField(max_length=6, blank=True)
    # The card's district, copied (patients.signals.card_attached moves it, the daily
    # refresh checks it), so a district's list and counts read one index range each.
    family_doctor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    facility = models.ForeignKey("registry.Facility", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    next_dose = models.ForeignKey(CalendarDose, verbose_name=_("next dose"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    next_due_on = models.DateField(_("next dose due"), null=True, blank=True)
    recheck_on = models.DateField(null=True, blank=True)
    # The last reminder raised (mch.services.send_immunisation_reminders): of which dose
    # and due date, and whether it was the overdue one. The nightly run skips a child
    # already reminded of its next dose at its date, so each night raises only what is new.
    reminded_dose = models.ForeignKey(CalendarDose, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    reminded_due_on = models.DateField(null=True, blank=True)
    reminded_overdue = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("immunisation status")
        verbose_name_plural = _("immunisation statuses")
        constraints = [models.CheckConstraint(
            condition=Q(next_dose__isnull=True, next_due_on__isnull=True)
            | Q(next_dose__isnull=False, next_due_on__isnull=False),
            name="immunisation_status_next_dated")]
        indexes = [
            # The district lists' pages and counts, due and overdue, in date order: a
            # family doctor's district, a nurse's polyclinic; the reminders, everyone's.
            models.Index(fields=["family_doctor", "next_due_on", "card"],
                         condition=Q(next_due_on__isnull=False),
                         name="immunisation_doctor_due"),
            models.Index(fields=["facility", "next_due_on", "card"],
                         condition=Q(next_due_on__isnull=False),
                         name="immunisation_facility_due"),
            models.Index(fields=["next_due_on", "card"], condition=Q(next_due_on__isnull=False),
                         name="immunisation_next_due"),
            models.Index(fields=["recheck_on"], condition=Q(recheck_on__isnull=False),
                         name="immunisation_recheck"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.next_dose_id} {self.next_due_on}"
