"""The cards' tiles on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

FIND_PATIENT = EntryPoint(_("Find a patient"), "patients:search",
                          _("By MED-ID, PINFL, phone, birth date or name in either script."))
REGISTER_CARD = EntryPoint(_("Register a new card"), "patients:register",
                           _("A MED-ID card for a person who has none."))
MY_CARD = EntryPoint(_("My card"), "patients:my-card",
                     _("Your MED-ID, allergies and chronic conditions."))
MY_ACCESS_LOG = EntryPoint(_("Who opened my card"), "patients:my-access-log",
                           _("Every person who opened your card, when and why."))
