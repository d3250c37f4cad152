"""The laboratory's tiles on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

LAB_WORKLIST = EntryPoint(_("Laboratory worklist"), "labs:worklist",
                          _("Open orders of your laboratory: enter, verify and release results."))
MY_RESULTS = EntryPoint(_("My lab results"), "labs:my-results",
                        _("Released results with reference ranges, history and a PDF."))
