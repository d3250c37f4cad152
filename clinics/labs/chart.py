"""A repeated test's history as a small inline SVG: no script, prints and reads on a phone."""

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from clinics.labs.models import Flag

WIDTH, HEIGHT, PAD_X, PAD_Y = 320, 120, 34, 14
FLAG_COLOURS = {Flag.NORMAL: "#2e7d32", Flag.LOW: "#e08a00", Flag.HIGH: "#e08a00",
                Flag.CRITICAL_LOW: "#c62828", Flag.CRITICAL_HIGH: "#c62828",
                Flag.NO_RANGE: "#555"}


def history_svg(results: list, *, label: str) -> SafeString:
    """Values in time order as a line with dots coloured by flag, over the reference band
    of the newest result. `results` are released versions, oldest first."""
    if len(results) < 2:
        return mark_safe("")  # noqa: S308 — a constant empty string
    latest = results[-1]
    values = [float(r.value) for r in results]
    limits = [float(x) for x in (latest.reference_low, latest.reference_high) if x is not None]
    low, high = min(values + limits), max(values + limits)
    span = (high - low) or 1.0
    low, high = low - span * 0.1, high + span * 0.1
    first, last = results[0].sampled_at.timestamp(), results[-1].sampled_at.timestamp()

    def x(result) -> float:
        share = (result.sampled_at.timestamp() - first) / ((last - first) or 1)
        return round(PAD_X + share * (WIDTH - 2 * PAD_X), 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD_Y - (value - low) / (high - low) * (HEIGHT - 2 * PAD_Y), 1)

    band = ""
    if latest.reference_low is not None or latest.reference_high is not None:
        top = y(float(latest.reference_high) if latest.reference_high is not None else high)
        bottom = y(float(latest.reference_low) if latest.reference_low is not None else low)
        band = format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="#e8f5e9"/>',
                           PAD_X, top, WIDTH - 2 * PAD_X, round(bottom - top, 1))
    points = " ".join(f"{x(r)},{y(float(r.value))}" for r in results)
    dots = format_html_join(
        "", '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}: {} {}</title></circle>',
        ((x(r), y(float(r.value)), FLAG_COLOURS[r.flag],
          date_format(r.sampled_at, "SHORT_DATE_FORMAT"), r.value.normalize(), r.unit)
         for r in results))
    return format_html(
        '<svg class="history" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
        'xmlns="http://www.w3.org/2000/svg">{band}'
        '<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="2"/>{dots}'
        '<text x="2" y="{ty}" font-size="10">{top}</text>'
        '<text x="2" y="{by}" font-size="10">{bottom}</text></svg>',
        w=WIDTH, h=HEIGHT, label=label, band=band, points=points, dots=dots,
        ty=PAD_Y, top=round(high, 1), by=HEIGHT - PAD_Y + 10, bottom=round(low, 1))
