from django import forms
from django.utils.translation import gettext_lazy as _


class ChannelsForm(forms.Form):
    telegram = forms.BooleanField(label="Telegram", required=False)
    sms = forms.BooleanField(label=_("SMS to my phone"), required=False)
    email = forms.BooleanField(label=_("E-mail"), required=False)
