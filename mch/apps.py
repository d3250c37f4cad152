from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MchConfig(AppConfig):
    name = "mch"
    verbose_name = _("Mother and child")

    def ready(self):
        from mch import signals  # noqa: F401 — records follow a merged card
