"""Hospital stays: admission to a bed, transfers, daily notes, discharge.

Where a patient lies is a history of bed occupancies; the database refuses two
occupancies of one bed that overlap in time (GiST exclusion), so two admissions racing
for a bed cannot both win, and a stay has one current bed at most.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.visits.models import CodedDiagnosis, DiagnosisKind


class Ward(models.Model):
    """A room of a hospital department (palata)."""

    department = models.ForeignKey("registry.Department", verbose_name=_("department"),
                                   on_delete=models.PROTECT, related_name="wards")
    code = models.CharField(_("ward"), max_length=16)

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["department", "code"]
        constraints = [models.UniqueConstraint(fields=["department", "code"],
                                               name="ward_code_unique")]

    def __str__(self) -> str:
        return f"{self.department.code}/{self.code}"


class Bed(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ward = models.ForeignKey(Ward, verbose_name=_("ward"), on_delete=models.PROTECT,
                             related_name="beds")
    code = models.CharField(_("bed"), max_length=16)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("bed")
        verbose_name_plural = _("beds")
        ordering = ["ward", "code"]
        constraints = [models.UniqueConstraint(fields=["ward", "code"], name="bed_code_unique")]

    def __str__(self) -> str:
        return f"{self.ward}/{self.code}"


class StayStatus(models.TextChoices):
    CURRENT = "current", _("in hospital")
    DISCHARGED = "discharged", _("discharged")


class Stay(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="stays")
    facility = models.ForeignKey("registry.Facility", verbose_name=_("hospital"),
                                 on_delete=models.PROTECT, related_name="stays")
    status = models.CharField(_("status"), max_length=10, choices=StayStatus.choices,
                              default=StayStatus.CURRENT)
    admitted_at = models.DateTimeField(_("admitted"), default=timezone.now)
    admitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("admitted by"),
                                    on_delete=models.PROTECT, related_name="+")
    admitting_diagnosis = models.ForeignKey(
        "clinics.Icd10Code", verbose_name=_("admitting diagnosis"), on_delete=models.PROTECT,
        related_name="+", db_column="admitting_diagnosis")
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True)
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("discharged by"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    discharge_summary = models.TextField(_("discharge summary"), blank=True)

    class Meta:
        verbose_name = _("hospital stay")
        verbose_name_plural = _("hospital stays")
        ordering = ["-admitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=StayStatus.values),
                                   name="stay_status_known"),
            models.CheckConstraint(
                condition=Q(status=StayStatus.CURRENT, discharged_at__isnull=True)
                | Q(status=StayStatus.DISCHARGED, discharged_at__gte=F("admitted_at"))
                & ~Q(discharge_summary=""),
                name="stay_discharge_complete"),
            # A person lies in one hospital bed at a time.
            models.UniqueConstraint(fields=["card"], condition=Q(status=StayStatus.CURRENT),
                                    name="stay_one_current_per_card"),
        ]
        indexes = [
            models.Index(fields=["card", "-admitted_at"], name="stay_card_recent"),
            models.Index(fields=["facility", "card"], condition=Q(status=StayStatus.CURRENT),
                         name="stay_current_by_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.card} — {self.admitted_at:%Y-%m-%d}"

    @property
    def is_current(self) -> bool:
        return self.status == StayStatus.CURRENT


class TstzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class BedOccupancy(models.Model):
    """The stay lay in this bed from `started_at` until `ended_at` (open: lies there now)."""

    stay = models.ForeignKey(Stay, verbose_name=_("stay"), on_delete=models.PROTECT,
                             related_name="occupancies")
    bed = models.ForeignKey(Bed, verbose_name=_("bed"), on_delete=models.PROTECT,
                            related_name="occupancies")
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                                 on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("bed occupancy")
        verbose_name_plural = _("bed occupancies")
        ordering = ["stay", "started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="occupancy_period_ordered"),
            # One patient per bed at any moment, enforced by the database under any race.
            ExclusionConstraint(
                name="occupancy_bed_not_shared",
                expressions=[("bed", RangeOperators.EQUAL),
                             (TstzRange("started_at", "ended_at", models.Value("[)")),
                              RangeOperators.OVERLAPS)],
            ),
            models.UniqueConstraint(fields=["stay"], condition=Q(ended_at__isnull=True),
                                    name="occupancy_one_current_bed_per_stay"),
        ]
        indexes = [models.Index(fields=["bed"], condition=Q(ended_at__isnull=True),
                                name="occupancy_current_by_bed")]

    def __str__(self) -> str:
        return f"{self.stay_id} @ {self.bed_id}"


class StayDiagnosis(CodedDiagnosis):
    """Final diagnoses of a stay, written at discharge: one primary, any secondary."""

    stay = models.ForeignKey(Stay, verbose_name=_("stay"), on_delete=models.CASCADE,
                             related_name="diagnoses")

    class Meta:
        verbose_name = _("final diagnosis")
        verbose_name_plural = _("final diagnoses")
        ordering = ["stay", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stay"], condition=Q(kind=DiagnosisKind.PRIMARY),
                                    name="stay_one_primary_diagnosis"),
            models.UniqueConstraint(fields=["stay", "code"], name="stay_diagnosis_once"),
            models.CheckConstraint(condition=Q(kind__in=DiagnosisKind.values),
                                   name="stay_diagnosis_kind_known"),
        ]


class StayNote(models.Model):
    """A daily note (kundalik): the course of the stay, as written that day."""

    stay = models.ForeignKey(Stay, verbose_name=_("stay"), on_delete=models.PROTECT,
                             related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"),
                               on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("daily note")
        verbose_name_plural = _("daily notes")
        ordering = ["stay", "written_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="stay_note_not_empty")]

    def __str__(self) -> str:
        return f"{self.stay_id} @ {self.written_at:%Y-%m-%d %H:%M}"
