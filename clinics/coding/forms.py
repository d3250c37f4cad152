"""The diagnosis box that the ICD-10 autocomplete (clinics/visit-form.js) serves."""

from django import forms
from django.utils.translation import gettext_lazy as _

# The box is where the doctor types words to search ("hypertension", "gipertenziya") before
# picking a code, so it takes a whole title; the services refuse what is not a code.
DIAGNOSIS_INPUT_MAX_LENGTH = 300


def diagnosis_field(label, *, required: bool = True, many: bool = False,
                    **kwargs) -> forms.CharField:
    """A primary diagnosis box, or with `many` one that takes codes separated by commas."""
    attrs = {"data-icd10": "secondary" if many else "primary", "autocomplete": "off"}
    if not many:
        attrs["placeholder"] = _("code or words, e.g. I10 or gipertenziya")
    return forms.CharField(label=label, required=required,
                           max_length=DIAGNOSIS_INPUT_MAX_LENGTH,
                           widget=forms.TextInput(attrs=attrs), **kwargs)
