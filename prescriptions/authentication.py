"""Pharmacy systems authenticate with `Authorization: Api-Key <prefix>.<secret>`."""

from __future__ import annotations

import hmac

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from prescriptions.models import PharmacyApiKey
from prescriptions.services import hash_api_key, live_pharmacy_key

KEYWORD = "Api-Key"


class PharmacySystem:
    """The request's "user" when a pharmacy system calls: it acts for its pharmacy only."""

    is_authenticated = True
    is_anonymous = False
    role = "pharmacy_system"

    def __init__(self, key: PharmacyApiKey):
        self.key = key
        self.pharmacy = key.pharmacy

    def __str__(self) -> str:
        return f"{self.pharmacy.code} ({self.key.prefix})"


class PharmacyApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        keyword, _space, plain = header.partition(" ")
        if keyword != KEYWORD:
            return None
        prefix = plain.strip().partition(".")[0]
        key = live_pharmacy_key(prefix) if prefix else None
        if key is None or not hmac.compare_digest(key.hashed_key, hash_api_key(plain.strip())):
            raise exceptions.AuthenticationFailed(_("This API key is not valid or was revoked."))
        return PharmacySystem(key), key

    def authenticate_header(self, request):
        return KEYWORD


class PharmacyApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = PharmacyApiKeyAuthentication
    name = "pharmacyApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key <key>`: a pharmacy's key, created in the admin."}
