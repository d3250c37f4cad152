"""django-oauth-toolkit's request validator, with the FHIR registrations in force: a system
client whose registration is disabled (or missing) gets no token at all, nor does a person's
app; a person's app gets the authorization code grant only (and refreshing its tokens), and
a patient's token carries its SMART launch context (`patient`)."""

import hashlib

from oauth2_provider.models import AbstractApplication
from oauth2_provider.oauth2_validators import OAuth2Validator

from fhir import grants
from fhir.authentication import recent_tokens

# The grant types an app acting for a person may use (PKCE is required for every client).
PERSON_APP_GRANTS = ("authorization_code", "refresh_token")


class FhirClientValidator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        registration = getattr(client, "fhir_client", None)
        if registration is None:
            if grants.registration(client) is None or grant_type not in PERSON_APP_GRANTS:
                return False
        elif not registration.is_active:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args,
                                           **kwargs)

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode()).hexdigest()
        return recent_tokens.get(checksum, lambda: super(FhirClientValidator, self)
                                 ._load_access_token(token))

    def validate_response_type(self, client_id, response_type, client, request, *args,
                               **kwargs):
        return (response_type == "code" and grants.registration(client) is not None
                and client.allows_grant_type(AbstractApplication.GRANT_AUTHORIZATION_CODE))

    def save_bearer_token(self, token, request, *args, **kwargs):
        super().save_bearer_token(token, request, *args, **kwargs)
        # The token response is this dict: SMART's launch context rides in it.
        user = getattr(request, "user", None)
        if user is not None and any(scope.startswith(f"{grants.PATIENT_CONTEXT}/")
                                    for scope in request.scopes):
            patient = grants.launch_patient(user)
            if patient is not None:
                token["patient"] = patient
