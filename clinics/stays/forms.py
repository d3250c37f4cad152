import re

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.coding.forms import diagnosis_field
from clinics.visits.models import DiagnosisKind


def bed_choices(beds) -> list[tuple[str, str]]:
    return [(str(bed.public_id), f"{bed.ward.department.name} · {_('ward')} {bed.ward.code} · "
                                 f"{_('bed')} {bed.code}") for bed in beds]


class AdmitForm(forms.Form):
    card = forms.CharField(label=_("MED-ID"), max_length=16,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "inputmode": "numeric"}))
    bed = forms.ChoiceField(label=_("bed"))
    admitting_diagnosis = diagnosis_field(_("admitting diagnosis (ICD-10)"))
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
    primary_diagnosis = diagnosis_field(_("final primary diagnosis (ICD-10)"), required=False)
    secondary_diagnoses = diagnosis_field(_("secondary diagnoses (ICD-10)"), required=False,
                                          many=True)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        diagnoses = []
        if data["primary_diagnosis"].strip():
            diagnoses.append({"code": data["primary_diagnosis"], "kind": DiagnosisKind.PRIMARY})
        diagnoses += [{"code": code, "kind": DiagnosisKind.SECONDARY}
                      for code in re.split(r"[\s,;]+", data["secondary_diagnoses"]) if code]
        return {"summary": data["summary"], "diagnoses": diagnoses}
