"""Keyset pages over several kinds of record at once (visits and stays are Encounters;
visit and stay diagnoses are Conditions), newest first, as the card's timeline reads them:
each kind is read with one query per page, after the cursor, and the streams are merged.
The cursor carries (time, kind, primary key) of the last row; never an offset."""

from __future__ import annotations

import base64
import heapq
import json
from dataclasses import dataclass
from datetime import UTC

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dmed.paging import InvalidCursor, Page


@dataclass(frozen=True)
class Source:
    kind: str           # at the same moment the greater kind comes first; cursors name it
    records: object     # a queryset, already scoped and filtered
    time_field: str


def _value(row, path: str):
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def _encode(moment, kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), kind, pk]).encode()).decode()


def _decode(cursor: str):
    try:
        moment, kind, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = parse_datetime(moment)
        if when is None or timezone.is_naive(when):
            raise ValueError(moment)
        when.astimezone(UTC)
        return when, str(kind), int(pk)
    except (ValueError, TypeError, OverflowError, AttributeError) as error:
        raise InvalidCursor from error


def _after(source: Source, position) -> Q:
    when, kind, pk = position
    field = source.time_field
    if source.kind < kind:
        return Q(**{f"{field}__lte": when})
    if source.kind == kind:
        return Q(**{f"{field}__lt": when}) | Q(**{field: when, "pk__lt": pk})
    return Q(**{f"{field}__lt": when})


def merged_page(sources: list[Source], *, cursor: str | None, limit: int) -> Page:
    """One page of (kind, row) pairs across the sources, newest first."""
    position = _decode(cursor) if cursor else None
    streams = []
    for source in sources:
        records = source.records.filter(_after(source, position)) if position else source.records
        rows = records.order_by(f"-{source.time_field}", "-pk")[: limit + 1]
        streams.append([(_value(row, source.time_field), source.kind, row.pk, row)
                        for row in rows])
    merged = list(heapq.merge(*streams, key=lambda entry: entry[:3], reverse=True))
    page = merged[:limit]
    more = len(merged) > limit
    return Page(results=[(kind, row) for _when, kind, _pk, row in page],
                next_cursor=_encode(*page[-1][:3]) if more else None)
