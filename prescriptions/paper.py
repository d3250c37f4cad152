"""The prescription slip (A6) and the pharmacy receipt (80 mm roll) as PDF, with the same
texts as their print pages (templates/prescriptions/slip.html, receipt_print.html)."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from dmed.pdf import A6, FONT, facts, new_document, on_roll, paragraph, qr_code, when
from patients.identifiers import format_med_id
from prescriptions.codes import format_code
from prescriptions.models import Dispensing, Prescription, PrescriptionItem

SLIP_MARGIN = 7
SLIP_QR = 34  # mm: scanned from paper at arm's length


def _day(moment) -> str:
    return date_format(moment, "d.m.Y") if moment else "—"


def slip_pdf(prescription: Prescription, items: list[PrescriptionItem], qr: str) -> bytes:
    """`qr` is the signed payload, empty when the prescription can no longer be dispensed."""
    code = format_code(prescription.code)
    pdf = new_document(A6, margin=SLIP_MARGIN, title=f"{_('Prescription')} {code}")
    text_width = pdf.epw - (SLIP_QR + 2 if qr else 0)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(text_width, 4, f"DMED · {_('E-prescription')}", new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y()
    if qr:
        qr_code(pdf, qr, size=SLIP_QR, x=pdf.w - SLIP_MARGIN - SLIP_QR, y=top - 4, error="l")
    pdf.set_font(FONT, "", 7)
    paragraph(pdf, _("Prescription code"), 3.5, width=text_width)
    pdf.set_font(FONT, "B", 18)
    pdf.cell(text_width, 9, code, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 7.5)
    status = prescription.get_status_display()
    if prescription.is_repeat:
        status += " · " + _("issue %(n)s of %(total)s") % {
            "n": prescription.issue_number, "total": prescription.issues_total}
    paragraph(pdf, status, 3.6, width=text_width)
    pdf.set_y(max(pdf.get_y(), top + (SLIP_QR - 2 if qr else 0)) + 1.5)
    diagnosis = f"{prescription.diagnosis_id} {prescription.diagnosis.title}" \
        if prescription.diagnosis_id else "—"
    facts(pdf, [
        (_("patient"), f"{prescription.patient.full_name} · MED-ID "
                       f"{format_med_id(prescription.patient.med_id)}"),
        (_("diagnosis (ICD-10)"), diagnosis),
        (_("prescriber"), f"{prescription.prescriber.get_full_name()}, "
                          f"{prescription.facility.name}"),
        (_("issued"), _day(prescription.issued_at)),
        (_("valid"), f"{_day(prescription.available_from)} — {_day(prescription.valid_until)}"),
    ], label_width=26, size=7.5)
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 9)
    paragraph(pdf, _("Medicines and how to take them"), 4.5)
    for number, item in enumerate(items, start=1):
        _medicine(pdf, number, item)
    pdf.ln(1.5)
    pdf.set_font(FONT, "", 6.5)
    paragraph(pdf, _("Show the QR code or tell the code at any pharmacy; the pharmacist will "
                     "ask the last four digits of your PINFL or your birth date."), 3.2)
    return bytes(pdf.output())


def _medicine(pdf: FPDF, number: int, item: PrescriptionItem) -> None:
    drug = item.drug
    pdf.set_font(FONT, "B", 7.5)
    pieces = _("%(quantity)s pcs") % {"quantity": item.quantity}
    paragraph(pdf, f"{number}. {drug.inn} {drug.strength}, {drug.get_dosage_form_display()}"
                   f" — {pieces}", 3.6)
    how = ", ".join(part for part in (item.dosage, item.frequency, item.route) if part)
    if item.duration_days:
        how += " · " + ngettext("%(days)s day", "%(days)s days", item.duration_days) % {
            "days": item.duration_days}
    pdf.set_font(FONT, "", 7.5)
    pdf.set_x(pdf.l_margin + 3)
    paragraph(pdf, how, 3.6)
    if item.instructions:
        pdf.set_x(pdf.l_margin + 3)
        paragraph(pdf, item.instructions, 3.6)
    pdf.ln(0.8)


# Millimetres of the receipt's table across the roll's 72: the medicine gets the most.
RECEIPT_COLUMNS = (38, 17, 17)


def receipt_pdf(dispensing: Dispensing, lines) -> bytes:
    code = format_code(dispensing.prescription.code)

    def draw(pdf: FPDF) -> None:
        pdf.set_font(FONT, "B", 9)
        paragraph(pdf, dispensing.pharmacy.name, 4.5, align="C")
        pdf.set_font(FONT, "B", 12)
        pdf.cell(0, 7, _("Receipt"), align="C", new_x="LMARGIN", new_y="NEXT")
        facts(pdf, [
            (_("prescription"), code),
            (_("patient"), dispensing.prescription.patient.full_name),
            (_("dispensed"), when(dispensing.dispensed_at)),
            (_("pharmacist"), dispensing.pharmacist.get_full_name()
             if dispensing.pharmacist else "—"),
        ], label_width=24, size=8)
        pdf.ln(1)
        pdf.set_font(FONT, "", 8)
        with pdf.table(col_widths=RECEIPT_COLUMNS, width=sum(RECEIPT_COLUMNS), line_height=4,
                       padding=0.8, text_align=("LEFT", "RIGHT", "RIGHT"),
                       first_row_as_headings=True) as table:
            table.row([_("medicine"), _("given"), _("left")])
            for line in lines:
                table.row([f"{line.item.drug.inn} {line.item.drug.strength}",
                           str(line.quantity), str(line.remaining_after)])
        pdf.ln(2)
        paragraph(pdf, f"{_('status')}: {dispensing.get_status_after_display()}", 4)
        pdf.set_font(FONT, "", 6)
        paragraph(pdf, f"DMED · {dispensing.public_id}", 3, align="C")

    return on_roll(f"{_('Receipt')} {code}", draw)
