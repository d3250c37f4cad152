"""The one place a result's flag is computed, from the range that matches the patient.

Limits belong to the milder side: a value equal to the lower limit is normal, a value
equal to the critical low limit is low (not yet critical). Ages are completed months on
the day of sampling, so a band "from 18 years" starts on the 18th birthday.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinics.labs.models import Flag, LabTest, ReferenceRange


@dataclass(frozen=True)
class Limits:
    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None

    @classmethod
    def of(cls, reference: ReferenceRange | None) -> "Limits":
        if reference is None:
            return cls()
        return cls(reference.low, reference.high, reference.critical_low,
                   reference.critical_high)

    @property
    def known(self) -> bool:
        return self.low is not None or self.high is not None


def age_in_months(birth_date: date, on: date) -> int:
    """Completed months of life on a day (a month is complete on its day number)."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if on.day < birth_date.day:
        months -= 1
    return max(months, 0)


def matching_range(test: LabTest, *, sex: str, birth_date: date | None,
                   sampled_on: date) -> ReferenceRange | None:
    """The range of this test for the patient's sex and age on the sampling day, if any."""
    if not sex or birth_date is None:
        return None
    months = age_in_months(birth_date, sampled_on)
    ranges = getattr(test, "prefetched_ranges", None)
    if ranges is None:
        ranges = test.ranges.all()
    for reference in ranges:
        if (reference.sex == sex and reference.age_from_months <= months
                and (reference.age_to_months is None or months < reference.age_to_months)):
            return reference
    return None


def flag_for(value: Decimal, limits: Limits) -> str:
    if not limits.known:
        return Flag.NO_RANGE
    if limits.critical_low is not None and value < limits.critical_low:
        return Flag.CRITICAL_LOW
    if limits.critical_high is not None and value > limits.critical_high:
        return Flag.CRITICAL_HIGH
    if limits.low is not None and value < limits.low:
        return Flag.LOW
    if limits.high is not None and value > limits.high:
        return Flag.HIGH
    return Flag.NORMAL
