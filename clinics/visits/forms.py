import re

from django import forms
from django.utils.translation import gettext_lazy as _

from clinics.coding.forms import diagnosis_field
from clinics.visits.models import DiagnosisKind

NUMBER = {"inputmode": "decimal", "autocomplete": "off", "class": "vital"}
TEXT_ROWS = {"rows": 3}


class VisitForm(forms.Form):
    """What the clinician types; the visit services check values and diagnoses.

    Vitals are plain text here so that "36,6" and "abc" reach the service, which answers
    every field in one message set, the same as the API's.
    """

    complaints = forms.CharField(label=_("complaints"), required=False,
                                 widget=forms.Textarea(attrs={**TEXT_ROWS, "autofocus": True}))
    history = forms.CharField(label=_("history of the illness"), required=False,
                              widget=forms.Textarea(attrs=TEXT_ROWS))
    bp_systolic = forms.CharField(label=_("BP systolic"), required=False,
                                  widget=forms.TextInput(attrs={**NUMBER,
                                                                "inputmode": "numeric"}))
    bp_diastolic = forms.CharField(label=_("BP diastolic"), required=False,
                                   widget=forms.TextInput(attrs={**NUMBER,
                                                                 "inputmode": "numeric"}))
    pulse = forms.CharField(label=_("pulse (/min)"), required=False,
                            widget=forms.TextInput(attrs={**NUMBER, "inputmode": "numeric"}))
    temperature = forms.CharField(label=_("temperature (°C)"), required=False,
                                  widget=forms.TextInput(attrs=NUMBER))
    spo2 = forms.CharField(label=_("SpO2 (%)"), required=False,
                           widget=forms.TextInput(attrs={**NUMBER, "inputmode": "numeric"}))
    weight = forms.CharField(label=_("weight (kg)"), required=False,
                             widget=forms.TextInput(attrs=NUMBER))
    height = forms.CharField(label=_("height (cm)"), required=False,
                             widget=forms.TextInput(attrs=NUMBER))
    examination = forms.CharField(label=_("examination"), required=False,
                                  widget=forms.Textarea(attrs=TEXT_ROWS))
    primary_diagnosis = diagnosis_field(_("primary diagnosis (ICD-10)"), required=False)
    secondary_diagnoses = diagnosis_field(_("secondary diagnoses (ICD-10)"), required=False,
                                          many=True, help_text=_("Codes separated by commas."))
    plan = forms.CharField(label=_("plan"), required=False,
                           widget=forms.Textarea(attrs=TEXT_ROWS))
    recommendations = forms.CharField(label=_("recommendations"), required=False,
                                      widget=forms.Textarea(attrs=TEXT_ROWS))

    NARRATIVE = ("complaints", "history", "examination", "plan", "recommendations")
    VITALS = ("bp_systolic", "bp_diastolic", "pulse", "temperature", "spo2", "weight",
              "height")

    @classmethod
    def initial_for(cls, visit) -> dict:
        initial = {name: getattr(visit, name) for name in (*cls.NARRATIVE, *cls.VITALS)}
        diagnoses = list(visit.diagnoses.all())
        initial["primary_diagnosis"] = next(
            (d.code_id for d in diagnoses if d.kind == DiagnosisKind.PRIMARY), "")
        initial["secondary_diagnoses"] = ", ".join(
            d.code_id for d in diagnoses if d.kind == DiagnosisKind.SECONDARY)
        return initial

    def service_arguments(self, *, with_diagnoses: bool) -> dict:
        data = self.cleaned_data
        arguments = {name: data[name] for name in (*self.NARRATIVE, *self.VITALS)}
        if with_diagnoses:
            diagnoses = []
            if data["primary_diagnosis"].strip():
                diagnoses.append({"code": data["primary_diagnosis"],
                                  "kind": DiagnosisKind.PRIMARY})
            diagnoses += [{"code": code, "kind": DiagnosisKind.SECONDARY}
                          for code in re.split(r"[\s,;]+", data["secondary_diagnoses"])
                          if code]
            arguments["diagnoses"] = diagnoses
        return arguments


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("addendum"), max_length=10_000,
                           widget=forms.Textarea(attrs={"rows": 3}))
