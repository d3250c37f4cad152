"""FHIR search parameters, parsed once: bad ones are refused per parameter (400), never
ignored, so a client never takes a wider answer for the narrower one it asked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dmed.paging import MAX_PAGE_SIZE, PAGE_SIZE

PREFIXES = ("eq", "lt", "le", "gt", "ge")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PREFIX = re.compile(r"^(eq|ne|lt|le|gt|ge|sa|eb|ap)?(.*)$")
# Parameters every search takes; each resource adds its own.
COMMON = {"_count", "_cursor", "_format"}
LAST_UPDATED = "_lastUpdated"


@dataclass(frozen=True)
class Interval:
    """A date parameter's value as the half-open interval it stands for, [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class DateCondition:
    prefix: str
    interval: Interval

    def lookups(self, field: str) -> dict:
        start, end = self.interval.start, self.interval.end
        return {"eq": {f"{field}__gte": start, f"{field}__lt": end},
                "lt": {f"{field}__lt": start}, "le": {f"{field}__lt": end},
                "gt": {f"{field}__gte": end}, "ge": {f"{field}__gte": start}}[self.prefix]

    def date_lookups(self, field: str) -> dict:
        """The same on a date column (birth dates)."""
        start, end = self.interval.start.date(), self.interval.end.date()
        return {"eq": {f"{field}__gte": start, f"{field}__lt": end},
                "lt": {f"{field}__lt": start}, "le": {f"{field}__lt": end},
                "gt": {f"{field}__gte": end}, "ge": {f"{field}__gte": start}}[self.prefix]


def _refuse(parameter: str, message) -> ValidationError:
    return ValidationError({parameter: [message]})


def _interval(parameter: str, text: str) -> Interval:
    match = _PARTIAL_DATE.match(text)
    try:
        if match:
            year, month, day = (int(part) if part else None for part in match.groups())
            first = date(year, month or 1, day or 1)
            if day:
                last = first + timedelta(days=1)
            elif month:
                last = date(year + month // 12, month % 12 + 1, 1)
            else:
                last = date(year + 1, 1, 1)
            start = timezone.make_aware(datetime.combine(first, time.min))
            return Interval(start, timezone.make_aware(datetime.combine(last, time.min)))
        moment = parse_datetime(text)
    except (ValueError, OverflowError):
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise _refuse(parameter, _("Give a date as YYYY, YYYY-MM, YYYY-MM-DD or a date and "
                                   "time with its time zone, optionally after a prefix "
                                   "(eq, lt, le, gt, ge)."))
    return Interval(moment, moment + timedelta(seconds=1))


def date_conditions(parameter: str, values: list[str]) -> list[DateCondition]:
    conditions = []
    for value in values:
        prefix, rest = _PREFIX.match(value).groups()
        prefix = prefix or "eq"
        if prefix not in PREFIXES:
            raise _refuse(parameter, _("The prefix %(prefix)s is not supported here: use eq, "
                                       "lt, le, gt or ge.") % {"prefix": prefix})
        conditions.append(DateCondition(prefix, _interval(parameter, rest)))
    return conditions


def page_size(params) -> int:
    text = params.get("_count")
    if text is None:
        return PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise _refuse("_count", _("Give _count as a whole number from 1 to %(max)d.")
                      % {"max": MAX_PAGE_SIZE})
    return int(text)


def check_known(params, known: set[str]) -> None:
    """Refuse parameters this search does not implement (the CapabilityStatement's list)."""
    unknown = sorted(set(params) - known - COMMON)
    if unknown:
        raise ValidationError({name: [_("This search parameter is not supported.")]
                               for name in unknown})


def token(parameter: str, value: str) -> tuple[str | None, str]:
    """`system|value` (or a bare value) of a token parameter."""
    if "|" not in value:
        return None, value
    system, _bar, code = value.partition("|")
    if not code:
        raise _refuse(parameter, _("Give the identifier as system|value."))
    return system, code


def reference_id(parameter: str, value: str, resource_type: str) -> str:
    """The id of `Patient/<id>` or a bare `<id>`."""
    kind, slash, resource_id = value.rpartition("/")
    if slash and kind.rsplit("/", 1)[-1] != resource_type or not resource_id:
        raise _refuse(parameter, _("Give a reference to a %(type)s, as %(type)s/<id>.")
                      % {"type": resource_type})
    return resource_id
