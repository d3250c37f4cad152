"""django-oauth-toolkit's request validator, with the FHIR registration in force: a client
whose registration is disabled (or missing) gets no token at all."""

import hashlib

from oauth2_provider.oauth2_validators import OAuth2Validator

from fhir.authentication import recent_tokens


class FhirClientValidator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        registration = getattr(client, "fhir_client", None)
        if registration is None or not registration.is_active:
            return False
        return super().validate_grant_type(client_id, grant_type, client, request, *args,
                                           **kwargs)

    def _load_access_token(self, token):
        checksum = hashlib.sha256(token.encode()).hexdigest()
        return recent_tokens.get(checksum, lambda: super(FhirClientValidator, self)
                                 ._load_access_token(token))
