"""The prescription pages on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

MY_PRESCRIPTIONS = EntryPoint(_("My prescriptions"), "prescriptions:mine",
                              _("Your e-prescriptions with their QR codes and what is left."))
DISPENSE = EntryPoint(_("Dispense a prescription"), "prescriptions:pharmacy",
                      _("Type or scan the code, check the patient, dispense all or part."))
