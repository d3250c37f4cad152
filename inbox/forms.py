from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import FollowUp


class AcknowledgeForm(forms.Form):
    follow_up = forms.ChoiceField(label=_("follow-up"), choices=FollowUp.choices,
                                  initial=FollowUp.NONE)
    comment = forms.CharField(label=_("comment"), max_length=500, required=False)
