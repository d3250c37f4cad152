from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HomeVisit(models.Model):
    """When a person last opened their home page: what is new is what came after it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    seen_at = models.DateTimeField(_("last opened"))

    class Meta:
        verbose_name = _("home page visit")
        verbose_name_plural = _("home page visits")

    def __str__(self) -> str:
        return f"{self.user_id} {self.seen_at:%Y-%m-%d %H:%M}"
