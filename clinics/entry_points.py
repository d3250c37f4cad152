"""The clinics app's tiles on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

VISITS = EntryPoint(_("Visits"), "clinics:visits",
                    _("Open and recent visits at your facility."))
WARDS = EntryPoint(_("Wards and stays"), "clinics:wards",
                   _("Bed occupancy by department, admissions, transfers and discharges."))
