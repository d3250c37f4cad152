from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The role home pages: the one place above every app, so it may import them all."""

    name = "home"
    label = "home"
    verbose_name = _("Home pages")
