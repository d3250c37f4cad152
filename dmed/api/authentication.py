"""People's API requests authenticate with `Authorization: Token <key>` (dmed.api.tokens)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from dmed.api import tokens

KEYWORD = "Token"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """A token from POST /api/v1/auth/token/; refused (401) once it has ended."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as `Authorization: Token <key>`."))
        try:
            key = header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from error
        token = tokens.live_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_(
                "This token is not valid or has ended (expired, signed out or the password "
                "changed). Sign in again."))
        return token.user, token

    def authenticate_header(self, request):
        return KEYWORD


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <key>`: from POST /api/v1/auth/token/; it ends after "
                               "an idle and an absolute limit, on logout and on a password "
                               "change."}
