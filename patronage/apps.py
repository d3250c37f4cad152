from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatronageConfig(AppConfig):
    name = "patronage"
    verbose_name = _("Patronage (home visits)")

    def ready(self):
        from patronage import signals  # noqa: F401  (receivers)
