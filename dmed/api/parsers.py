"""The API's JSON parser: one place that refuses bodies no field should ever see.

Python's json module recurses once per nesting level, so a body of a few thousand
nested arrays raises RecursionError (a 500) before any serializer runs; and PostgreSQL
refuses a NUL character in any text, so a "\\u0000" that reaches a query is a 500 too.
This parser answers both with a 400 in the API's error format, for every endpoint:
the parsed document is walked once, without recursion, for its depth and for NUL
characters in keys and strings.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# Far deeper than any request of this API (a prescription's items are 3 levels deep),
# far shallower than the interpreter's recursion limit.
MAX_JSON_DEPTH = 32
NUL = "\x00"


def nul_message() -> str:
    return _("This text contains a NUL character (\\u0000), which is not allowed.")


def depth_message() -> str:
    return _("The JSON document is nested more than %(depth)d levels deep.") % {
        "depth": MAX_JSON_DEPTH}


def _field_name(path: tuple) -> str:
    """"items.0.drug" for a value at body["items"][0]["drug"]; the body itself is
    "non_field_errors", as for any other error not tied to one field."""
    return ".".join(str(step) for step in path) or "non_field_errors"


def check_document(document) -> None:
    """Raise a 400 if the parsed document is too deep or holds a NUL character.

    Depth counts containers: `[]` and `{}` are 1, `[[]]` is 2. Every offending field is
    named, so a client sees all of them at once."""
    invalid: dict[str, list[str]] = {}
    pending = [(document, (), 0)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            if NUL in value:
                invalid.setdefault(_field_name(path), [nul_message()])
        elif isinstance(value, dict | list):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise exceptions.ParseError(depth_message())
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and NUL in key:
                    invalid.setdefault(_field_name(path), [nul_message()])
                pending.append((item, (*path, key), depth))
    if invalid:
        raise exceptions.ValidationError(invalid)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a depth limit and no NUL characters (see the module)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(depth_message()) from None
        check_document(document)
        return document
