from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.models import Priority


class PointChoiceField(forms.ModelChoiceField):
    # Staff choose among their own facility's points; a patient's choice may span
    # facilities (a referral elsewhere), so theirs names the facility too.
    show_facility = False

    def __init__(self, **kwargs):
        super().__init__(queryset=None, empty_label=None, to_field_name="public_id", **kwargs)

    def label_from_instance(self, point):
        label = f"{point.ticket_prefix} · {point.name}" + (f" ({point.room})" if point.room
                                                           else "")
        return f"{point.facility.name}: {label}" if self.show_facility else label


def patient_lookup(field: forms.Field) -> None:
    """The MED-ID field shows whose card it is as soon as it is typed (js/patient-name.js)."""
    field.widget.attrs.update({
        "data-patient-lookup": reverse("api-patient", args=["MEDID"]),
        "data-patient-missing": _("No card has this MED-ID, or it is not yours to see."),
        "inputmode": "numeric", "autocomplete": "off"})


class WalkInForm(forms.Form):
    service_point = PointChoiceField(label=_("service point"))
    med_id = forms.CharField(label=_("MED-ID"), max_length=16, required=False,
                             help_text=_("Leave empty for a ticket without a name."))
    priority = forms.TypedChoiceField(label=_("priority"), choices=Priority.choices,
                                      coerce=int, initial=Priority.NORMAL)

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = points
        patient_lookup(self.fields["med_id"])


class KioskForm(forms.Form):
    service_point = PointChoiceField(label=_("service point"))

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = points


class SlotSearchForm(forms.Form):
    """Where and when to look for a free slot (staff also say for whom)."""

    med_id = forms.CharField(label=_("MED-ID"), max_length=16, required=False)
    service_point = PointChoiceField(label=_("service point"))
    date = forms.DateField(label=_("date"), widget=forms.DateInput(format="%Y-%m-%d",
                                                                   attrs={"type": "date"}))

    def __init__(self, *args, points, for_staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_point"].queryset = points
        self.fields["date"].initial = timezone.localdate()
        if for_staff:
            self.fields["med_id"].required = True
            patient_lookup(self.fields["med_id"])
        else:
            del self.fields["med_id"]
            self.fields["service_point"].show_facility = True


class TransferForm(forms.Form):
    to = PointChoiceField(label=_("transfer to"))

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = points
