"""Immunisation calendar arithmetic: which doses a child has had, which are due or
overdue, and when each falls, from the birth date, the doses given and the exemptions.

Pure functions over plain values, so the rules are tested against a table of cases.

Catch-up for a late start follows from the two rules of each dose: it falls at its
minimum age, but never sooner than the minimum interval after the previous dose of its
series was actually given. A child who starts at six months therefore gets the first dose
now and the next ones at the minimum intervals, not at the calendar ages already past.
A dose whose latest age has passed is no longer offered (missed).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

# A dose is overdue when a month has passed since it fell due: the calendar's ages are
# targets, and the national practice counts a child as late ("kechikkan") after a month.
OVERDUE_AFTER = timedelta(days=30)


class DoseState(enum.StrEnum):
    DONE = "done"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    POSTPONED = "postponed"  # a contraindication holds until its revisit date
    REFUSED = "refused"  # the parents refused; asked again at the revisit date
    MISSED = "missed"  # past the latest age: no longer given


@dataclass(frozen=True)
class Dose:
    """One line of the calendar."""

    vaccine: str
    number: int
    min_age_days: int
    min_interval_days: int = 0
    latest_age_days: int | None = None
    sex: str = ""  # "" for every child, else only for this sex


@dataclass(frozen=True)
class Exemption:
    kind: str  # DoseState.POSTPONED or DoseState.REFUSED
    reason: str
    revisit_on: date


@dataclass(frozen=True)
class DoseStatus:
    dose: Dose
    state: DoseState
    due_on: date | None
    given_on: date | None = None
    exemption: Exemption | None = None

    def days_overdue(self, today: date) -> int:
        return (today - self.due_on).days if self.state == DoseState.OVERDUE else 0


def child_schedule(*, birth_date: date, sex: str, calendar: Iterable[Dose],
                   given: Mapping[tuple[str, int], date],
                   exemptions: Mapping[str, Exemption], today: date) -> list[DoseStatus]:
    """Every dose of the calendar for this child, in calendar order, with its state.

    `given` maps (vaccine, dose number) to the date it was given; `exemptions` maps a
    vaccine to its current contraindication or refusal (one whose revisit date has come
    no longer holds).
    """
    statuses = []
    previous: dict[str, date | None] = {}  # per series: when the dose before was (or falls)
    for dose in sorted(calendar, key=lambda d: (d.min_age_days, d.vaccine, d.number)):
        if dose.sex and sex and dose.sex != sex:
            continue
        earliest = birth_date + timedelta(days=dose.min_age_days)
        before = previous.get(dose.vaccine) if dose.number > 1 else None
        due_on = max(earliest, before + timedelta(days=dose.min_interval_days)) \
            if before else earliest
        given_on = given.get((dose.vaccine, dose.number))
        if given_on:
            statuses.append(DoseStatus(dose, DoseState.DONE, due_on, given_on))
            previous[dose.vaccine] = given_on
            continue
        # Not given: the next dose of the series counts its interval from this one's due
        # date at the earliest (a projection, corrected when this one is given).
        previous[dose.vaccine] = max(due_on, today)
        statuses.append(_open_dose(dose, due_on, birth_date, exemptions.get(dose.vaccine),
                                   today))
    return statuses


def _open_dose(dose: Dose, due_on: date, birth_date: date, exemption: Exemption | None,
               today: date) -> DoseStatus:
    if dose.latest_age_days is not None and \
            today > birth_date + timedelta(days=dose.latest_age_days):
        return DoseStatus(dose, DoseState.MISSED, due_on)
    if exemption and exemption.revisit_on > today and due_on <= today:
        return DoseStatus(dose, DoseState(exemption.kind), due_on, exemption=exemption)
    if due_on > today:
        return DoseStatus(dose, DoseState.UPCOMING, due_on)
    if today - due_on > OVERDUE_AFTER:
        return DoseStatus(dose, DoseState.OVERDUE, due_on)
    return DoseStatus(dose, DoseState.DUE, due_on)


OPEN_STATES = frozenset({DoseState.UPCOMING, DoseState.DUE, DoseState.OVERDUE})


@dataclass(frozen=True)
class NextDose:
    """The child's next dose to give (None when nothing is left), and the first day the
    answer may change with no new record: an exemption's revisit date, an exempted dose
    falling due, the next dose's latest age passing, or tomorrow when its date is only a
    projection from today."""

    status: DoseStatus | None
    recheck_on: date | None


def next_dose(statuses: list[DoseStatus], exemptions: Mapping[str, Exemption],
              birth_date: date, today: date) -> NextDose:
    """Of child_schedule's statuses, the open dose that falls first."""
    open_doses = [s for s in statuses if s.state in OPEN_STATES]
    following = min(open_doses, key=lambda s: (s.due_on, s.dose.vaccine, s.dose.number),
                    default=None)
    changes = [exemption.revisit_on for exemption in exemptions.values()
               if exemption.revisit_on > today]
    changes += [s.due_on for s in open_doses
                if s.dose.vaccine in exemptions and s.due_on > today]
    if following is not None:
        if following.dose.latest_age_days is not None:
            changes.append(birth_date + timedelta(days=following.dose.latest_age_days + 1))
        done_before = {(s.dose.vaccine, s.dose.number) for s in statuses
                       if s.state == DoseState.DONE}
        if following.dose.number > 1 and \
                (following.dose.vaccine, following.dose.number - 1) not in done_before:
            changes.append(today + timedelta(days=1))
    return NextDose(following, min(changes, default=None))
