"""What a PDF of the portal draws, read back with pypdf: each run of text, where, how wide
(measured with the portal's font, as dmed.pdf drew it), to prove nothing runs into
anything else and every word stays on the paper."""

import io
from dataclasses import dataclass

from fpdf import FPDF
from pypdf import PdfReader

from dmed.pdf import FONT, FONTS

MM = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class Run:
    text: str
    left: float  # points from the page's left edge
    baseline: float  # points from the page's bottom edge
    size: float
    width: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.baseline - 0.22 * self.size  # DejaVu's descent

    @property
    def top(self) -> float:
        return self.baseline + 0.76 * self.size  # and its capital height with accents


def _metrics() -> FPDF:
    metrics = FPDF()
    metrics.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    metrics.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    return metrics


def drawn_runs(document: bytes) -> tuple[list[Run], tuple[float, float]]:
    """The text runs of the first page, and the page's (width, height) in points."""
    page = PdfReader(io.BytesIO(document)).pages[0]
    metrics = _metrics()
    runs = []

    def visit(text, cm, tm, font, size):
        if not text.strip() or not font:
            return
        metrics.set_font(FONT, "B" if "Bold" in str(font.get("/BaseFont")) else "", size)
        # get_string_width answers in millimetres, the page's unit; k is points per unit.
        runs.append(Run(text.strip(), tm[4], tm[5], size,
                        metrics.get_string_width(text.strip()) * metrics.k))

    page.extract_text(visitor_text=visit)
    return runs, (float(page.mediabox.width), float(page.mediabox.height))


def layout_problems(document: bytes, *, margin_mm: float) -> list[str]:
    """Runs that overlap another or cross the margins."""
    runs, (width, height) = drawn_runs(document)
    margin = margin_mm * MM
    problems = [f"{run.text!r} crosses the margin" for run in runs
                if run.left < margin - 0.5 or run.right > width - margin + 0.5
                or run.bottom < 0 or run.top > height]
    for index, run in enumerate(runs):
        for other in runs[index + 1:]:
            across = min(run.right, other.right) - max(run.left, other.left)
            down = min(run.top, other.top) - max(run.bottom, other.bottom)
            if across > 0.5 and down > 0.5:
                problems.append(f"{run.text!r} overlaps {other.text!r}")
    return problems
