from django import forms
from django.utils.translation import gettext_lazy as _

from patronage.models import Feeding, Reason


class HomeVisitForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    systolic = forms.IntegerField(label=_("systolic pressure, mmHg"), required=False,
                                  min_value=50, max_value=260)
    diastolic = forms.IntegerField(label=_("diastolic pressure, mmHg"), required=False,
                                   min_value=30, max_value=160)
    pulse = forms.IntegerField(label=_("pulse, per minute"), required=False, min_value=30,
                               max_value=220)
    temperature = forms.DecimalField(label=_("temperature, °C"), required=False,
                                     min_value=34, max_value=43, decimal_places=1)
    weight_kg = forms.DecimalField(label=_("weight, kg"), required=False, min_value=0.5,
                                   max_value=300, decimal_places=2)
    feeding = forms.ChoiceField(label=_("feeding"), required=False,
                                choices=[("", "—"), *Feeding.choices])
    warning_signs = forms.ModelMultipleChoiceField(
        label=_("warning signs"), required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple)
    advice = forms.CharField(label=_("advice given"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    notes = forms.CharField(label=_("notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args, reason: str, signs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warning_signs"].queryset = signs
        if reason != Reason.NEWBORN:
            del self.fields["feeding"]

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.setdefault("feeding", "")
        return data


class HandOverForm(forms.Form):
    nurse = forms.ModelChoiceField(label=_("Hand over to"), queryset=None)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nurse"].queryset = colleagues
