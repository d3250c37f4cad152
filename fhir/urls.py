from django.urls import path, re_path

from fhir import transactions, views
from fhir.capability import SERVED

app_name = "fhir"

# FHIR ids: [A-Za-z0-9\-\.]{1,64}.
_ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"


def _resource(view) -> list:
    """`<type>` searches and `<type>/<id>` reads (where the CapabilityStatement offers
    them), named `<type>-search` and `<type>`."""
    name, handler = view.resource_type.lower(), view.as_view()
    patterns = [re_path(rf"^{view.resource_type}$", handler, name=f"{name}-search")]
    if SERVED[view.resource_type].readable:
        patterns.append(re_path(rf"^{view.resource_type}/{_ID}$", handler, name=name))
    return patterns


urlpatterns = [
    path("", transactions.TransactionView.as_view(), name="transaction"),
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration,
         name="smart-configuration"),
    re_path(rf"^Patient/{_ID}/\$everything$", views.PatientEverything.as_view(),
            name="patient-everything"),
    *(pattern for view in views.RESOURCE_VIEWS for pattern in _resource(view)),
    re_path(r"^(?P<path>.*)$", views.NotServed.as_view(), name="not-served"),
]
