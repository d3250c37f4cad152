"""E-prescriptions: the drug registry, prescriptions and their items, signing keys,
dispensings and pharmacy API keys. Invariants the database can hold live here."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dmed.translit import search_key

ATC_PATTERN = r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"


def drug_search_text(inn: str, trade_names: str) -> str:
    return " | ".join(search_key(name) for name in [inn, *trade_names.split(";")]
                      if name.strip())


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("tablet")
    FILM_COATED_TABLET = "film-coated tablet", _("film-coated tablet")
    MODIFIED_RELEASE_TABLET = "modified-release tablet", _("modified-release tablet")
    SUBLINGUAL_TABLET = "sublingual tablet", _("sublingual tablet")
    EFFERVESCENT_TABLET = "effervescent tablet", _("effervescent tablet")
    CAPSULE = "capsule", _("capsule")
    MODIFIED_RELEASE_CAPSULE = "modified-release capsule", _("modified-release capsule")
    SYRUP = "syrup", _("syrup")
    ORAL_SOLUTION = "oral solution", _("oral solution")
    ORAL_DROPS = "oral drops", _("oral drops")
    SOLUTION_FOR_INJECTION = "solution for injection", _("solution for injection")
    POWDER_FOR_INJECTION = "powder for injection", _("powder for injection")
    SOLUTION_FOR_INFUSION = "solution for infusion", _("solution for infusion")
    INHALER = "inhaler", _("inhaler")
    EYE_DROPS = "eye drops", _("eye drops")
    CREAM = "cream", _("cream")
    OINTMENT = "ointment", _("ointment")
    SUPPOSITORY = "suppository", _("suppository")
    TRANSDERMAL_PATCH = "transdermal patch", _("transdermal patch")


class ControlledClass(models.TextChoices):
    NONE = "none", _("not controlled")
    NARCOTIC = "narcotic", _("narcotic")
    PSYCHOTROPIC = "psychotropic", _("psychotropic")


class Drug(models.Model):
    """One medicine of the national registry: a substance in a form and strength."""

    atc_code = models.CharField(_("ATC code"), max_length=7, db_index=True)
    inn = models.CharField(_("international non-proprietary name"), max_length=200)
    trade_names = models.CharField(_("trade names"), max_length=500, blank=True,
                                   help_text=_("Separated by semicolons."))
    dosage_form = models.CharField(_("dosage form"), max_length=32, choices=DosageForm.choices)
    strength = models.CharField(_("strength"), max_length=64)
    prescription_only = models.BooleanField(_("prescription only"), default=True)
    controlled_class = models.CharField(_("controlled class"), max_length=16,
                                        choices=ControlledClass.choices,
                                        default=ControlledClass.NONE)
    reimbursable = models.BooleanField(_("reimbursable"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Script-folded INN and trade names (dmed.translit.search_key): what search reads, so
    # "амоксициллин" and "Flemoxin" both find amoxicillin.
    search_text = models.CharField(max_length=800, editable=False, default="",
                                   db_collation="C")

    class Meta:
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        ordering = ["inn", "dosage_form", "strength"]
        constraints = [
            models.UniqueConstraint(fields=["inn", "dosage_form", "strength"],
                                    name="drug_inn_form_strength_unique"),
            models.CheckConstraint(condition=Q(atc_code__regex=ATC_PATTERN),
                                   name="drug_atc_code_format"),
            models.CheckConstraint(condition=Q(controlled_class__in=ControlledClass.values),
                                   name="drug_controlled_class_known"),
            models.CheckConstraint(condition=Q(dosage_form__in=DosageForm.values),
                                   name="drug_dosage_form_known"),
        ]
        indexes = [
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="drug_search_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.inn} {self.strength}, {self.get_dosage_form_display()}"

    def save(self, *args, **kwargs):
        self.search_text = drug_search_text(self.inn, self.trade_names)
        super().save(*args, **kwargs)

    @property
    def is_controlled(self) -> bool:
        return self.controlled_class != ControlledClass.NONE

    @property
    def trade_name_list(self) -> list[str]:
        return [name.strip() for name in self.trade_names.split(";") if name.strip()]
