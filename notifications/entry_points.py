from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

NOTIFICATION_SETTINGS = EntryPoint(
    _("Notifications"), "notifications:preferences",
    _("Choose how DMED reaches you: Telegram, SMS or e-mail."))
