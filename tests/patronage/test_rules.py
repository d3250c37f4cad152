"""The plan's arithmetic against a table of cases, from the rules the migration loads."""

from datetime import date

import pytest

from patronage.models import Reason, VisitRule
from patronage.rules import add_months, due_dates

BORN = date(2026, 1, 31)


def _days(reason, risk="", anchor=BORN, end=None):
    rules = VisitRule.objects.filter(reason=reason, risk_group=risk, is_active=True)
    return [(due.due_on - anchor).days for due in due_dates(rules, anchor, end=end)]


def test_newborn_days_then_monthly_in_the_first_year(db):
    dues = due_dates(VisitRule.objects.filter(reason=Reason.NEWBORN), BORN)
    assert [due.due_on for due in dues] == [
        date(2026, 2, 1), date(2026, 2, 7), date(2026, 2, 14), date(2026, 2, 21),
        date(2026, 3, 2),  # day 30
        # monthly from two months, the month's last day when it is shorter
        date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30),
        date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31),
        date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31)]
    # The first visit is due on day 1 and late after day 3.
    assert dues[0].overdue_after == date(2026, 2, 3)


@pytest.mark.parametrize(("risk", "days"), [
    ("low", [7, 63, 119]),
    ("medium", [7, 35, 63, 91, 119]),
    ("high", [7, 21, 35, 49, 63, 77, 91, 105, 119]),
])
def test_pregnancy_by_risk_group_until_delivery(db, risk, days):
    assert _days(Reason.PREGNANCY, risk, end=date(2026, 5, 31)) == days


@pytest.mark.parametrize(("reason", "count", "first_late_after"), [
    (Reason.DISABLED, 4, 14), (Reason.BEDRIDDEN, 12, 7)])
def test_lists_quarterly_and_monthly(db, reason, count, first_late_after):
    dues = due_dates(VisitRule.objects.filter(reason=reason), BORN)
    assert len(dues) == count
    assert dues[0].due_on == BORN
    assert (dues[0].overdue_after - BORN).days == first_late_after


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 15), 3, date(2027, 2, 15)), (date(2026, 5, 5), 0, date(2026, 5, 5))])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_an_edited_rule_changes_the_plan(db):
    VisitRule.objects.filter(reason=Reason.PREGNANCY, risk_group="low").update(every=28)
    assert _days(Reason.PREGNANCY, "low", end=date(2026, 3, 31)) == [7, 35]
