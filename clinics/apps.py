from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = _("Facilities and staff")

    def ready(self):
        # Lab and referral records follow merged cards.
        from clinics import signals  # noqa: F401 — staff search text follows renames
        from clinics.labs import signals as lab_signals  # noqa: F401
