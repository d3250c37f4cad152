"""Printed documents as PDF (fpdf2: pure Python, no system libraries), on the paper each is
printed on: A4 (lab results), A6 (the prescription slip), the 80 mm thermal roll (queue
ticket, pharmacy receipt).

The DejaVu Sans font ships beside this module (free licence in fonts/LICENSE.txt), so
Uzbek in both scripts and Russian print the same on every machine.
"""

import io
from collections.abc import Callable
from pathlib import Path

import segno
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
A6 = (105, 148)
ROLL_WIDTH = 80  # mm; thermal printers print the middle 72
ROLL_MARGIN = 4


def wants_pdf(request) -> bool:
    """A print page answers as PDF to ?format=pdf (its "PDF" link, templates/paper.html)."""
    return request.GET.get("format") == "pdf"


def pdf_response(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def new_document(size, *, margin: float, title: str) -> FPDF:
    """A document with the portal's font, `size` a paper name ("A4") or (width, height)
    in millimetres."""
    pdf = FPDF(format=size)
    pdf.set_title(title)
    pdf.set_author("DMED")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(True, margin)
    pdf.add_page()
    return pdf


def when(moment) -> str:
    """A moment as people read it in their language, in Tashkent time."""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


def paragraph(pdf: FPDF, text: str, height: float, *, width: float = 0,
              align: str = "L") -> None:
    """Text wrapped within `width` (0: to the right margin), left-aligned unless told: a
    justified line would stretch its spaces across a narrow roll."""
    pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def facts(pdf: FPDF, rows: list[tuple[str, str]], *, label_width: float, size: float) -> None:
    """Label and value pairs; a long value wraps within its own column."""
    for label, value in rows:
        top = pdf.get_y()
        pdf.set_font(FONT, "B", size)
        pdf.multi_cell(label_width - 1, size * 0.5, label, align="L", new_x="LMARGIN",
                       new_y="NEXT")
        label_bottom = pdf.get_y()
        pdf.set_xy(pdf.l_margin + label_width, top)
        pdf.set_font(FONT, "", size)
        pdf.multi_cell(0, size * 0.5, value or "—", align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), label_bottom) + 0.8)


def qr_code(pdf: FPDF, text: str, *, size: float, x: float, y: float,
            error: str = "m") -> None:
    """The QR code of `text`, `size` millimetres square at (x, y)."""
    image = io.BytesIO()
    segno.make(text, error=error).save(image, kind="png", scale=10, border=2)
    image.seek(0)
    pdf.image(image, x=x, y=y, w=size, h=size)


def on_roll(title: str, draw: Callable[[FPDF], None]) -> bytes:
    """A document for the 80 mm roll, as long as what `draw` writes: drawn once on a long
    page to measure it, then on a page cut to that length."""
    measuring = new_document((ROLL_WIDTH, 1000), margin=ROLL_MARGIN, title=title)
    draw(measuring)
    pdf = new_document((ROLL_WIDTH, measuring.get_y() + ROLL_MARGIN), margin=ROLL_MARGIN,
                       title=title)
    draw(pdf)
    return bytes(pdf.output())
