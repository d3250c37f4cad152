"""Who calls the FHIR interface: an OAuth 2.0 bearer token of a registered system client,
or of an app a person approved (fhir.grants).

The request's user is the client's account (a User, so every selector and the audit trail
treat it as they treat a person of that role and facility), or the person the app acts for;
`request.fhir_client` (None for a person's app) and `request.fhir_scopes` say which client
and which scopes the token carries.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

from dmed.recent import RecentAnswers
from fhir import grants
from fhir.models import FhirClient

# Reused for AUTH_CACHE_SECONDS (dmed/recent.py), as the REST API's tokens are: a token's
# row with its application and user (fhir.validators; its expiry and scopes are checked on
# every request), and a client's registration. This process forgets at once what it
# revokes, disables or deactivates (fhir/signals.py).
recent_tokens = RecentAnswers("fhir tokens")
recent_registrations = RecentAnswers("fhir registrations")


def _registration(application_id: int) -> FhirClient | None:
    return recent_registrations.get(application_id, lambda: (
        FhirClient.objects.select_related("application__user", "facility")
        .filter(application_id=application_id, is_active=True).first()))


class FhirClientAuthentication(OAuth2Authentication):
    www_authenticate_realm = "fhir"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        client = _registration(token.application_id)
        if client is None and token.user_id is not None \
                and grants.registration(token.application) is not None:
            if not user.is_active:
                raise exceptions.AuthenticationFailed(_("This account was disabled."))
            grants.name_app_in_the_trail(token.application)
            request.fhir_client = None
            request.fhir_scopes = token.scope.split()
            return user, token
        account = client.application.user if client is not None else None
        if account is None or not account.is_active:
            raise exceptions.AuthenticationFailed(
                _("This client is not registered for the FHIR interface or was disabled."))
        request.fhir_client = client
        request.fhir_scopes = token.scope.split()
        return account, token
