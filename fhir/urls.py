from django.urls import path, re_path

from fhir import views

app_name = "fhir"

# FHIR ids: [A-Za-z0-9\-\.]{1,64}.
_ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration,
         name="smart-configuration"),
    re_path(r"^Patient$", views.PatientView.as_view(), name="patient-search"),
    re_path(rf"^Patient/{_ID}$", views.PatientView.as_view(), name="patient"),
    re_path(r"^Organization$", views.OrganizationView.as_view(), name="organization-search"),
    re_path(rf"^Organization/{_ID}$", views.OrganizationView.as_view(), name="organization"),
    re_path(r"^Practitioner$", views.PractitionerView.as_view(), name="practitioner-search"),
    re_path(rf"^Practitioner/{_ID}$", views.PractitionerView.as_view(), name="practitioner"),
    re_path(r"^PractitionerRole$", views.PractitionerRoleView.as_view(),
            name="practitionerrole-search"),
    re_path(rf"^PractitionerRole/{_ID}$", views.PractitionerRoleView.as_view(),
            name="practitionerrole"),
    re_path(r"^Encounter$", views.EncounterView.as_view(), name="encounter-search"),
    re_path(rf"^Encounter/{_ID}$", views.EncounterView.as_view(), name="encounter"),
    re_path(r"^Condition$", views.ConditionView.as_view(), name="condition-search"),
    re_path(rf"^Condition/{_ID}$", views.ConditionView.as_view(), name="condition"),
    re_path(r"^Observation$", views.ObservationView.as_view(), name="observation-search"),
    re_path(rf"^Observation/{_ID}$", views.ObservationView.as_view(), name="observation"),
    re_path(r"^(?P<path>.*)$", views.NotServed.as_view(), name="not-served"),
]
