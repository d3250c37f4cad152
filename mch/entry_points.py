"""Mother and child tiles for the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

DISTRICT = EntryPoint(_("My district"), "mch:district",
                      _("Children due or late for a vaccine; pregnant women by trimester "
                        "and risk."))
AEFI_LIST = EntryPoint(_("Adverse events following immunisation"), "mch:aefi-list",
                       _("Reports of your district to investigate, serious first."))
