"""FHIR clients are registered on django-oauth-toolkit's application page: the application
(client id, secret shown once before saving, the account it acts as) with, inline, the
facility it acts for and the scopes it may get."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from dmed.forms import attach_errors
from fhir.models import FhirClient, PersonApp
from fhir.scopes import person_app_scopes, registrable_scopes
from fhir.services import check_person_app, check_registration


class FhirClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in registrable_scopes()],
        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = FhirClient
        fields = ("facility", "scopes", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scopes"] = self.instance.scope_list()

    def clean_scopes(self):
        return " ".join(self.cleaned_data["scopes"])

    def clean(self):
        cleaned = super().clean()
        # The inline formset hands each form the application being saved (unsaved yet on
        # the add page) with the account and grant type the page sent.
        application = cleaned.get("application")
        if application is not None and "facility" in cleaned:
            try:
                check_registration(application=application, facility=cleaned["facility"])
            except ValidationError as error:
                attach_errors(self, error)
        return cleaned


class FhirClientInline(admin.StackedInline):
    model = FhirClient
    form = FhirClientForm
    can_delete = False
    autocomplete_fields = ("facility",)


class PersonAppForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in person_app_scopes()],
        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = PersonApp
        fields = ("scopes", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scopes"] = self.instance.scope_list()

    def clean_scopes(self):
        return " ".join(self.cleaned_data["scopes"])

    def clean(self):
        cleaned = super().clean()
        application = cleaned.get("application")
        if application is not None:
            try:
                check_person_app(application=application)
            except ValidationError as error:
                attach_errors(self, error)
        return cleaned


class PersonAppInline(admin.StackedInline):
    """An app acting for patients or clinicians: a public (or confidential) client with the
    authorization code grant, its https redirect URIs, and the scopes it may ask for."""

    model = PersonApp
    form = PersonAppForm
    can_delete = False


Application = get_application_model()
admin.site.unregister(Application)

# The toolkit names its models after their classes, in English whatever the reader's
# language; the admin that lists them speaks the reader's.
for model, one, many in (
        (Application, _("application"), _("applications")),
        (get_access_token_model(), _("access token"), _("access tokens")),
        (get_refresh_token_model(), _("refresh token"), _("refresh tokens")),
        (get_id_token_model(), _("ID token"), _("ID tokens")),
        (get_grant_model(), _("grant"), _("grants")),
        (get_device_grant_model(), _("device grant"), _("device grants"))):
    model._meta.verbose_name, model._meta.verbose_name_plural = one, many


@admin.register(Application)
class FhirApplicationAdmin(ApplicationAdmin):
    inlines = [FhirClientInline, PersonAppInline]
