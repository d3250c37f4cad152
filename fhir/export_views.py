"""FHIR Bulk Data export endpoints (https://hl7.org/fhir/uv/bulkdata/export.html):
kick-off at system and Group level, status polling, cancelling, and the files."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from fhir import export, export_selectors, scopes, search
from fhir.http import FhirView, operation_outcome
from fhir.models import ExportStatus

NDJSON = "application/fhir+ndjson"
# What `_outputFormat` may say: the format and its abbreviations the specification allows.
OUTPUT_FORMATS = {NDJSON, "application/ndjson", "ndjson"}
PARAMETERS = {"_type", "_since", "_outputFormat"}
RETRY_AFTER_SECONDS = 10


def _types(request) -> list[str]:
    """The types asked for (`_type`, comma-separated or repeated), else every type the
    token may read and the account sees; refused when the token or the role forbids one."""
    asked = [item.strip() for value in request.query_params.getlist("_type")
             for item in value.split(",") if item.strip()]
    unknown = [name for name in asked if name not in export_selectors.EXPORTABLE]
    if unknown:
        raise exceptions.ValidationError({"_type": [
            _("These types cannot be exported: %(types)s. Choose from: %(known)s.")
            % {"types": ", ".join(unknown), "known": ", ".join(export_selectors.EXPORTABLE)}]})
    account = request.user
    if asked:
        for name in asked:
            if not scopes.grants(request.fhir_scopes, name, scopes.READ):
                raise exceptions.PermissionDenied(
                    _("The token's scopes do not allow this client to read %(type)s "
                      "resources.") % {"type": name})
            if not export_selectors.sources_seen(account, name):
                raise exceptions.PermissionDenied(
                    _("This client's role does not see %(type)s records.") % {"type": name})
        return [name for name in export_selectors.EXPORTABLE if name in asked]
    types = [name for name in export_selectors.EXPORTABLE
             if scopes.grants(request.fhir_scopes, name, scopes.READ)
             and export_selectors.sources_seen(account, name)]
    if not types:
        raise exceptions.PermissionDenied(
            _("The token's scopes allow no resource type this client may export."))
    return types


def _since(request):
    values = request.query_params.getlist("_since")
    if not values:
        return None
    try:
        moment = parse_datetime(values[0]) if len(values) == 1 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise exceptions.ValidationError({"_since": [
            _("Give _since once, as an instant with its time zone, e.g. "
              "2026-01-31T08:00:00+05:00.")]})
    return moment


class ExportKickOff(FhirView):
    """`GET /fhir/$export` (every patient the client may open) and
    `GET /fhir/Group/<facility code>/$export` (the facility's attached patients)."""

    def get(self, request, group_id=None):
        params = request.query_params
        search.check_known(params, PARAMETERS)
        if "respond-async" not in request.headers.get("Prefer", ""):
            raise exceptions.ValidationError({"Prefer": [
                _("A bulk export runs in the background: send Prefer: respond-async.")]})
        output_format = params.get("_outputFormat", NDJSON)
        if output_format not in OUTPUT_FORMATS:
            raise exceptions.ValidationError({"_outputFormat": [
                _("Exports are written as %(format)s only.") % {"format": NDJSON}]})
        types, since = _types(request), _since(request)
        group = None
        client = request.fhir_client
        if group_id is not None:
            group = export_selectors.group(group_id)
            if client.facility_id not in (None, group.pk):
                raise exceptions.PermissionDenied(
                    _("This client may export its own facility's patients only."))
        job = export.start_export(client=client, types=types, since=since, group=group,
                                  request_url=request.build_absolute_uri())
        response = Response(status=202)
        response["Content-Location"] = request.build_absolute_uri(
            reverse("fhir:export-status", args=[job.pk]))
        return response


class ExportStatusView(FhirView):
    """Polling an export: 202 while it runs, the manifest when done; DELETE cancels."""

    def get(self, request, job_id):
        job = export_selectors.client_job(request.fhir_client, job_id)
        if job.status == ExportStatus.IN_PROGRESS:
            response = Response(status=202)
            response["X-Progress"] = _("%(count)d resources written") % {"count": job.written}
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if job.status == ExportStatus.FAILED:
            return Response(operation_outcome([("exception", _(
                "The export failed; start a new one."), "")]), status=500)
        response = Response({
            "transactionTime": job.transaction_time.isoformat(),
            "request": job.request_url,
            "requiresAccessToken": True,
            "output": [{"type": entry["type"], "count": entry["count"],
                        "url": request.build_absolute_uri(
                            reverse("fhir:export-file", args=[job.pk, entry["name"]]))}
                       for entry in job.output],
            "error": [],
        })
        response["Expires"] = http_date(export.expires_at(job).timestamp())
        return response

    def delete(self, request, job_id):
        export.cancel(export_selectors.client_job(request.fhir_client, job_id))
        return Response(status=202)


class ExportFile(FhirView):
    """One NDJSON file of a completed export, to the client that started it; audited."""

    def get(self, request, job_id, name):
        job = export_selectors.client_job(request.fhir_client, job_id)
        path = export.file_path(job, name) if job.status == ExportStatus.COMPLETED else None
        if path is None or not path.exists():
            raise exceptions.NotFound(_("Not found."))
        export.record_download(job, name)
        return FileResponse(path.open("rb"), content_type=NDJSON)
