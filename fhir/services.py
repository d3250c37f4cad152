"""Writes of the FHIR interface: registering a client or a person's app (the admin and the
demo use them)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model

from dmed.roles import Role
from fhir.models import FhirClient, PersonApp
from registry.selectors import active_staff_records


def check_registration(*, application, facility) -> None:
    """Refuse a registration the interface could not honour, per field."""
    errors = {}
    Application = get_application_model()
    account = application.user
    if application.authorization_grant_type != Application.GRANT_CLIENT_CREDENTIALS \
            or application.client_type != Application.CLIENT_CONFIDENTIAL:
        errors["application"] = _("A FHIR system client is a confidential client with the "
                                  "client-credentials grant.")
    if account is None:
        errors["application"] = _("Choose the account the system acts as (the application's "
                                  "user).")
    elif facility is None:
        if account.role not in (Role.ADMINISTRATOR, Role.NATIONAL_PLATFORM):
            errors["facility"] = _("Choose the facility the system acts for.")
    elif facility.pk not in (works_at := {r.facility_id for r in active_staff_records(account)}):
        errors["facility"] = _("The system's account has no active staff record at this "
                               "facility.")
    elif works_at != {facility.pk}:
        # A system acts for one facility; its account must not reach another's patients.
        errors["facility"] = _("The system's account works at other facilities too.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def register_client(*, name: str, account, facility, scopes: list[str], client_secret: str,
                    client_id: str) -> FhirClient:
    """Create (or update, by client id) a confidential client-credentials client."""
    Application = get_application_model()
    application = (Application.objects.filter(client_id=client_id).first()
                   or Application(client_id=client_id))
    application.name = name
    application.user = account
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_CLIENT_CREDENTIALS
    application.client_secret = client_secret
    scope_text = " ".join(scopes)
    check_registration(application=application, facility=facility)
    application.full_clean()
    application.save()
    client, _created = FhirClient.objects.update_or_create(
        application=application,
        defaults={"facility": facility, "scopes": scope_text, "is_active": True})
    client.full_clean()
    return client


def check_person_app(*, application) -> None:
    """Refuse an app for persons the authorization endpoint could not serve, per field."""
    Application = get_application_model()
    errors = {}
    if application.authorization_grant_type != Application.GRANT_AUTHORIZATION_CODE:
        errors["authorization_grant_type"] = _("An app acting for a person uses the "
                                               "authorization code grant (with PKCE).")
    if not application.redirect_uris.split():
        errors["redirect_uris"] = _("Give the app's redirect URIs (https).")
    if application.skip_authorization:
        errors["skip_authorization"] = _("Every person approves an app on the consent "
                                         "screen: it cannot be skipped.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def register_person_app(*, name: str, client_id: str, redirect_uris: list[str],
                        scopes: list[str]) -> PersonApp:
    """Create (or update, by client id) a public authorization-code client acting for
    the persons who approve it."""
    Application = get_application_model()
    application = (Application.objects.filter(client_id=client_id).first()
                   or Application(client_id=client_id))
    application.name = name
    application.client_type = Application.CLIENT_PUBLIC
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.redirect_uris = " ".join(redirect_uris)
    application.client_secret = ""
    check_person_app(application=application)
    application.full_clean()
    application.save()
    app, _created = PersonApp.objects.update_or_create(
        application=application, defaults={"scopes": " ".join(scopes), "is_active": True})
    app.full_clean()
    return app
