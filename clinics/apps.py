from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    name = "clinics"
    verbose_name = _("Clinical care")

    def ready(self):
        # Lab and referral records follow merged cards.
        from clinics.labs import signals as lab_signals  # noqa: F401
