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


def _decimal_comma(data, key):
    """A decimal comma is what people type here; the fields read both."""
    if data is not None and key in data:
        data = data.copy()
        data[key] = data[key].replace(",", ".").strip()
    return data


class CorrectionForm(forms.Form):
    """A new value for a released result, with the reason (the old version stays)."""

    value = forms.DecimalField(label=_("value"), max_digits=12, decimal_places=4,
                               widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                             "autocomplete": "off"}))
    comment = forms.CharField(label=_("comment"), max_length=500, required=False)
    reason = forms.CharField(label=_("reason for correction"), max_length=500)

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        data = _decimal_comma(data, f"{prefix}-value" if prefix else "value")
        super().__init__(data, *args, prefix=prefix, **kwargs)


class OrderResultsForm(forms.Form):
    """Every test of an order still to be released, in one form with one save: a value
    (empty: not done yet) and a comment per test, one sampling time. A value that fails
    keeps the others as typed; its field says why."""

    sampled_at = forms.DateTimeField(
        label=_("sampled at"), initial=_now_local,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, data=None, *, items, **kwargs):
        for item in items:
            data = _decimal_comma(data, f"{item.test.code}-value")
        super().__init__(data, **kwargs)
        self.items, self.codes = list(items), []
        initial_sampled = None
        for item in items:
            code = item.test.code
            draft = item.latest_result
            self.codes.append(code)
            self.fields[f"{code}-value"] = forms.DecimalField(
                label=item.test.name, max_digits=12, decimal_places=4, required=False,
                initial=draft.value_text if draft else None,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
            self.fields[f"{code}-comment"] = forms.CharField(
                label=_("comment"), max_length=500, required=False,
                initial=draft.comment if draft else "")
            if draft is not None and initial_sampled is None:
                initial_sampled = timezone.localtime(draft.sampled_at).strftime(
                    "%Y-%m-%dT%H:%M")
        if initial_sampled:
            self.fields["sampled_at"].initial = initial_sampled

    def rows(self):
        """(ordered test, value field, comment field) per test, for the template."""
        return [(item, self[f"{item.test.code}-value"], self[f"{item.test.code}-comment"])
                for item in self.items]

    def values(self) -> dict:
        return {code: (self.cleaned_data[f"{code}-value"], self.cleaned_data[f"{code}-comment"])
                for code in self.codes if self.cleaned_data.get(f"{code}-value") is not None}
