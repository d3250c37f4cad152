"""The OAuth 2.0 endpoints: tokens (client credentials for systems, the authorization code
with PKCE for apps acting for a person), revocation, and the authorization endpoint with
its consent screen (fhir.consent). Only these of django-oauth-toolkit's views are served."""

from django.urls import path
from oauth2_provider import views as oauth

from fhir.consent import ConsentView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", oauth.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
]
