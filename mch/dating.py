"""Pregnancy dating: plain arithmetic on dates, kept apart from the database so it is
tested against tables of cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Naegele's rule: delivery is expected 280 days (40 weeks) after the first day of the
# last menstrual period.
TERM = timedelta(days=280)
# Trimesters by completed weeks: the first to 13+6, the second to 27+6, then the third.
SECOND_TRIMESTER_WEEK = 14
THIRD_TRIMESTER_WEEK = 28


@dataclass(frozen=True)
class GestationalAge:
    days: int

    @property
    def weeks(self) -> int:
        return self.days // 7

    @property
    def extra_days(self) -> int:
        return self.days % 7

    @property
    def trimester(self) -> int:
        if self.weeks < SECOND_TRIMESTER_WEEK:
            return 1
        return 2 if self.weeks < THIRD_TRIMESTER_WEEK else 3

    def __str__(self) -> str:
        return f"{self.weeks}+{self.extra_days}"


def edd_by_naegele(lmp: date) -> date:
    return lmp + TERM


def edd_by_scan(scan_date: date, weeks: int, days: int) -> date:
    """The scan measured the fetus at weeks+days on scan_date: term is 280 days on."""
    return scan_date + TERM - timedelta(days=weeks * 7 + days)


def gestational_age(edd: date, on: date) -> GestationalAge:
    return GestationalAge((on - (edd - TERM)).days)


def week_date(edd: date, week: int) -> date:
    """The first day of a completed gestational week (week 12 starts at 12+0)."""
    return edd - TERM + timedelta(weeks=week)


@dataclass(frozen=True)
class ContactStatus:
    """One antenatal contact of a pregnancy: its window in dates and where it stands."""

    number: int
    opens_on: date
    closes_on: date  # the last day of the window's last week
    state: str  # "done", "skipped", "due", "upcoming" or "overdue"
    visited_on: date | None = None

    def days_overdue(self, today: date) -> int:
        return (today - self.closes_on).days if self.state == "overdue" else 0


def contact_schedule(*, edd: date, contacts: list[tuple[int, int, int]],
                     visits: dict[int, date], today: date) -> list[ContactStatus]:
    """Each contact (number, from week, to week) of the schedule for this pregnancy.

    A contact not visited is overdue once its window has closed, unless a later contact
    was already visited: a woman registered at 25 weeks starts at the contact of her week,
    and the earlier ones are skipped, not overdue for the rest of her pregnancy.
    """
    last_visited = max(visits, default=0)
    statuses = []
    for number, week_from, week_to in sorted(contacts):
        opens_on = week_date(edd, week_from)
        closes_on = week_date(edd, week_to + 1) - timedelta(days=1)
        if number in visits:
            state = "done"
        elif number < last_visited:
            state = "skipped"
        elif today > closes_on:
            state = "overdue"
        elif today >= opens_on:
            state = "due"
        else:
            state = "upcoming"
        statuses.append(ContactStatus(number, opens_on, closes_on, state, visits.get(number)))
    return statuses
