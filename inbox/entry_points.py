"""The results inbox's tile on the clinicians' and nurses' home pages (home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

RESULTS_INBOX = EntryPoint(_("Results inbox"), "inbox:inbox",
                           _("Results, referral answers and refusals to acknowledge; "
                             "critical values first."))
