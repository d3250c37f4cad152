from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DmedConfig(AppConfig):
    name = "dmed"
    label = "dmed"
    verbose_name = _("Accounts and audit")

    def ready(self):
        from dmed import signals  # noqa: F401  (connects the login audit receivers)
