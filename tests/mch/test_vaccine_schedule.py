"""The calendar arithmetic against a table of cases: on time, late start and catch-up,
missed by the latest age, contraindication and refusal, doses only for girls."""

from datetime import date, timedelta

import pytest

from mch.catalogue import CALENDAR
from mch.vaccine_schedule import Dose, DoseState, Exemption, child_schedule, next_dose

UZ = [Dose(v, n, age, interval, latest, sex) for v, n, age, interval, latest, sex in CALENDAR]
BORN = date(2026, 1, 1)


def day(n: int) -> date:
    return BORN + timedelta(days=n)


def schedule(today, given=None, exemptions=None, sex="male", birth=BORN):
    return {(s.dose.vaccine, s.dose.number): s
            for s in child_schedule(birth_date=birth, sex=sex, calendar=UZ, given=given or {},
                                    exemptions=exemptions or {}, today=today)}


CASES = [
    # (what, today, given, exemptions, dose, expected state, expected due date)
    ("birth dose due on the day of birth", day(0), {}, {}, ("hepb", 1), DoseState.DUE, day(0)),
    ("birth dose missed after a day", day(2), {}, {}, ("hepb", 1), DoseState.MISSED, day(0)),
    ("BCG due from day 2", day(2), {}, {}, ("bcg", 1), DoseState.DUE, day(2)),
    ("penta 1 upcoming at one month", day(30), {}, {}, ("penta", 1), DoseState.UPCOMING,
     day(61)),
    ("penta 1 due at two months", day(61), {}, {}, ("penta", 1), DoseState.DUE, day(61)),
    ("penta 1 due within a month of its date", day(91), {}, {}, ("penta", 1), DoseState.DUE,
     day(61)),
    ("penta 1 overdue after a month", day(92), {}, {}, ("penta", 1), DoseState.OVERDUE,
     day(61)),
    ("penta 2 on the calendar after penta 1 on time", day(70), {("penta", 1): day(61)}, {},
     ("penta", 2), DoseState.UPCOMING, day(91)),
    ("penta 2 waits the interval after a late penta 1", day(100), {("penta", 1): day(95)}, {},
     ("penta", 2), DoseState.UPCOMING, day(123)),
    # Late start at six months: penta 1 is overdue; penta 2 falls 28 days after today's
    # (projected) penta 1, not at three months.
    ("late start: penta 2 projected from today", day(183), {}, {}, ("penta", 2),
     DoseState.UPCOMING, day(211)),
    ("late start: catch-up penta 3 after penta 2", day(230),
     {("penta", 1): day(183), ("penta", 2): day(211)}, {}, ("penta", 3), DoseState.UPCOMING,
     day(239)),
    ("rotavirus not given after 24 weeks", day(183), {}, {}, ("rota", 1), DoseState.MISSED,
     day(61)),
    ("done doses say when", day(70), {("penta", 1): day(63)}, {}, ("penta", 1), DoseState.DONE,
     day(61)),
    ("contraindication postpones a due dose", day(70), {},
     {"penta": Exemption("postponed", "Febrile illness", day(80))}, ("penta", 1),
     DoseState.POSTPONED, day(61)),
    ("contraindication past its revisit date no longer holds", day(100), {},
     {"penta": Exemption("postponed", "Febrile illness", day(90))}, ("penta", 1),
     DoseState.OVERDUE, day(61)),
    ("refusal recorded until the revisit date", day(400), {},
     {"mmr": Exemption("refused", "Parents refuse", day(500))}, ("mmr", 1), DoseState.REFUSED,
     day(365)),
    ("a refusal does not hide a dose not yet due", day(100), {},
     {"mmr": Exemption("refused", "Parents refuse", day(500))}, ("mmr", 1),
     DoseState.UPCOMING, day(365)),
]


@pytest.mark.parametrize(("today", "given", "exemptions", "dose", "state", "due_on"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_calendar_cases(today, given, exemptions, dose, state, due_on):
    status = schedule(today, given, exemptions)[dose]
    assert (status.state, status.due_on) == (state, due_on)


def test_days_overdue_count_from_the_due_date():
    status = schedule(day(120))[("penta", 1)]
    assert status.days_overdue(day(120)) == 120 - 61


def test_hpv_only_for_girls():
    nine = BORN.replace(year=BORN.year + 9)
    assert ("hpv", 1) not in schedule(nine, sex="male")
    assert schedule(nine, sex="female")[("hpv", 1)].state == DoseState.DUE


PENTA = [Dose("penta", 1, 61), Dose("penta", 2, 91, 28)]

NEXT_CASES = [
    # (what, calendar, today, given, exemptions, next dose, its due date, recheck on)
    ("a newborn's birth dose, until it is missed", UZ, day(0), {}, {}, ("hepb", 1), day(0),
     day(2)),
    ("after the birth doses, the two-month doses in calendar order", UZ, day(3),
     {("hepb", 1): day(0), ("bcg", 1): day(2)}, {}, ("opv", 1), day(61),
     day(5 * 365 + 2)),
    ("a refused first dose: the second's date is a projection from today", PENTA, day(100),
     {}, {"penta": Exemption("refused", "Parents refuse", day(300))}, ("penta", 2), day(128),
     day(101)),
    ("a contraindication holds: nothing to give until its revisit date", PENTA[:1], day(70),
     {}, {"penta": Exemption("postponed", "Febrile illness", day(80))}, None, None, day(80)),
    ("everything given", PENTA, day(200), {("penta", 1): day(61), ("penta", 2): day(91)}, {},
     None, None, None),
]


@pytest.mark.parametrize(("what", "calendar", "today", "given", "exemptions", "expected",
                          "due_on", "recheck_on"), NEXT_CASES, ids=[c[0] for c in NEXT_CASES])
def test_next_dose(what, calendar, today, given, exemptions, expected, due_on, recheck_on):
    statuses = child_schedule(birth_date=BORN, sex="male", calendar=calendar, given=given,
                              exemptions=exemptions, today=today)
    following = next_dose(statuses, exemptions, BORN, today)
    status = following.status
    assert ((status.dose.vaccine, status.dose.number) if status else None) == expected
    assert (status.due_on if status else None) == due_on
    assert following.recheck_on == recheck_on
