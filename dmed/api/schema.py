"""What the OpenAPI schema says of every operation, so that it says what the API does.

- Lists answer an object, `{"results": [...]}` (and, when paged, the link or cursor to the
  next page), never a bare array: `results_page` names that shape for `extend_schema`.
- Every operation may answer the API's error format (dmed.api.errors) with the statuses
  any endpoint can give, whatever its view: 400 (a bad field, too deep JSON, a NUL
  character), 401 and 403 (authentication and permission), 404, 413 (a body over the
  limit) and 415 (a media type no parser reads). An operation's own error answers (409,
  429, …) are declared where they are made.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("A sentence for people"))
    code = serializers.CharField(help_text=_("A machine code"))
    # A list of messages per field; a nested serializer's field nests the same way
    # ({"items": [{"drug": [...]}]}), so a field's value is any JSON.
    fields = serializers.DictField(child=serializers.JSONField(), required=False,
                                   help_text=_("Messages per field (validation errors only)"))


COMMON_ERRORS = {
    "400": _("Bad request: see `fields`"),
    "401": _("Not signed in"),
    "403": _("Not allowed"),
    "404": _("Not found"),
    "413": _("The request body is too large"),
    "415": _("A media type the API does not read"),
}

# Sign-in answers 429 when django-axes has locked the username or address out
# (dmed.views.locked_out), and an endpoint with DRF throttles when they refuse.
SIGN_IN_PATHS = ("/api/v1/auth/token/",)
TOO_MANY_REQUESTS = _("Too many attempts: wait, then try again")

# How the next page is named: a URL to follow, or a cursor to send back.
NEXT_URL = "url"
NEXT_CURSOR = "cursor"


def results_page(name: str, item, *, next_page: str | None = None):
    """The schema of a list's answer: `{"results": [item, …]}`, with `next` (a URL) or
    `next_cursor` when the list is paged."""
    fields = {"results": item(many=True) if isinstance(item, type) else item}
    if next_page == NEXT_URL:
        fields["next"] = serializers.URLField(allow_null=True,
                                              help_text=_("The next page, if any"))
    elif next_page == NEXT_CURSOR:
        fields["next_cursor"] = serializers.CharField(
            allow_null=True, help_text=_("Send it as `cursor` for the next page, if any"))
    page = inline_serializer(name, fields)
    page.results_page = True  # DmedAutoSchema names its operation a list
    return page


class DmedAutoSchema(AutoSchema):
    def get_operation_id(self):
        # A list answers an object (its page), which drf-spectacular would take for one
        # object's "retrieve".
        operation_id = super().get_operation_id()
        if getattr(self.get_response_serializers(), "results_page", False):
            return operation_id.replace("_retrieve", "_list")
        return operation_id

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status, description in COMMON_ERRORS.items():
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status,
                                                       direction=direction)
                response["description"] = str(description)
                responses[status] = response
        throttled = self.path in SIGN_IN_PATHS or getattr(self.view, "throttle_classes", None)
        if throttled and "429" not in responses:
            responses["429"] = self._get_response_for_code(ErrorSerializer, "429",
                                                           direction=direction)
            responses["429"]["description"] = str(TOO_MANY_REQUESTS)
        return responses
