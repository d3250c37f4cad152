"""Keyset pages for lists that grow without bound (DESIGN.md: never OFFSET, never COUNT).

A page is read in a total order of model fields; the cursor carries the last row's
values of those fields, and the next page starts strictly after them, so a page costs
the same however deep it is, and rows added meanwhile neither repeat nor vanish. The
last field of the order must make it total (a primary key or a unique pair).

    page = keyset_page(prescriptions, order=("-issued_at", "series_code", "issue_number"),
                       cursor=request.GET.get("cursor"), limit=25)
    page.results, page.next_cursor  # and in the API: next_url(request, page)
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.core.exceptions import BadRequest, ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


class InvalidCursor(ValidationError, BadRequest):
    """A cursor that no page of this list gave out: typed, cut short or tampered with.

    A ValidationError, so the API answers it like any bad field ({"cursor": [...]}), and a
    BadRequest, so a page that does not catch it answers 400 rather than 500."""

    def __init__(self):
        super().__init__({"cursor": [_("This page link is not valid.")]}, code="invalid")


@dataclass
class Page:
    results: list
    next_cursor: str | None


def _fields(model, order: tuple[str, ...]):
    """(field, descending) per entry of the order: "-issued_at" → (issued_at, True)."""
    fields = []
    for name in order:
        bare = name.removeprefix("-")
        field = model._meta.pk if bare == "pk" else model._meta.get_field(bare)
        fields.append((field, name.startswith("-")))
    return fields


def _encode(row, fields) -> str:
    values = [field.value_to_string(row) for field, _descending in fields]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode(cursor: str, fields) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError(cursor)
        decoded = [field.to_python(value) for (field, _descending), value in zip(fields, values,
                                                                               strict=True)]
        # The field's own bounds too: an id past the column's range is no row's.
        for (field, _descending), value in zip(fields, decoded, strict=True):
            field.run_validators(value)
        return decoded
    except (ValueError, TypeError, ValidationError) as error:
        raise InvalidCursor from error


def _after(fields, values) -> Q:
    """Rows strictly after the cursor's row in the order: equal on a prefix of the order
    and past it on the next field."""
    condition = Q()
    for index, (field, descending) in enumerate(fields):
        step = Q(**{f.attname: value
                    for (f, _d), value in zip(fields[:index], values[:index], strict=True)})
        step &= Q(**{f"{field.attname}__{'lt' if descending else 'gt'}": values[index]})
        condition |= step
    return condition


def keyset_page(queryset, *, order: tuple[str, ...], cursor: str | None = None,
                limit: int = PAGE_SIZE) -> Page:
    """One page of the queryset in `order`, starting after `cursor` (None: the first)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    fields = _fields(queryset.model, order)
    if cursor:
        queryset = queryset.filter(_after(fields, _decode(cursor, fields)))
    rows = list(queryset.order_by(*order)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(results=rows, next_cursor=_encode(rows[-1], fields) if more else None)


def next_url(request, page: Page) -> str | None:
    """The API's link to the next page: this request's URL with the next cursor."""
    if page.next_cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = page.next_cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class PageParamsSerializer(serializers.Serializer):
    """`cursor` and `limit` of an API list read with keyset_page; lists add their filters."""

    cursor = serializers.CharField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                     default=PAGE_SIZE)
