from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = _("Facilities and staff")

    def ready(self):
        # Lab and referral records follow merged cards.
        from clinics.labs import signals  # noqa: F401
