from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.referrals.models import ReferralTarget, Urgency
from clinics.referrals.selectors import specialist_named
from registry.models import Department, Facility, FacilityKind


class DepartmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{department.name} — {department.facility.name}"


class ReferralForm(forms.Form):
    target = forms.ChoiceField(label=_("referred to"), choices=ReferralTarget.choices,
                               widget=forms.RadioSelect, initial=ReferralTarget.SPECIALIST)
    # A search, not a select: Tashkent alone has thousands of specialists.
    specialist = forms.CharField(
        label=_("specialist"), required=False, max_length=300,
        help_text=_("Type a name, a specialty or a facility and pick a suggestion."),
        widget=forms.TextInput(attrs={"list": "specialist-suggestions",
                                      "autocomplete": "off"}))
    to_department = DepartmentChoice(label=_("department"), required=False, queryset=None)
    to_facility = forms.ModelChoiceField(label=_("laboratory"), required=False, queryset=None)
    diagnosis_code = forms.CharField(label=_("ICD-10 diagnosis"), max_length=16,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    reason = forms.CharField(label=_("reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices,
                                initial=Urgency.ROUTINE)

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(facility__kind=FacilityKind.HOSPITAL,
                                                facility__is_active=True)
        if region is not None:
            departments = departments.filter(facility__region=region)
        self.fields["to_department"].queryset = departments.select_related("facility")
        laboratories = Facility.objects.filter(kind=FacilityKind.LABORATORY, is_active=True)
        if region is not None:
            laboratories = laboratories.filter(region=region)
        self.fields["to_facility"].queryset = laboratories

    def clean_specialist(self):
        choice = self.cleaned_data["specialist"].strip()
        if not choice:
            return None
        record = specialist_named(choice)
        if record is None:
            raise forms.ValidationError(_("Choose a specialist from the suggestions."))
        return record

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        specialist = data.get("specialist")
        return {"target": data["target"], "reason": data["reason"],
                "diagnosis_code": data["diagnosis_code"], "urgency": data["urgency"],
                "to_clinician": specialist.user if specialist else None,
                "to_department": data.get("to_department"),
                "to_facility": data.get("to_facility")}


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason for cancelling"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    reason = forms.CharField(label=_("reason for declining"), max_length=500, required=False)
