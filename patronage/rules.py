"""The arithmetic of the home-visit plan: which days the rules put visits on."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from patronage.models import Unit, VisitRule


@dataclass(frozen=True)
class Due:
    due_on: date
    overdue_after: date


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later; the month's last day when it is shorter
    (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _offsets(rule: VisitRule) -> range:
    return range(rule.start, rule.start + 1) if rule.every == 0 else \
        range(rule.start, rule.until + 1, rule.every)


def due_dates(rules, anchor: date, *, end: date | None = None) -> list[Due]:
    """Every visit the rules plan after `anchor`, by due date, none after `end` (a
    pregnancy's expected delivery); two rules landing on one day make one visit, the
    later overdue date kept."""
    visits: dict[date, date] = {}
    for rule in rules:
        for offset in _offsets(rule):
            due = anchor + timedelta(days=offset) if rule.unit == Unit.DAY \
                else add_months(anchor, offset)
            if end is not None and due > end:
                break
            overdue = due + timedelta(days=rule.grace_days)
            visits[due] = max(visits.get(due, overdue), overdue)
    return [Due(day, visits[day]) for day in sorted(visits)]
