from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.access import ATTACHING_KINDS
from patients.identifiers import DocumentKind, parse_pinfl
from patients.models import (
    AllergenKind,
    AttachmentGround,
    BloodGroup,
    ConditionStatus,
    GrantReview,
    Severity,
    Sex,
    Verification,
)
from registry.models import District, Facility, Region

# A browser's date input reads and writes ISO dates only, whatever the page's language.
ISO_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DistrictSelect(forms.Select):
    """Districts, each option marked with its region, so that choosing a region narrows the
    list in the browser (portal.js, data-narrows) without asking the server again."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "instance", None) is not None:
            option["attrs"]["data-region"] = str(value.instance.region_id)
        return option


class RegisterCardForm(forms.Form):
    """What a registrar types; the registration service checks the rules."""

    last_name = forms.CharField(label=_("last name"), max_length=100)
    first_name = forms.CharField(label=_("first name"), max_length=100)
    middle_name = forms.CharField(label=_("patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("birth date"),
                                 widget=ISO_DATE)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, widget=forms.RadioSelect)
    pinfl = forms.CharField(label=_("PINFL"), max_length=14, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    phone = forms.CharField(label=_("phone"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"type": "tel",
                                                          "placeholder": "+998 90 123 45 67"}))
    document_kind = forms.ChoiceField(label=_("document"), required=False,
                                      choices=[("", "—"), *DocumentKind.choices])
    document_number = forms.CharField(label=_("series and number"), max_length=20,
                                      required=False)
    document_country = forms.CharField(label=_("issuing country"), max_length=2,
                                       required=False)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(),
                                    required=False,
                                    widget=forms.Select(attrs={"data-narrows": "id_district"}))
    district = forms.ModelChoiceField(label=_("district"), queryset=District.objects.all(),
                                      required=False, widget=DistrictSelect)
    street = forms.CharField(label=_("street and house"), max_length=200, required=False)
    blood_group = forms.ChoiceField(label=_("blood group"), required=False,
                                    choices=[("", "—"), *BloodGroup.choices])
    emergency_contact_name = forms.CharField(label=_("emergency contact"), max_length=200,
                                             required=False)
    emergency_contact_phone = forms.CharField(label=_("emergency contact phone"),
                                              max_length=32, required=False)
    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked the cards above: this is a different person."), required=False)

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        kind, number = data.pop("document_kind"), data.pop("document_number")
        country = data.pop("document_country")
        data["documents"] = [{"kind": kind, "number": number, "country": country}] if kind else []
        return {key: value for key, value in data.items() if value not in (None, "")} | {
            "documents": data["documents"],
            "confirm_not_duplicate": data["confirm_not_duplicate"],
        }


class PinflLookupForm(forms.Form):
    """Registration's first step: the PINFL, looked up among existing cards before anything
    else is typed, or the statement that the person has none (a newborn, a foreigner)."""

    pinfl = forms.CharField(label=_("PINFL"), max_length=14, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                          "autofocus": True}))
    no_pinfl = forms.BooleanField(label=_("The person has no PINFL (a newborn, a foreigner)"),
                                  required=False)

    def clean_pinfl(self):
        pinfl = self.cleaned_data["pinfl"].strip()
        if pinfl:
            self.facts = parse_pinfl(pinfl)  # raises the reasons a PINFL is not valid
        return pinfl

    def clean(self):
        data = super().clean()
        if not data.get("pinfl") and not data.get("no_pinfl") and "pinfl" not in self.errors:
            self.add_error("pinfl", _("Type the PINFL, or say the person has none."))
        return data

    def card_initial(self) -> dict:
        """What the PINFL already says, to fill the registration form with."""
        pinfl = self.cleaned_data["pinfl"]
        if not pinfl:
            return {}
        return {"pinfl": pinfl, "birth_date": self.facts.birth_date, "sex": self.facts.sex}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Find a patient"), max_length=200, required=False)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)


class BreakGlassForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need this card?"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class AllergyForm(forms.Form):
    """An allergy as a clinician types it; patients.services names and checks it."""

    kind = forms.ChoiceField(label=_("kind of allergen"), choices=AllergenKind.choices,
                             initial=AllergenKind.DRUG)
    substance = forms.CharField(
        label=_("substance"), max_length=200,
        widget=forms.TextInput(attrs={"list": "allergen-suggestions", "autocomplete": "off",
                                      "placeholder": _("INN, group (e.g. penicillins) or "
                                                       "allergen")}))
    reaction = forms.CharField(label=_("reaction"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("severity"), choices=Severity.choices)
    verification = forms.ChoiceField(label=_("verification"), choices=Verification.choices,
                                     initial=Verification.SUSPECTED)

    @classmethod
    def initial_for(cls, allergy) -> dict:
        return {name: getattr(allergy, name) for name in cls.base_fields}


class EndAllergyForm(forms.Form):
    end_reason = forms.CharField(
        label=_("why it no longer applies"), max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. recorded in error, tolerated "
                                                       "since")}))


class ConditionForm(forms.Form):
    icd10_code = forms.CharField(
        label=_("ICD-10 code"), max_length=8,
        widget=forms.TextInput(attrs={"data-icd10": "primary", "autocomplete": "off",
                                      "placeholder": _("code or words, e.g. E11.9")}))
    text = forms.CharField(label=_("condition"), max_length=300, required=False,
                           help_text=_("Left empty, the catalogue's title is used."))
    since = forms.DateField(label=_("onset"), required=False,
                            widget=ISO_DATE)
    status = forms.ChoiceField(label=_("status"), choices=ConditionStatus.choices,
                               initial=ConditionStatus.ACTIVE)

    @classmethod
    def initial_for(cls, condition) -> dict:
        return {name: getattr(condition, name) for name in cls.base_fields}


class GrantReviewForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=[
        (GrantReview.JUSTIFIED, GrantReview.JUSTIFIED.label),
        (GrantReview.REFERRED, GrantReview.REFERRED.label)])
    note = forms.CharField(label=_("note for the patient and the record"), required=False,
                           max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AttachmentRequestForm(forms.Form):
    """A person's application to be attached to a polyclinic, as the registrar takes it at
    the desk (for their own polyclinic) or the person sends it (choosing the polyclinic)."""

    ground = forms.ChoiceField(label=_("ground"), choices=AttachmentGround.choices,
                               initial=AttachmentGround.OWN_CHOICE, widget=forms.RadioSelect)
    new_address = forms.CharField(label=_("new address (after a move)"), max_length=200,
                                  required=False)
    applied_on = forms.DateField(label=_("application date"), initial=timezone.localdate,
                                 widget=ISO_DATE)

    def __init__(self, *args, choose_facility: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_facility:
            self.fields["facility"] = forms.ModelChoiceField(
                label=_("polyclinic"), queryset=Facility.objects.filter(
                    kind__in=ATTACHING_KINDS).order_by("name"))


class AttachmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=[
        ("accept", _("Accept: attach the card here")), ("decline", _("Decline"))],
        widget=forms.RadioSelect)
    family_doctor = forms.ChoiceField(label=_("family doctor"), required=False)
    note = forms.CharField(label=_("reason (required to decline)"), max_length=500,
                           required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, doctors=(), **kwargs):
        """`doctors`: the polyclinic's clinicians, read once for every form on the page."""
        super().__init__(*args, **kwargs)
        self.doctors = {str(doctor.pk): doctor for doctor in doctors}
        self.fields["family_doctor"].choices = [("", "—")] + [
            (pk, doctor.full_name or doctor.username) for pk, doctor in self.doctors.items()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"accept": data["decision"] == "accept", "note": data["note"],
                "family_doctor": self.doctors.get(data["family_doctor"])}
