"""Patronage: home visits planned from rules kept as data, and what the nurse recorded.

A planned visit is unique per card, reason and due date, so generating a plan again never
doubles it; a recorded visit is unique per planned visit and per idempotency key, so a
submission replayed after a dropped connection is recorded once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mch.models import RiskLevel


class Reason(models.TextChoices):
    NEWBORN = "newborn", _("newborn")
    PREGNANCY = "pregnancy", _("pregnancy")
    DISABLED = "disabled", _("disability list")
    BEDRIDDEN = "bedridden", _("bedridden list")


class Unit(models.TextChoices):
    DAY = "day", _("days")
    MONTH = "month", _("months")


class VisitRule(models.Model):
    """One line of the home-visit plan: visits `start`, `start + every`, … up to `until`
    units after the anchor (a newborn's birth, a pregnancy's registration, the day a
    person was put on a list). `every` 0: a single visit. A visit not made within
    `grace_days` of its due date is overdue. Pregnancy lines apply to one risk group."""

    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    risk_group = models.CharField(_("risk group"), max_length=6, choices=RiskLevel.choices,
                                  blank=True)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices, default=Unit.DAY)
    start = models.PositiveSmallIntegerField(_("first visit after"))
    every = models.PositiveSmallIntegerField(_("then every"), default=0)
    until = models.PositiveSmallIntegerField(_("last visit by"), default=0)
    grace_days = models.PositiveSmallIntegerField(_("days before overdue"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("home-visit rule")
        verbose_name_plural = _("home-visit rules")
        ordering = ["reason", "risk_group", "unit", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason="pregnancy", risk_group__in=RiskLevel.values)
                | (~Q(reason="pregnancy") & Q(risk_group="")),
                name="visit_rule_risk_group_for_pregnancy"),
            models.CheckConstraint(condition=Q(every=0) | Q(until__gte=models.F("start")),
                                   name="visit_rule_repeats_until_after_start"),
        ]

    def __str__(self) -> str:
        return (f"{self.reason} {self.risk_group} "
                f"{self.start}+{self.every}..{self.until} {self.unit}")


class CareListing(models.Model):
    """A person on the polyclinic's disabled or bedridden list, visited at home by rule."""

    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("list"), max_length=10,
                            choices=[(Reason.DISABLED, Reason.DISABLED.label),
                                     (Reason.BEDRIDDEN, Reason.BEDRIDDEN.label)])
    listed_on = models.DateField(_("listed on"), default=timezone.localdate)
    ended_on = models.DateField(_("taken off on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"),
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("home-care listing")
        verbose_name_plural = _("home-care listings")
        constraints = [
            models.UniqueConstraint(fields=["card", "kind"], condition=Q(ended_on__isnull=True),
                                    name="care_listing_one_open_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=[Reason.DISABLED, Reason.BEDRIDDEN]),
                                   name="care_listing_kind_is_a_list"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.kind}"


class StreetAssignment(models.Model):
    """Which patronage nurse of a polyclinic walks which street of its district. A card's
    address ("street, house") belongs to the longest street name it begins with."""

    facility = models.ForeignKey("registry.Facility", verbose_name=_("polyclinic"),
                                 on_delete=models.CASCADE, related_name="+")
    street = models.CharField(_("street"), max_length=200)
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("nurse"),
                              on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("street of a nurse")
        verbose_name_plural = _("streets of nurses")
        constraints = [models.UniqueConstraint(fields=["facility", "street"],
                                               name="street_assignment_one_nurse")]

    def __str__(self) -> str:
        return f"{self.street} → {self.nurse_id}"


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")


class PlannedVisit(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    due_on = models.DateField(_("due"))
    overdue_after = models.DateField(_("overdue after"))
    facility = models.ForeignKey("registry.Facility", verbose_name=_("polyclinic"),
                                 on_delete=models.PROTECT, related_name="+")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("nurse"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    assigned_by_hand = models.BooleanField(_("assigned by hand"), default=False)
    status = models.CharField(_("status"), max_length=7, choices=PlanStatus.choices,
                              default=PlanStatus.PLANNED)

    class Meta:
        verbose_name = _("planned home visit")
        verbose_name_plural = _("planned home visits")
        constraints = [
            models.UniqueConstraint(fields=["card", "reason", "due_on"],
                                    name="planned_visit_once_per_day_and_reason"),
            models.CheckConstraint(condition=Q(overdue_after__gte=models.F("due_on")),
                                   name="planned_visit_overdue_after_due"),
        ]
        indexes = [
            # The nurse's day: her visits due by today and not yet made.
            models.Index(fields=["nurse", "due_on"], condition=Q(status="planned"),
                         name="planned_visit_nurse_open"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.reason} {self.due_on:%Y-%m-%d}"


class Feeding(models.TextChoices):
    BREAST = "breast", _("breastfed only")
    MIXED = "mixed", _("breast and formula")
    FORMULA = "formula", _("formula only")


class WarningSign(models.Model):
    """An item of the warning-signs checklist the nurse goes through at the door."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    reason = models.CharField(_("for"), max_length=10, choices=Reason.choices, blank=True,
                              help_text=_("Empty: asked at every visit."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("warning sign")
        verbose_name_plural = _("warning signs")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class HomeVisit(models.Model):
    """What the nurse found and advised at the door, sealed with the digest of its content
    when recorded (the way a polyclinic visit is signed)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    planned = models.OneToOneField(PlannedVisit, on_delete=models.PROTECT,
                                   related_name="record")
    idempotency_key = models.UUIDField(unique=True)
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    visited_at = models.DateTimeField(default=timezone.now)
    systolic = models.PositiveSmallIntegerField(_("systolic pressure, mmHg"), null=True,
                                                blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure, mmHg"), null=True,
                                                 blank=True)
    pulse = models.PositiveSmallIntegerField(_("pulse, per minute"), null=True, blank=True)
    temperature = models.DecimalField(_("temperature, °C"), max_digits=3, decimal_places=1,
                                      null=True, blank=True)
    weight_kg = models.DecimalField(_("weight, kg"), max_digits=5, decimal_places=2,
                                    null=True, blank=True)
    feeding = models.CharField(_("feeding"), max_length=7, choices=Feeding.choices, blank=True)
    warning_signs = models.ManyToManyField(WarningSign, verbose_name=_("warning signs"),
                                           blank=True, related_name="+")
    advice = models.TextField(_("advice given"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    content_digest = models.CharField(_("content digest"), max_length=64)

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        constraints = [
            models.CheckConstraint(condition=~Q(content_digest=""), name="home_visit_signed"),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(systolic__gt=models.F("diastolic")),
                name="home_visit_pressure_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.planned_id} {self.visited_at:%Y-%m-%d}"
