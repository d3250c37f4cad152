import re

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.visits.models import DiagnosisKind

ICD10_INPUT = {"data-icd10": "primary", "autocomplete": "off"}


def bed_choices(beds) -> list[tuple[str, str]]:
    return [(str(bed.public_id), f"{bed.ward.department.name} · {_('ward')} {bed.ward.code} · "
                                 f"{_('bed')} {bed.code}") for bed in beds]


class AdmitForm(forms.Form):
    card = forms.CharField(label=_("MED-ID"), max_length=16,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "inputmode": "numeric"}))
    bed = forms.ChoiceField(label=_("bed"))
    admitting_diagnosis = forms.CharField(label=_("admitting diagnosis (ICD-10)"), max_length=7,
                                          widget=forms.TextInput(attrs=ICD10_INPUT))
    note = forms.CharField(label=_("admission note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, beds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].choices = bed_choices(beds)


class TransferForm(forms.Form):
    bed = forms.ChoiceField(label=_("move to bed"))
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)

    def __init__(self, *args, beds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bed"].choices = bed_choices(beds)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("daily note"), widget=forms.Textarea(attrs={"rows": 3}))


class DischargeForm(forms.Form):
    summary = forms.CharField(label=_("discharge summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))
    primary_diagnosis = forms.CharField(label=_("final primary diagnosis (ICD-10)"),
                                        max_length=7, required=False,
                                        widget=forms.TextInput(attrs=ICD10_INPUT))
    secondary_diagnoses = forms.CharField(
        label=_("secondary diagnoses (ICD-10)"), required=False, max_length=120,
        widget=forms.TextInput(attrs={"data-icd10": "secondary", "autocomplete": "off"}))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        diagnoses = []
        if data["primary_diagnosis"].strip():
            diagnoses.append({"code": data["primary_diagnosis"], "kind": DiagnosisKind.PRIMARY})
        diagnoses += [{"code": code, "kind": DiagnosisKind.SECONDARY}
                      for code in re.split(r"[\s,;]+", data["secondary_diagnoses"]) if code]
        return {"summary": data["summary"], "diagnoses": diagnoses}
