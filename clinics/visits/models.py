"""Polyclinic visits: what was found, measured and decided, closed and signed once.

A closed visit is never edited in place: the database refuses it (migration
0006_visit_closed_is_final), and corrections are addenda, themselves append-only.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisitStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed and signed")


class VitalRange:
    """The values a living patient can present with; anything outside is a typing error."""

    def __init__(self, field, low, high, unit):
        self.field, self.low, self.high, self.unit = field, low, high, unit

    def as_check(self) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(**{f"{self.field}__isnull": True})
            | Q(**{f"{self.field}__gte": self.low, f"{self.field}__lte": self.high}),
            name=f"visit_{self.field}_range",
        )


# Bounds are wide on purpose (hypertensive crisis, deep hypothermia, neonates, morbid
# obesity): they refuse slips of the keyboard, not sick patients.
VITAL_RANGES = (
    VitalRange("bp_systolic", 50, 300, _("mmHg")),
    VitalRange("bp_diastolic", 20, 200, _("mmHg")),
    VitalRange("pulse", 20, 300, _("/min")),
    VitalRange("temperature", Decimal("30.0"), Decimal("45.0"), "°C"),
    VitalRange("spo2", 50, 100, "%"),
    VitalRange("weight", Decimal("0.3"), Decimal("400.0"), _("kg")),
    VitalRange("height", Decimal("20.0"), Decimal("250.0"), _("cm")),
)


class Visit(models.Model):
    public_id = models.UUIDField(_("visit number"), default=uuid.uuid4, unique=True,
                                 editable=False)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="visits")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("facility"),
                                 on_delete=models.PROTECT, related_name="visits")
    department = models.ForeignKey("registry.Department", verbose_name=_("department"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="visits")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("clinician"),
                                  on_delete=models.PROTECT, related_name="visits")
    status = models.CharField(_("status"), max_length=8, choices=VisitStatus.choices,
                              default=VisitStatus.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    complaints = models.TextField(_("complaints"), blank=True)
    history = models.TextField(_("history of the illness"), blank=True)
    examination = models.TextField(_("examination"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    bp_systolic = models.PositiveSmallIntegerField(_("blood pressure, systolic (mmHg)"),
                                                   null=True, blank=True)
    bp_diastolic = models.PositiveSmallIntegerField(_("blood pressure, diastolic (mmHg)"),
                                                    null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(_("pulse (/min)"), null=True, blank=True)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1,
                                      null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    weight = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1,
                                 null=True, blank=True)
    height = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1,
                                 null=True, blank=True)
    # Derived by the database, so it can never disagree with weight and height.
    bmi = models.GeneratedField(
        expression=Round(F("weight") / (F("height") / 100) / (F("height") / 100), 1),
        output_field=models.DecimalField(max_digits=5, decimal_places=1),
        db_persist=True, verbose_name=_("BMI"),
    )
    # SHA-256 of the visit's canonical content when it was closed: shows it is unchanged.
    content_digest = models.CharField(_("content digest"), max_length=64, blank=True,
                                      editable=False)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            *(vital.as_check() for vital in VITAL_RANGES),
            models.CheckConstraint(
                condition=Q(bp_systolic__isnull=True) | Q(bp_diastolic__isnull=True)
                | Q(bp_systolic__gt=F("bp_diastolic")),
                name="visit_bp_systolic_above_diastolic"),
            models.CheckConstraint(
                condition=Q(bp_systolic__isnull=True, bp_diastolic__isnull=True)
                | Q(bp_systolic__isnull=False, bp_diastolic__isnull=False),
                name="visit_bp_both_or_neither"),
            models.CheckConstraint(condition=Q(status__in=VisitStatus.values),
                                   name="visit_status_known"),
            # A clinician holds one open visit with a patient at a time: opening twice
            # (a double click, the queue desk and the card page) finds the same one.
            models.UniqueConstraint(fields=["card", "facility", "clinician"],
                                    condition=Q(status=VisitStatus.OPEN),
                                    name="visit_one_open_per_clinician"),
            models.CheckConstraint(
                condition=Q(status=VisitStatus.OPEN, closed_at__isnull=True)
                | Q(status=VisitStatus.CLOSED, closed_at__isnull=False)
                & ~Q(content_digest=""),
                name="visit_closed_is_signed"),
        ]
        indexes = [
            models.Index(fields=["card", "-opened_at"], name="visit_card_recent"),
            models.Index(fields=["facility", "-opened_at"], name="visit_facility_recent"),
            # The scope rule asks "is there an open visit here for this card?".
            models.Index(fields=["facility", "card"], condition=Q(status=VisitStatus.OPEN),
                         name="visit_open_by_facility"),
            models.Index(fields=["clinician", "status", "-opened_at"],
                         name="visit_clinician_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.card} — {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == VisitStatus.OPEN


class DiagnosisKind(models.TextChoices):
    PRIMARY = "primary", _("primary")
    SECONDARY = "secondary", _("secondary")


class CodedDiagnosis(models.Model):
    """An ICD-10 code given as the primary or a secondary diagnosis of a record (a visit,
    a stay); each record's table holds one primary and each code once."""

    code = models.ForeignKey("clinics.Icd10Code", verbose_name=_("ICD-10 code"),
                             on_delete=models.PROTECT, related_name="+", db_column="code")
    kind = models.CharField(_("kind"), max_length=10, choices=DiagnosisKind.choices)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code_id} ({self.get_kind_display()})"


class VisitDiagnosis(CodedDiagnosis):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE,
                              related_name="diagnoses")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["visit", "kind", "pk"]  # "primary" sorts before "secondary"
        constraints = [
            models.UniqueConstraint(fields=["visit"], condition=Q(kind=DiagnosisKind.PRIMARY),
                                    name="visit_one_primary_diagnosis"),
            models.UniqueConstraint(fields=["visit", "code"], name="visit_diagnosis_once"),
            models.CheckConstraint(condition=Q(kind__in=DiagnosisKind.values),
                                   name="visit_diagnosis_kind_known"),
        ]


class VisitAddendum(models.Model):
    """A correction or late finding written after the visit was closed; never changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT,
                              related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"),
                               on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["visit", "written_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(text=""),
                                              name="visit_addendum_not_empty")]

    def __str__(self) -> str:
        return f"{self.visit_id} @ {self.written_at:%Y-%m-%d %H:%M}"


class VisitDraft(models.Model):
    """What a clinician has typed in an open visit's form and not saved yet, kept by the
    server (saved while typing and on leaving the page), so that a closed browser or a
    lost connection loses nothing. One per visit and author; saving the visit clears it."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE,
                              related_name="drafts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"),
                               on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(_("fields as typed"), default=dict)
    saved_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("visit draft")
        verbose_name_plural = _("visit drafts")
        constraints = [models.UniqueConstraint(fields=["visit", "author"],
                                               name="visit_draft_one_per_author")]

    def __str__(self) -> str:
        return f"{self.visit_id} / {self.author_id} @ {self.saved_at:%Y-%m-%d %H:%M:%S}"
