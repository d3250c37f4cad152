"""One error format for every 4xx answer of the API:

    {"detail": "<a sentence for people>", "code": "<machine code>",
     "fields": {"<field>": ["<message>", …]}}

`fields` is present for validation errors only; messages are in the request's language.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def error_body(detail: str, code: str, fields: dict | None = None) -> dict:
    body = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    # Services raise Django's ValidationError; the API answers it like a serializer's.
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # Keep the service's sentence and code: "out of scope" tells a clinician's client
        # that breaking the glass is possible.
        exc = exceptions.PermissionDenied(detail=exc.args[0] if exc.args else None,
                                          code=getattr(exc, "code", None))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {
            "non_field_errors": _flatten(exc.detail)
        }
        response.data = error_body(_("Some fields are not valid."), "invalid", fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(str(detail), code if isinstance(code, str) else "error")
    return response

