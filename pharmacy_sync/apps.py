from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PharmacySyncConfig(AppConfig):
    name = "pharmacy_sync"
    verbose_name = _("Pharmacy sync")
