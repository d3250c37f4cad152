"""The tile a role home page shows, and the core's own tiles.

Apps define their tiles in their `entry_points.py` with EntryPoint; the role home pages
are composed above every app, in `home/pages.py`. The core knows no app, so nothing here
lists them.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EntryPoint:
    title: str | Promise
    url_name: str
    description: str | Promise


ACCOUNT = EntryPoint(_("Change password"), "password_change",
                     _("Set a new password for your account."))
API_DOCS = EntryPoint(_("API documentation"), "api-docs",
                      _("The interactive reference of the portal's API for integrations."))
ADMIN = EntryPoint(_("Administration"), "admin:index",
                   _("Registries, users and roles, the audit trail."))
