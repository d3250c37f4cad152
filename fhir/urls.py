from django.urls import path, re_path

from fhir import export_views, transactions, views
from fhir.capability import SERVED

app_name = "fhir"

# FHIR ids: [A-Za-z0-9\-\.]{1,64}.
_ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"


def _resource(view) -> list:
    """`<type>` searches and `<type>/<id>` reads (where the CapabilityStatement offers
    them), named `<type>-search` and `<type>`."""
    name, handler = view.resource_type.lower(), view.as_view()
    served, patterns = SERVED[view.resource_type], []
    if served.searchable:
        patterns.append(re_path(rf"^{view.resource_type}$", handler, name=f"{name}-search"))
    if served.readable:
        patterns.append(re_path(rf"^{view.resource_type}/{_ID}$", handler, name=name))
    return patterns


urlpatterns = [
    path("", transactions.TransactionView.as_view(), name="transaction"),
    path("metadata", views.Metadata.as_view(), name="metadata"),
    path(".well-known/smart-configuration", views.smart_configuration,
         name="smart-configuration"),
    re_path(r"^\$export$", export_views.ExportKickOff.as_view(), name="export"),
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-\.]{1,64})/\$export$",
            export_views.ExportKickOff.as_view(), name="group-export"),
    re_path(r"^\$export-status/(?P<job_id>[0-9a-f-]{36})$",
            export_views.ExportStatusView.as_view(), name="export-status"),
    re_path(r"^\$export-file/(?P<job_id>[0-9a-f-]{36})/(?P<name>[A-Za-z]+-[0-9]+\.ndjson)$",
            export_views.ExportFile.as_view(), name="export-file"),
    re_path(rf"^Patient/{_ID}/\$everything$", views.PatientEverything.as_view(),
            name="patient-everything"),
    *(pattern for view in views.RESOURCE_VIEWS for pattern in _resource(view)),
    re_path(r"^(?P<path>.*)$", views.NotServed.as_view(), name="not-served"),
]
