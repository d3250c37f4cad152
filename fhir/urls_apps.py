"""A person's connected apps (fhir.consent): the apps they approved, and revoking one."""

from django.urls import path

from fhir import consent

app_name = "fhir_apps"

urlpatterns = [
    path("connected-apps/", consent.connected_apps, name="connected-apps"),
    path("connected-apps/<str:client_id>/revoke/", consent.revoke, name="revoke"),
]
