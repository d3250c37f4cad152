from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    # The package is `queues` so it does not hide Python's standard `queue` module;
    # the label keeps tables, URLs and the admin section reading "queue".
    name = "queues"
    label = "queue"
    verbose_name = _("Queues")

    def ready(self):
        from queues import signals  # noqa: F401 — connects the card merge and referral receivers
