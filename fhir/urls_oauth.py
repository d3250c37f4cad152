"""The OAuth 2.0 endpoints systems use: tokens by client credentials, and revocation.
Only these of django-oauth-toolkit's views are served (no authorization pages yet)."""

from django.urls import path
from oauth2_provider import views as oauth

app_name = "oauth2_provider"

urlpatterns = [
    path("token/", oauth.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
]
