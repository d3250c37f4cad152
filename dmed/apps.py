from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DmedConfig(AppConfig):
    name = "dmed"
    label = "dmed"
    verbose_name = _("Accounts and audit")

    def ready(self):
        from django.db.models.signals import post_migrate

        from dmed import signals  # noqa: F401  (connects the login audit receivers)
        from dmed.database_roles import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self)
