from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mch.models import (
    AefiOutcome,
    AefiSymptom,
    CalendarDose,
    Causality,
    DatingMethod,
    ExemptionKind,
    Outcome,
    RiskFactor,
    RiskLevel,
    Route,
    SeriousCriterion,
    Site,
    Vaccine,
)
from mch.services import BabyAtBirth, Measurements
from patients.models import Sex
from registry.models import Facility


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and sends ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput, **kwargs)


def _number(label, low, high, **kwargs):
    return forms.IntegerField(label=label, min_value=low, max_value=high, **kwargs)


class PregnancyForm(forms.Form):
    dating_method = forms.ChoiceField(label=_("dated by"), choices=DatingMethod.choices,
                                      widget=forms.RadioSelect, initial=DatingMethod.LMP)
    lmp = _date(_("first day of the last menstrual period"), required=False)
    scan_date = _date(_("scan date"), required=False)
    scan_weeks = _number(_("weeks at scan"), 4, 42, required=False)
    scan_days = _number(_("days at scan"), 0, 6, required=False)
    gravidity = _number(_("gravidity (this pregnancy included)"), 1, 30)
    parity = _number(_("parity (births before)"), 0, 29)
    risk_factors = forms.ModelMultipleChoiceField(
        label=_("risk factors"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=RiskFactor.objects.filter(is_active=True))

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class AntenatalVisitForm(forms.Form):
    visited_on = _date(_("date"), initial=timezone.localdate)
    systolic = _number(_("systolic pressure, mmHg"), 60, 250, required=False)
    diastolic = _number(_("diastolic pressure, mmHg"), 30, 160, required=False)
    weight_kg = forms.DecimalField(label=_("weight, kg"), min_value=30, max_value=250,
                                   decimal_places=1, required=False)
    fundal_height_cm = _number(_("fundal height, cm"), 5, 50, required=False)
    fetal_heart_rate = _number(_("fetal heart rate, per minute"), 60, 220, required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"visited_on": data["visited_on"], "measurements": Measurements(
            **{field: data[field] for field in ("systolic", "diastolic", "weight_kg",
                                                "fundal_height_cm", "fetal_heart_rate")})}


class OutcomeForm(forms.Form):
    BABY_FIELDS = ("sex", "weight_g", "length_cm", "apgar_1", "apgar_5")

    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    outcome_date = _date(_("date"), initial=timezone.localdate)
    facility = forms.CharField(label=_("facility code"), max_length=32,
                               help_text=_("Where it happened; yours if left as it is."))
    sex = forms.ChoiceField(label=_("baby's sex"), choices=[("", "—"), *Sex.choices],
                            required=False)
    weight_g = _number(_("weight, g"), 200, 7000, required=False)
    length_cm = forms.DecimalField(label=_("length, cm"), min_value=20, max_value=65,
                                   decimal_places=1, required=False)
    apgar_1 = _number(_("Apgar at 1 minute"), 0, 10, required=False)
    apgar_5 = _number(_("Apgar at 5 minutes"), 0, 10, required=False)

    def clean_facility(self):
        code = self.cleaned_data["facility"].strip().upper()
        facility = Facility.objects.filter(code=code, is_active=True).first()
        if facility is None:
            raise forms.ValidationError(_("No active facility has this code."))
        return facility

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.LIVE_BIRTH:
            for field in self.BABY_FIELDS:
                if data.get(field) in (None, "") and field not in self.errors:
                    self.add_error(field, _("A live birth needs this."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        newborns = [BabyAtBirth(**{field: data[field] for field in self.BABY_FIELDS})] \
            if data["outcome"] == Outcome.LIVE_BIRTH else []
        return {"outcome": data["outcome"], "outcome_date": data["outcome_date"],
                "facility": data["facility"], "newborns": newborns}


class DischargeForm(forms.Form):
    """The day a baby born in a maternity went home (one form per baby on the mother's
    pregnancy page)."""

    newborn = forms.CharField(widget=forms.HiddenInput, max_length=32)
    discharged_on = _date(_("discharged home on"), initial=timezone.localdate)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class DoseChoice(forms.ModelChoiceField):
    def label_from_instance(self, dose):
        return f"{dose.vaccine.name} — {dose.number}"


class VaccinationForm(forms.Form):
    dose = DoseChoice(label=_("vaccine and dose"),
                      queryset=CalendarDose.objects.select_related("vaccine"))
    lot_number = forms.CharField(label=_("lot number"), max_length=40)
    expiry_date = _date(_("expiry date"))
    site = forms.ChoiceField(label=_("site"), choices=Site.choices)
    route = forms.ChoiceField(label=_("route"), choices=Route.choices)
    given_on = _date(_("given on"), initial=timezone.localdate)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class ExemptionForm(forms.Form):
    vaccine = forms.ModelChoiceField(label=_("vaccine"), queryset=Vaccine.objects.all())
    kind = forms.ChoiceField(label=_("kind"), choices=ExemptionKind.choices)
    reason = forms.CharField(label=_("reason"), max_length=300)
    revisit_on = _date(_("revisit on"))

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class DistrictFilterForm(forms.Form):
    trimester = forms.TypedChoiceField(
        label=_("trimester"), required=False, coerce=int, empty_value=None,
        choices=[("", _("All")), (1, _("First")), (2, _("Second")), (3, _("Third"))])
    risk = forms.ChoiceField(label=_("risk group"), required=False,
                             choices=[("", _("All")), *RiskLevel.choices])
    overdue_only = forms.BooleanField(label=_("only with an overdue contact"), required=False)


class GrowthForm(forms.Form):
    measured_on = _date(_("measured on"), initial=timezone.localdate)
    weight_kg = forms.DecimalField(label=_("weight, kg"), min_value=Decimal("0.3"),
                                   max_value=150, decimal_places=2, required=False)
    length_cm = forms.DecimalField(label=_("length or height, cm"), min_value=20,
                                   max_value=220, decimal_places=1, required=False)
    head_circumference_cm = forms.DecimalField(label=_("head circumference, cm"),
                                               min_value=20, max_value=70, decimal_places=1,
                                               required=False)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class AdverseEventForm(forms.Form):
    # Which of the card's vaccinations: the page offers them (mch/immunisation.html).
    vaccination = forms.IntegerField(label=_("vaccination"), widget=forms.HiddenInput)
    onset_on = _date(_("onset date"), initial=timezone.localdate)
    onset_time = forms.TimeField(label=_("onset time"), required=False,
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    symptoms = forms.ModelMultipleChoiceField(
        label=_("symptoms"), widget=forms.CheckboxSelectMultiple,
        queryset=AefiSymptom.objects.filter(is_active=True))
    serious = forms.TypedChoiceField(
        label=_("seriousness"), widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[("no", _("Non-serious")), ("yes", _("Serious"))], initial="no")
    criteria = forms.MultipleChoiceField(label=_("seriousness criteria"), required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         choices=SeriousCriterion.choices)
    outcome = forms.ChoiceField(label=_("outcome"), choices=AefiOutcome.choices)
    description = forms.CharField(label=_("description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    reporter = forms.CharField(label=_("reported by (who told of it)"), max_length=200)

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class AefiFilterForm(forms.Form):
    serious = forms.TypedChoiceField(
        label=_("seriousness"), required=False, empty_value=None,
        coerce=lambda value: value == "yes",
        choices=[("", _("All")), ("yes", _("Serious")), ("no", _("Non-serious"))])
    vaccine = forms.ModelChoiceField(label=_("vaccine"), required=False,
                                     queryset=Vaccine.objects.all())
    date_from = _date(_("onset from"), required=False)
    date_to = _date(_("onset to"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end is before the start."))
        return data


class InvestigationForm(forms.Form):
    causality = forms.ChoiceField(label=_("causality (WHO)"),
                                  choices=[("", "—"), *Causality.choices])
    investigation = forms.CharField(label=_("investigation findings"),
                                    widget=forms.Textarea(attrs={"rows": 4}))
