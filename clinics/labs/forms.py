from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinics.labs.models import LabTest, OrderPriority
from registry.models import Facility, FacilityKind


class LabOrderForm(forms.Form):
    laboratory = forms.ModelChoiceField(
        label=_("laboratory"),
        queryset=Facility.objects.filter(kind=FacilityKind.LABORATORY, is_active=True))
    tests = forms.ModelMultipleChoiceField(
        label=_("tests"), queryset=LabTest.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple, to_field_name="code")
    priority = forms.ChoiceField(label=_("priority"), choices=OrderPriority.choices,
                                 initial=OrderPriority.ROUTINE)
    clinical_note = forms.CharField(label=_("clinical note"), max_length=500, required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    visit = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, suggested_tests=(), **kwargs):
        super().__init__(*args, **kwargs)
        if suggested_tests:
            self.fields["tests"].initial = list(suggested_tests)
        laboratories = self.fields["laboratory"].queryset
        if laboratories.count() == 1:
            self.fields["laboratory"].initial = laboratories.first()


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


class ResultForm(forms.Form):
    test_code = forms.CharField(widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("value"), max_digits=12, decimal_places=4,
                               widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                             "autocomplete": "off"}))
    sampled_at = forms.DateTimeField(
        label=_("sampled at"), initial=_now_local,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    comment = forms.CharField(label=_("comment"), max_length=500, required=False)

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        # A decimal comma is what people type here; the field reads both.
        key = f"{prefix}-value" if prefix else "value"
        if data is not None and key in data:
            data = data.copy()
            data[key] = data[key].replace(",", ".").strip()
        super().__init__(data, *args, prefix=prefix, **kwargs)


class CorrectionForm(ResultForm):
    test_code = None
    sampled_at = None
    reason = forms.CharField(label=_("reason for correction"), max_length=500)
