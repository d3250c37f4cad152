"""A released result as a printable PDF on A4 (dmed.pdf: fpdf2 and the portal's font)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from clinics.labs.models import Flag, LabResult
from dmed.pdf import FONTS, new_document
from dmed.pdf import when as _when
from patients.identifiers import format_med_id

__all__ = ["COLUMN_WIDTHS", "FONTS", "result_pdf"]
# Millimetres across A4's 190 mm between margins: the test name gets the most.
COLUMN_WIDTHS = (62, 30, 28, 42, 28)


def result_pdf(result: LabResult, history: list[LabResult]) -> bytes:
    order = result.item.order
    card = result.card
    pdf = new_document("A4", margin=10, title=f"{result.test.code} {format_med_id(card.med_id)}")
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, _("Laboratory result"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, order.laboratory.name, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    facts = [
        (_("Patient"), card.full_name),
        ("MED-ID", format_med_id(card.med_id)),
        (_("birth date"), card.birth_date.strftime("%d.%m.%Y") if card.birth_date else "—"),
        (_("sex"), card.get_sex_display() or "—"),
        (_("ordered by"), f"{order.ordered_by.full_name}, {order.ordering_facility.name}"),
        (_("sampled at"), _when(result.sampled_at)),
        (_("released at"), _when(result.released_at)),
        (_("verified by"), result.verified_by.full_name if result.verified_by else "—"),
    ]
    for label, value in facts:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(45, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    # A table whose cells wrap: a header ("o‘lchov birligi", "me’yoriy oraliq") or a long
    # test name grows its row instead of running into the next column.
    with pdf.table(col_widths=COLUMN_WIDTHS, line_height=5.5, padding=1.5,
                   first_row_as_headings=True,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 242, 238))) as table:
        table.row([_("test"), _("value"), _("unit"), _("reference range"), _("flag")])
        pdf.set_font("DejaVu", "B" if result.flag != Flag.NORMAL else "", 10)
        table.row([result.test.name, result.value_text, result.unit, result.reference_text,
                   result.get_flag_display()])
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 9)
    if result.corrects_id:
        pdf.multi_cell(0, 5, _("Corrected result, version %(version)s. Reason: %(reason)s")
                       % {"version": result.version, "reason": result.correction_reason},
                       new_x="LMARGIN", new_y="NEXT")
    if result.comment:
        pdf.multi_cell(0, 5, result.comment, new_x="LMARGIN", new_y="NEXT")
    earlier = [r for r in history if r.pk != result.pk and r.sampled_at < result.sampled_at]
    if earlier:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(0, 6, _("Earlier results"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for previous in earlier[-10:]:
            pdf.multi_cell(0, 5, f"{_when(previous.sampled_at)}   {previous.value_text} "
                                 f"{previous.unit}   {previous.get_flag_display()}",
                           new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, _("Printed from DMED on %(when)s") % {"when": _when(timezone.now())})
    return bytes(pdf.output())
