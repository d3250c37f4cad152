"""Patronage tiles for the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

ROUTE = EntryPoint(_("My home visits"), "patronage:route",
                   _("Today's home visits in walking order, recorded at the door."))
