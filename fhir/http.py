"""What every FHIR endpoint shares: bearer-token clients, scopes, `application/fhir+json`,
Bundles and errors as OperationOutcome.

Errors keep the REST API's HTTP status (dmed.api.errors) and its sentences, in the
caller's language (Accept-Language, as everywhere): 400 with one issue per bad parameter,
401 for a missing, expired or revoked token, 403 out of scope (a card the client's role
may know exists) or outside the token's scopes, 404 for what must not leak.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from dmed.acting import acting_facility_code
from fhir import scopes
from fhir.authentication import FhirClientAuthentication

FHIR_JSON = "application/fhir+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"


class FhirContentNegotiation(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header says (`application/json`, `*/*`, none):
    the interface speaks one format and says so in its CapabilityStatement."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# HTTP status → OperationOutcome issue code (http://hl7.org/fhir/issue-type).
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                405: "not-supported", 406: "not-supported", 409: "conflict",
                412: "multiple-matches", 415: "not-supported", 429: "throttled"}


def operation_outcome(issues: list[tuple[str, str, str]]) -> dict:
    """issues: (issue code, sentence for people, FHIRPath of the bad parameter or "")."""
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": text,
         **({"expression": [where]} if where else {})} for code, text, where in issues]}


def _flatten(detail, where: str = ""):
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, key if key != "non_field_errors" else where)
    elif isinstance(detail, list):
        for item in detail:
            yield from _flatten(item, where)
    else:
        yield str(detail), where


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(detail=exc.args[0] if exc.args else None)
    if not isinstance(exc, exceptions.APIException):
        return None
    status = exc.status_code
    code = _ISSUE_CODES.get(status, "processing")
    if isinstance(exc, exceptions.ValidationError):
        issues = [(code, text, where) for text, where in _flatten(exc.detail)]
    else:
        issues = [(code, str(exc.detail), "")]
    response = Response(operation_outcome(issues), status=status)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        authenticator = FhirClientAuthentication()
        response["WWW-Authenticate"] = authenticator.authenticate_header(context["request"])
        response.status_code = 401
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    return response


class FhirView(APIView):
    """A FHIR endpoint: a registered client, with the scope for this interaction."""

    authentication_classes = [FhirClientAuthentication]
    # FHIR has its own description (GET /fhir/metadata), not the REST API's OpenAPI.
    schema = None
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirContentNegotiation
    resource_type = ""

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        client = request.fhir_client
        if client is not None and client.facility_id \
                and acting_facility_code(request.user) != client.facility.code:
            # The registration no longer holds (the account's post ended or moved):
            # the client must not act for another facility, nor for none.
            raise exceptions.PermissionDenied(
                _("This client's account no longer works at the facility it is registered "
                  "for."))

    def require_scope(self, request, permission: str, resource_type: str = "") -> None:
        resource_type = resource_type or self.resource_type
        if not scopes.grants(request.fhir_scopes, resource_type, permission):
            verb = {scopes.READ: _("read"), scopes.SEARCH: _("search"),
                    scopes.CREATE: _("create")}[permission]
            raise exceptions.PermissionDenied(
                _("The token's scopes do not allow this client to %(verb)s %(type)s "
                  "resources.") % {"verb": verb, "type": resource_type})


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/")


def searchset(request, matches: list[dict], *, next_cursor: str | None,
              included: list[dict] = ()) -> dict:
    """A searchset Bundle with `self` and, when there is more, `next` (keyset cursor)."""
    base = base_url(request)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if next_cursor:
        query = request.query_params.copy()
        query["_cursor"] = next_cursor
        links.append({"relation": "next",
                      "url": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")})
    entries = [{"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r,
                "search": {"mode": mode}}
               for mode, group in (("match", matches), ("include", included)) for r in group]
    return {"resourceType": "Bundle", "type": "searchset",
            "timestamp": timezone.localtime().isoformat(timespec="seconds"),
            "link": links, "entry": entries}
