from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "fhir"
    verbose_name = _("FHIR interface")

    def ready(self):
        from fhir import signals  # noqa: F401
