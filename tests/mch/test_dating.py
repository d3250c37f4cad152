from datetime import date

import pytest

from mch.dating import contact_schedule, edd_by_naegele, edd_by_scan, gestational_age

WHO = [(1, 0, 12), (2, 18, 20), (3, 24, 26), (4, 28, 30), (5, 32, 34), (6, 35, 36),
       (7, 37, 38), (8, 39, 40)]


@pytest.mark.parametrize(("lmp", "edd"), [
    (date(2026, 1, 1), date(2026, 10, 8)),
    (date(2026, 5, 20), date(2027, 2, 24)),
    (date(2027, 6, 1), date(2028, 3, 7)),  # across a leap day: 280 days, not 9 months + 7
])
def test_naegele(lmp, edd):
    assert edd_by_naegele(lmp) == edd


def test_scan_dating_counts_back_the_measured_age():
    # 10+3 on 15 March: the pregnancy "began" 73 days before, so term is 207 days after.
    assert edd_by_scan(date(2026, 3, 15), 10, 3) == date(2026, 10, 8)


@pytest.mark.parametrize(("on", "text", "trimester"), [
    (date(2026, 1, 1), "0+0", 1), (date(2026, 4, 8), "13+6", 1), (date(2026, 4, 9), "14+0", 2),
    (date(2026, 7, 15), "27+6", 2), (date(2026, 7, 16), "28+0", 3)])
def test_gestational_age(on, text, trimester):
    age = gestational_age(date(2026, 10, 8), on)
    assert (str(age), age.trimester) == (text, trimester)


def states(today, visits):
    return [s.state for s in contact_schedule(edd=date(2026, 10, 8), contacts=WHO,
                                              visits=visits, today=today)]


def test_contact_overdue_once_its_window_closed():
    # 21+0: contact 1 done at 10 weeks; contact 2's window (18–20) closed yesterday.
    assert states(date(2026, 5, 28), {1: date(2026, 3, 12)})[:3] == ["done", "overdue",
                                                                      "upcoming"]


def test_late_registration_skips_earlier_contacts():
    assert states(date(2026, 6, 25), {3: date(2026, 6, 20)})[:4] == ["skipped", "skipped",
                                                                      "done", "upcoming"]
