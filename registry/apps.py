from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Facilities and staff")

    def ready(self):
        from registry import signals  # noqa: F401 — staff search text follows renames
