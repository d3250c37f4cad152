"""Laboratory: the test catalogue with reference ranges, orders, and versioned results.

A released result is never changed in place: a trigger (migration
`clinics.0004_laboratory`) refuses UPDATE and DELETE of a released version, and a
correction is the next version of the same ordered test.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import IntegerRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from registry.naming import LocalizedNameMixin

__all__ = ["Flag", "LabOrder", "LabOrderItem", "LabResult", "LabTest", "OrderPriority",
           "RangeSex", "ReferenceRange", "Specimen"]


class Specimen(models.TextChoices):
    SERUM = "serum", _("Serum")
    PLASMA = "plasma", _("Plasma")
    WHOLE_BLOOD = "whole_blood", _("Whole blood (EDTA)")
    CAPILLARY_BLOOD = "capillary_blood", _("Capillary blood")
    URINE = "urine", _("Urine")


class RangeSex(models.TextChoices):
    """Reference ranges are written per sex; a range for everybody is written twice."""

    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class LabTest(LocalizedNameMixin):
    """A test a laboratory performs, with the unit its results are reported in."""

    code = models.CharField(_("code"), max_length=16, unique=True,
                            help_text=_("Short code printed on orders, e.g. HGB."))
    loinc = models.CharField(_("LOINC code"), max_length=16, blank=True)
    specimen = models.CharField(_("specimen"), max_length=20, choices=Specimen.choices)
    unit = models.CharField(_("unit"), max_length=24)
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=1)
    is_active = models.BooleanField(_("orderable"), default=True)

    class Meta:
        verbose_name = _("lab test")
        verbose_name_plural = _("lab tests")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(specimen__in=Specimen.values),
                                   name="labtest_specimen_known"),
            models.CheckConstraint(condition=Q(decimal_places__lte=4),
                                   name="labtest_decimal_places_small"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class IntRangeFunc(Func):
    function = "INT4RANGE"
    output_field = IntegerRangeField()


class ReferenceRange(models.Model):
    """Normal and critical limits of a test for one sex and an age band.

    Ages are completed months at sampling, the band is [from, to): an 18-year band
    starts on the 18th birthday. No two bands of the same test and sex overlap
    (exclusion constraint), so exactly one range, or none, matches a patient.
    """

    test = models.ForeignKey(LabTest, verbose_name=_("test"), on_delete=models.CASCADE,
                             related_name="ranges")
    sex = models.CharField(_("sex"), max_length=6, choices=RangeSex.choices)
    age_from_months = models.PositiveIntegerField(_("from age (months)"), default=0)
    age_to_months = models.PositiveIntegerField(
        _("to age (months, exclusive)"), null=True, blank=True,
        help_text=_("Empty: no upper age limit."))
    low = models.DecimalField(_("lower limit"), max_digits=10, decimal_places=4, null=True,
                              blank=True)
    high = models.DecimalField(_("upper limit"), max_digits=10, decimal_places=4, null=True,
                               blank=True)
    critical_low = models.DecimalField(_("critical low"), max_digits=10, decimal_places=4,
                                       null=True, blank=True)
    critical_high = models.DecimalField(_("critical high"), max_digits=10, decimal_places=4,
                                        null=True, blank=True)

    class Meta:
        verbose_name = _("reference range")
        verbose_name_plural = _("reference ranges")
        ordering = ["test", "sex", "age_from_months"]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=RangeSex.values),
                                   name="range_sex_known"),
            models.CheckConstraint(
                condition=Q(age_to_months__isnull=True)
                | Q(age_to_months__gt=F("age_from_months")),
                name="range_age_band_ordered"),
            models.CheckConstraint(condition=Q(low__isnull=False) | Q(high__isnull=False),
                                   name="range_has_a_limit"),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="range_low_below_high"),
            models.CheckConstraint(
                condition=Q(critical_low__isnull=True) | Q(low__isnull=True)
                | Q(critical_low__lte=F("low")),
                name="range_critical_low_below_low"),
            models.CheckConstraint(
                condition=Q(critical_high__isnull=True) | Q(high__isnull=True)
                | Q(critical_high__gte=F("high")),
                name="range_critical_high_above_high"),
            ExclusionConstraint(
                name="range_age_bands_do_not_overlap",
                expressions=[
                    ("test", RangeOperators.EQUAL),
                    ("sex", RangeOperators.EQUAL),
                    (IntRangeFunc("age_from_months", "age_to_months", models.Value("[)")),
                     RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test.code} {self.sex} {self.age_from_months}–{self.age_to_months or '∞'}"


class OrderPriority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


# The worklist's order: emergencies first, then urgent, then routine (then the oldest).
URGENCY_RANK = models.Case(
    models.When(priority=OrderPriority.EMERGENCY, then=models.Value(0)),
    models.When(priority=OrderPriority.URGENT, then=models.Value(1)),
    default=models.Value(2), output_field=models.SmallIntegerField())


class TurnaroundTarget(models.Model):
    """How long a laboratory promises to take over an order of one priority, when it differs
    from the national default (settings.LAB_TURNAROUND_MINUTES): a hospital's emergency
    laboratory promises less than a district's routine one."""

    laboratory = models.ForeignKey("registry.Facility", verbose_name=_("laboratory"),
                                   on_delete=models.CASCADE, related_name="turnaround_targets")
    priority = models.CharField(_("priority"), max_length=9, choices=OrderPriority.choices)
    minutes = models.PositiveIntegerField(_("minutes"))

    class Meta:
        verbose_name = _("turnaround target")
        verbose_name_plural = _("turnaround targets")
        constraints = [
            models.UniqueConstraint(fields=["laboratory", "priority"],
                                    name="turnaround_one_per_priority"),
            models.CheckConstraint(condition=Q(priority__in=OrderPriority.values),
                                   name="turnaround_priority_known"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="turnaround_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.laboratory} · {self.get_priority_display()}: {self.minutes}"


class LabOrder(models.Model):
    """Tests a clinician asks a laboratory to perform for one patient."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="lab_orders")
    # The visit the tests were ordered in, when there was one; a standalone order has none.
    visit = models.ForeignKey("clinics.Visit", verbose_name=_("visit"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="lab_orders")
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ordered by"),
                                   on_delete=models.PROTECT, related_name="+")
    ordering_facility = models.ForeignKey("registry.Facility",
                                          verbose_name=_("ordering facility"),
                                          on_delete=models.PROTECT, related_name="+")
    laboratory = models.ForeignKey("registry.Facility", verbose_name=_("laboratory"),
                                   on_delete=models.PROTECT, related_name="lab_orders")
    priority = models.CharField(_("priority"), max_length=9, choices=OrderPriority.choices,
                                default=OrderPriority.ROUTINE)
    urgency_rank = models.GeneratedField(expression=URGENCY_RANK,
                                         output_field=models.SmallIntegerField(),
                                         db_persist=True)
    clinical_note = models.CharField(_("clinical note"), max_length=500, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), auto_now_add=True)
    # Set when the last ordered test is released: the worklist reads the open ones.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lab order")
        verbose_name_plural = _("lab orders")
        ordering = ["-ordered_at"]
        constraints = [
            models.CheckConstraint(condition=Q(priority__in=OrderPriority.values),
                                   name="laborder_priority_known"),
        ]
        indexes = [
            # The laboratory worklist: open orders of one laboratory, most urgent first,
            # then oldest first.
            models.Index(fields=["laboratory", "urgency_rank", "ordered_at", "id"],
                         condition=Q(completed_at=None), name="laborder_urgent_worklist"),
            models.Index(fields=["card", "ordered_at"], name="laborder_card_time"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def awaits_second_verifier(self) -> bool:
        """A critical value or a correction entered and not released: another technician
        than its enterer must verify it (read from prefetched items, see labs.selectors)."""
        for item in self.items.all():
            latest = item.latest_result
            if latest is not None and not latest.is_released and (
                    latest.flag in CRITICAL_FLAGS or latest.corrects_id is not None):
                return True
        return False


class LabOrderItem(models.Model):
    """One test of an order; its results are the versions under it."""

    order = models.ForeignKey(LabOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="items")
    test = models.ForeignKey(LabTest, verbose_name=_("test"), on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        verbose_name = _("ordered test")
        verbose_name_plural = _("ordered tests")
        constraints = [
            models.UniqueConstraint(fields=["order", "test"], name="laborderitem_test_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.test.code}"

    @property
    def latest_result(self):
        """The newest version, read from prefetched results (see labs.selectors)."""
        versions = list(self.results.all())
        return versions[-1] if versions else None


class Flag(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    CRITICAL_LOW = "critical_low", _("Critically low")
    CRITICAL_HIGH = "critical_high", _("Critically high")
    NO_RANGE = "no_range", _("No reference range")


CRITICAL_FLAGS = (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)


class LabResult(models.Model):
    """One version of the result of an ordered test.

    Version 1 is the first result; a correction of a released version is the next
    version, which points at the one it corrects. The reference range and flag are
    copied in when the value is entered, so later catalogue edits never rewrite what a
    patient was told. Released versions are frozen by a database trigger.
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    item = models.ForeignKey(LabOrderItem, verbose_name=_("ordered test"),
                             on_delete=models.PROTECT, related_name="results")
    card = models.ForeignKey("patients.PatientCard", verbose_name=_("card"),
                             on_delete=models.PROTECT, related_name="lab_results")
    test = models.ForeignKey(LabTest, verbose_name=_("test"), on_delete=models.PROTECT,
                             related_name="+")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    corrects = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="corrected_by")
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=24)
    reference_low = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    reference_high = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    critical_low = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    critical_high = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    flag = models.CharField(_("flag"), max_length=16, choices=Flag.choices)
    sampled_at = models.DateTimeField(_("sampled at"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    correction_reason = models.CharField(_("reason for correction"), max_length=500,
                                         blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"),
                                   on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"),
                                    on_delete=models.PROTECT, related_name="+", null=True,
                                    blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["item", "version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="labresult_version_once"),
            # At most one version in the works per ordered test.
            models.UniqueConstraint(fields=["item"], condition=Q(released_at=None),
                                    name="labresult_one_draft"),
            models.CheckConstraint(condition=Q(flag__in=Flag.values), name="labresult_flag"),
            models.CheckConstraint(
                condition=Q(released_at=None) | Q(verified_by__isnull=False),
                name="labresult_released_is_verified"),
            models.CheckConstraint(
                condition=(Q(version=1) & Q(corrects=None))
                | (Q(version__gt=1) & Q(corrects__isnull=False) & ~Q(correction_reason="")),
                name="labresult_correction_has_reason"),
        ]
        indexes = [
            # A patient's history of one test, newest first (charts, timeline).
            models.Index(fields=["card", "test", "sampled_at"], name="labresult_card_test",
                         condition=Q(released_at__isnull=False)),
            models.Index(fields=["card", "released_at"], name="labresult_card_released",
                         condition=Q(released_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.test_id} v{self.version} = {self.value}"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def reference_text(self) -> str:
        places = self.test.decimal_places
        low, high = (None if limit is None else f"{limit:.{places}f}"
                     for limit in (self.reference_low, self.reference_high))
        if low is not None and high is not None:
            return f"{low} – {high}"
        if high is not None:
            return f"≤ {high}"
        if low is not None:
            return f"≥ {low}"
        return "—"

    @property
    def value_text(self) -> str:
        return f"{self.value:.{self.test.decimal_places}f}"
