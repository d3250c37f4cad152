"""Referral tiles on the role home pages (composed in home/pages.py)."""

from django.utils.translation import gettext_lazy as _

from dmed.home import EntryPoint

INCOMING_REFERRALS = EntryPoint(_("Incoming referrals"), "referrals:incoming",
                                _("Patients referred to you, your department or laboratory."))
