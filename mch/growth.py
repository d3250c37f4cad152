"""WHO child growth standard z-scores (SDS), computed by the RCPCH's `rcpchgrowth` library
(the WHO 2006 standard under five, the WHO 2007 reference after), never by tables of our
own. Imported only when a measurement is written: the library loads numpy and scipy,
and the pages read the scores stored with each measurement.
"""

from __future__ import annotations

import enum
from datetime import date

# rcpchgrowth's names of what is measured.
METHODS = {"weight_kg": "weight", "length_cm": "height", "head_circumference_cm": "ofc"}


class GrowthFlag(enum.StrEnum):
    NORMAL = "normal"
    FLAG = "flag"  # beyond ±2 SD: look again, and at the trend
    URGENT = "urgent"  # beyond ±3 SD: act now


def flag(sds: float | None) -> GrowthFlag:
    if sds is None or abs(sds) <= 2:
        return GrowthFlag.NORMAL
    return GrowthFlag.URGENT if abs(sds) > 3 else GrowthFlag.FLAG


def z_scores(*, sex: str, birth_date: date, measured_on: date,
             values: dict[str, float | None]) -> tuple[dict[str, float | None], dict[str, str]]:
    """The SDS of each value given (field → value), and the library's message for each
    value it cannot score (an age outside the reference, an impossible value)."""
    from rcpchgrowth import Measurement

    scores, errors = {}, {}
    for field, value in values.items():
        if value is None:
            scores[field] = None
            continue
        try:
            result = Measurement(sex=sex, birth_date=birth_date, observation_date=measured_on,
                                 measurement_method=METHODS[field],
                                 observation_value=float(value), reference="who").measurement
        except ValueError as error:  # rcpchgrowth's refusal of the inputs, in words
            errors[field] = str(error)
            continue
        calculated = result["measurement_calculated_values"]
        problem = calculated.get("chronological_measurement_error") or \
            result["measurement_dates"].get("chronological_date_calculation_error")
        if problem or calculated["chronological_sds"] is None:
            errors[field] = problem or "no score"
            continue
        scores[field] = round(calculated["chronological_sds"], 2)
    return scores, errors
