"""The card's timeline: every source's records in one chronological, keyset-paged view."""

from __future__ import annotations

import base64
import heapq
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clinics.timeline.sources import SOURCES, Entry, TimelineSource
from dmed.models import User
from dmed.paging import InvalidCursor
from dmed.replica import lag_tolerant_db
from patients.access import card_for

PAGE_SIZE = 30
TIMELINE_OBJECT = "clinics.timeline"


@dataclass
class TimelinePage:
    entries: list[Entry]
    next_cursor: str | None


def _encode(entry: Entry) -> str:
    raw = json.dumps([entry.when.isoformat(), entry.key, entry.pk])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str, int]:
    try:
        moment, key, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        when = parse_datetime(moment)
        if when is None or timezone.is_naive(when):
            raise ValueError(moment)
        when.astimezone(UTC)  # OverflowError near year 1 or 9999
        return when, str(key), int(pk)
    except (ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor from error


def _after_cursor(source: TimelineSource, cursor) -> Q:
    """Entries after the cursor in the order (time, key, pk), all descending."""
    when, key, pk = cursor
    field = source.time_field
    if source.key < key:
        return Q(**{f"{field}__lte": when})
    if source.key == key:
        return Q(**{f"{field}__lt": when}) | Q(**{field: when, "pk__lt": pk})
    return Q(**{f"{field}__lt": when})


def _read(source: TimelineSource, entry, card, *, db, cursor, since, until,
          limit) -> list[Entry]:
    records = source.records(card).using(db)
    field = source.time_field
    if cursor:
        records = records.filter(_after_cursor(source, cursor))
    if since:
        records = records.filter(**{f"{field}__gte": since})
    if until:
        records = records.filter(**{f"{field}__lt": until})
    rows = records.order_by(f"-{field}", "-pk")[:limit]
    return [Entry(when=_get(row, field), key=source.key, pk=row.pk, group=source.group,
                  **entry(row)) for row in rows]


def _get(row, path: str):
    for part in path.split("__"):
        row = getattr(row, part)
    return row


def _day_start(day: date) -> datetime | None:
    """Midnight of the day in local time; None for a day a timestamp cannot hold (near
    year 1 or 9999), where a bound excludes nothing anyway."""
    try:
        moment = timezone.make_aware(datetime.combine(day, time.min))
        moment.astimezone(UTC)  # how the database gets it: may overflow
    except OverflowError:
        return None
    return moment


def _day_after(day: date) -> datetime | None:
    try:
        return _day_start(day + timedelta(days=1))
    except OverflowError:  # 9999-12-31: no day after it
        return None


def card_timeline(user: User, med_id: str, *, groups: list[str] | None = None,
                  since: date | None = None, until: date | None = None,
                  cursor: str | None = None, limit: int = PAGE_SIZE):
    """One page of the card's history, newest first, for whoever may open the card."""
    access = card_for(user, med_id, object_type=TIMELINE_OBJECT)
    position = _decode(cursor) if cursor else None
    chosen = [(source, entry) for source in SOURCES
              if (not groups or source.group in groups or set(source.also_in) & set(groups))
              and (entry := source.entry_for(user))]
    start = _day_start(since) if since else None
    end = _day_after(until) if until else None
    db = lag_tolerant_db(user)
    streams = [_read(source, entry, access.card, db=db, cursor=position, since=start,
                     until=end, limit=limit + 1) for source, entry in chosen]
    merged = list(heapq.merge(*streams, key=lambda e: (e.when, e.key, e.pk), reverse=True))
    page = merged[:limit]
    return access, TimelinePage(page, _encode(page[-1]) if len(merged) > limit else None)


def timeline_groups(user: User) -> list[tuple[str, str]]:
    """The kind filter's choices the user sees, in the order sources are listed."""
    seen: dict[str, str] = {}
    for source in SOURCES:
        if source.entry_for(user) is not None:
            seen.setdefault(source.group, str(source.label))
    return list(seen.items())
