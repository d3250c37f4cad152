"""Growth charts drawn on the server as SVG: the WHO standard's lines at -3, -2, 0, +2
and +3 SD and the child's measurements, each flagged like its z-score (mch.growth).

The lines are what `rcpchgrowth` gives (`write_who_centiles` writes them, per sex and
measure, to mch/data/who_centiles.json, and a test checks the file against the library):
the pages read that file, so a web process never loads the library's numpy and scipy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from mch.growth import METHODS, GrowthFlag, flag

CENTILES_FILE = Path(__file__).resolve().parent / "data" / "who_centiles.json"
CHART_SDS = (-3, -2, 0, 2, 3)
# Monthly to five years (the WHO 2006 standard), then quarterly to 19 (the 2007 reference).
CHART_MONTHS = (*range(61), *range(63, 229, 3))
DAYS_PER_MONTH = 365.25 / 12
# The drawing, in SVG units; the page scales it to the screen.
WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 36


def compute_centile_lines() -> dict:
    """{"<sex>:<measure>": {"<sds>": [[month, value], …]}} from rcpchgrowth; ages the
    reference does not cover (head circumference after five) are left out."""
    from rcpchgrowth.global_functions import measurement_from_sds

    lines: dict = {}
    for sex in ("male", "female"):
        for method in METHODS.values():
            by_sds = lines.setdefault(f"{sex}:{method}", {})
            for sds in CHART_SDS:
                points = []
                for month in CHART_MONTHS:
                    try:
                        value = measurement_from_sds(reference="who", requested_sds=sds,
                                                     measurement_method=method, sex=sex,
                                                     age=month / 12)
                    except LookupError:
                        continue
                    if value is not None:
                        points.append([month, round(value, 3)])
                by_sds[str(sds)] = points
    return lines


@lru_cache(maxsize=1)
def centile_lines() -> dict:
    return json.loads(CENTILES_FILE.read_text())


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: object
    measured_on: date
    sds: float | None
    flag: GrowthFlag


@dataclass(frozen=True)
class Tick:
    at: float  # x or y in the drawing
    label: str


@dataclass(frozen=True)
class Chart:
    measure: str  # "weight", "height" or "ofc" (rcpchgrowth's names)
    lines: list[tuple[int, str]]  # (sds, the polyline's points)
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    in_years: bool  # the age axis: months to five years, years after
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT


def _span_months(age_months: float, last_month: int) -> int:
    """The chart's width: the first two years, the first five, or to a year past now."""
    for span in (24, 60):
        if age_months <= span:
            return min(span, last_month)
    return min(last_month, math.ceil(age_months / 12) * 12 + 12)


def _nice_step(extent: float) -> float:
    raw = extent / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= raw)


def chart(*, sex: str, birth_date: date, field: str, measurements) -> Chart | None:
    """The chart of one measure (a GrowthMeasurement field: weight_kg, length_cm,
    head_circumference_cm) of a child, or None when nothing of it was measured or the
    reference does not cover the child's sex."""
    method = METHODS[field]
    measured = [m for m in measurements if getattr(m, field) is not None]
    reference = centile_lines().get(f"{sex}:{method}")
    if not measured or not reference:
        return None
    last_month = max(month for points in reference.values() for month, _value in points)
    age = max((m.measured_on - birth_date).days for m in measured) / DAYS_PER_MONTH
    span = _span_months(age, last_month)
    shown = {int(sds): [(month, value) for month, value in points if month <= span]
             for sds, points in reference.items()}
    values = [float(getattr(m, field)) for m in measured
              if (m.measured_on - birth_date).days / DAYS_PER_MONTH <= span]
    low = min([value for points in shown.values() for _month, value in points] + values)
    high = max([value for points in shown.values() for _month, value in points] + values)
    step = _nice_step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step

    def x(month: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * month / span, 1)

    def y(value: float) -> float:
        return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (value - low) / (high - low), 1)

    sds_field = {"weight_kg": "weight_sds", "length_cm": "length_sds",
                 "head_circumference_cm": "head_circumference_sds"}[field]
    points = []
    for m in measured:
        month = (m.measured_on - birth_date).days / DAYS_PER_MONTH
        if month > span:
            continue
        sds = getattr(m, sds_field)
        points.append(Point(x(month), y(float(getattr(m, field))), getattr(m, field),
                            m.measured_on, sds, flag(sds)))
    x_step = 2 if span <= 24 else 6 if span <= 60 else 12
    label = (lambda month: str(month)) if span <= 60 else (lambda month: str(month // 12))
    return Chart(
        measure=method,
        lines=[(sds, " ".join(f"{x(month)},{y(value)}" for month, value in line))
               for sds, line in sorted(shown.items())],
        points=points,
        x_ticks=[Tick(x(month), label(month)) for month in range(0, span + 1, x_step)],
        y_ticks=[Tick(y(low + index * step), f"{low + index * step:g}")
                 for index in range(round((high - low) / step) + 1)],
        in_years=span > 60)
