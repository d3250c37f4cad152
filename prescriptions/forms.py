import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clinics.coding.forms import diagnosis_field
from prescriptions import qr
from prescriptions.codes import example_code
from prescriptions.models import Drug
from prescriptions.selectors import public_key, search_drugs
from prescriptions.services import MAX_ISSUES

DRUG_ID = re.compile(r"#(\d+)\s*$")


class ItemForm(forms.Form):
    drug = forms.CharField(label=_("Medicine"), max_length=300, widget=forms.TextInput(
        attrs={"list": "drug-suggestions", "autocomplete": "off",
               "placeholder": _("INN, trade name or ATC code")}))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000)
    dosage = forms.CharField(label=_("Dose"), max_length=100,
                             widget=forms.TextInput(attrs={"placeholder": _("1 tablet")}))
    frequency = forms.CharField(label=_("How often"), max_length=100, required=False,
                                widget=forms.TextInput(attrs={"placeholder": _("2 times a day")}))
    route = forms.CharField(label=_("Route"), max_length=60, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("by mouth")}))
    duration_days = forms.IntegerField(label=_("Days"), min_value=1, max_value=365,
                                       required=False)
    instructions = forms.CharField(label=_("Instructions for the patient"), max_length=500,
                                   required=False)

    def clean_drug(self):
        text = self.cleaned_data["drug"]
        match = DRUG_ID.search(text)
        if match:
            drug = Drug.objects.filter(pk=int(match.group(1)), is_active=True).first()
        else:
            found = list(search_drugs(text, limit=2))
            drug = found[0] if len(found) == 1 else None
        if drug is None:
            raise ValidationError(_("Choose a medicine from the suggestions."))
        return drug


class BaseItemFormSet(forms.BaseFormSet):
    def service_items(self) -> list[dict]:
        return [{**form.cleaned_data, "drug": form.cleaned_data["drug"].pk}
                for form in self.forms if form.cleaned_data]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseItemFormSet, extra=3, max_num=10,
                                    min_num=1, validate_min=True)


class PrescriptionForm(forms.Form):
    diagnosis = diagnosis_field(_("Diagnosis (ICD-10)"))
    repeats = forms.IntegerField(label=_("Issues (repeat prescription)"), min_value=1,
                                 max_value=MAX_ISSUES, initial=1,
                                 help_text=_("Up to six issues for a chronic condition."))
    interval_days = forms.IntegerField(label=_("Days between issues"), min_value=0,
                                       max_value=365, initial=0, required=False)
    acknowledge_allergies = forms.BooleanField(
        label=_("I have read the allergy warnings and still prescribe"), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PharmacyLookupForm(forms.Form):
    code = forms.CharField(label=_("Prescription code or QR"), max_length=2000,
                           widget=forms.TextInput(attrs={"autofocus": True,
                                                         "autocomplete": "off",
                                                         "placeholder": example_code()}))
    patient_check = forms.CharField(
        label=_("Patient check"), max_length=10,
        help_text=_("The last four digits of the PINFL, or the birth date (DD.MM.YYYY)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))

    def clean_code(self):
        # A QR scanner types the whole payload: DMEDRX2:<Base45>, or DMEDRX1:<code>:… from
        # issues signed before the compact QR.
        text = self.cleaned_data["code"].strip()
        if qr.looks_like_qr(text):
            try:
                return qr.read(text, public_key).code
            except qr.UnreadableQr as error:
                raise ValidationError(_("This QR is not a valid DMED prescription: it is "
                                        "damaged or its signature does not verify."),
                                      code="bad_qr") from error
        if text.upper().startswith("DMEDRX1:"):
            text = text.split(":")[1]
        return text


class RefuseForm(forms.Form):
    line = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why not dispensed"), max_length=300)
