"""The facility registry: regions and districts, facilities and their departments, and
who works where (staff records). Below the cards: care, prescriptions and queues build on it.

The tables keep the names they had when these models lived in `clinics`.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _

from dmed.roles import STAFF_ROLES, Role
from dmed.translit import search_key
from registry.naming import LocalizedNameMixin

TAX_ID_PATTERN = r"^[0-9]{9}$"
SHIF_CODE_PATTERN = r"^[A-Z]{3}[0-9]{6}$"

tax_id_validator = RegexValidator(TAX_ID_PATTERN, _("A tax ID (STIR) is 9 digits."))
shif_code_validator = RegexValidator(
    SHIF_CODE_PATTERN,
    _("A State Health Insurance Fund code is three capital letters and six digits, "
      "for example OAA000024."),
)


class Region(LocalizedNameMixin):
    """A top-level division: a viloyat, the Republic of Karakalpakstan, or Tashkent city."""

    code = models.CharField(_("SOATO code"), max_length=4, unique=True)
    ig_code = models.CharField(_("UZ Core code"), max_length=16, blank=True)

    class Meta:
        db_table = "clinics_region"
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]


class District(LocalizedNameMixin):
    """A tuman or a city of district rank."""

    code = models.CharField(_("SOATO code"), max_length=7, unique=True)
    ig_code = models.CharField(_("UZ Core code"), max_length=16, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="districts"
    )

    class Meta:
        db_table = "clinics_district"
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]


class FacilityKind(models.TextChoices):
    POLYCLINIC = "polyclinic", _("Polyclinic")
    HOSPITAL = "hospital", _("Hospital")
    FAMILY_DOCTOR_POINT = "family_doctor_point", _("Family doctor point")
    LABORATORY = "laboratory", _("Laboratory")
    PHARMACY = "pharmacy", _("Pharmacy")


class Facility(models.Model):
    """A connected organisation: the unit that staff work at and patients attach to."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", _("Use capital letters, digits and -."))],
        help_text=_("The portal's public identifier, used in addresses and the audit trail."),
    )
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=24, choices=FacilityKind.choices)
    tax_id = models.CharField(
        _("tax ID (STIR)"), max_length=9, validators=[tax_id_validator], db_index=True
    )
    shif_code = models.CharField(
        _("State Health Insurance Fund code"),
        max_length=9,
        blank=True,
        validators=[shif_code_validator],
        help_text=_("Only for facilities contracted by the Fund."),
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=300)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
    )
    language = models.CharField(
        _("display language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of public screens such as the queue board."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "clinics_facility"
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tax_id__regex=TAX_ID_PATTERN),
                                   name="facility_tax_id_9_digits"),
            models.CheckConstraint(
                condition=Q(shif_code="") | Q(shif_code__regex=SHIF_CODE_PATTERN),
                name="facility_shif_code_format",
            ),
            models.UniqueConstraint(
                fields=["shif_code"], condition=~Q(shif_code=""), name="facility_shif_code_unique"
            ),
            models.CheckConstraint(condition=Q(kind__in=FacilityKind.values),
                                   name="facility_kind_known"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")),
                                   name="facility_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        if self.district_id and self.region_id and self.district.region_id != self.region_id:
            raise ValidationError({"district": _("This district is not in the chosen region.")})


class Department(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)

    class Meta:
        db_table = "clinics_department"
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["facility", "name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="department_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.facility.name}"


class DateRangeFunc(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


class StaffRecord(models.Model):
    """A person's employment at a facility in one role, for a period.

    Identifiers are those of the national UZ Core FHIR guide: the HRM Argos professional
    ID for practitioners, the licence number for the right to practise.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="staff_records",
    )
    facility = models.ForeignKey(
        Facility, verbose_name=_("facility"), on_delete=models.PROTECT, related_name="staff"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES]
    )
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)
    argos_id = models.CharField(_("HRM Argos professional ID"), max_length=32, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    # Heads review what needs a senior's word (break-the-glass grants, attachment requests)
    # and are told when a critical result goes unacknowledged; the on-call list of a
    # facility is told too.
    is_head = models.BooleanField(
        _("head of department or facility"), default=False,
        help_text=_("Heads of the department, or of the facility when no department is set."),
    )
    on_call = models.BooleanField(
        _("on call"), default=False,
        help_text=_("On the facility's on-call list for escalated critical results."),
    )
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)
    # The person's name, the specialty and the facility's name folded by search_key, for
    # the referral form's specialist search (trigram index); set on save, and by
    # registry.signals when the person or the facility is renamed.
    search_text = models.CharField(max_length=600, editable=False, default="")

    class Meta:
        db_table = "clinics_staffrecord"
        verbose_name = _("staff record")
        verbose_name_plural = _("staff records")
        ordering = ["facility", "user"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="staff_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(role__in=STAFF_ROLES), name="staff_role_is_staff"
            ),
            # One person holds a role at a facility once at any time.
            ExclusionConstraint(
                name="staff_no_overlapping_periods",
                expressions=[
                    ("user", RangeOperators.EQUAL),
                    ("facility", RangeOperators.EQUAL),
                    ("role", RangeOperators.EQUAL),
                    (DateRangeFunc("active_from", "active_to", models.Value("[]")),
                     RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["user", "active_from"], name="staff_user_active"),
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="staff_search_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.facility.name}"

    def save(self, *args, **kwargs):
        self.search_text = self.folded_for_search()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def folded_for_search(self) -> str:
        return search_key(f"{self.user.full_name} {self.specialty} {self.facility.name}")
