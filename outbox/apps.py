from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Event outbox")

    def ready(self):
        # Each app declares what it does with events in its own `consumers.py`.
        autodiscover_modules("consumers")
