"""Names in the portal's languages, shared by the registry's and the topics' models.

A module of its own so the topics' models (labs' test catalogue) use it without importing
clinics.models, which imports theirs to register them with the app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dmed.translit import in_language


class LocalizedNameMixin(models.Model):
    """Uzbek Latin, Russian and English names; Uzbek Cyrillic is transliterated."""

    name_uz = models.CharField(_("name (Uzbek)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language({"uz": self.name_uz, "ru": self.name_ru, "en": self.name_en})
