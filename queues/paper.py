"""The queue ticket on the 80 mm roll as PDF, with the texts of its print page
(templates/queue/ticket_print.html)."""

from django.utils.translation import gettext as _
from fpdf import FPDF

from dmed.pdf import FONT, ROLL_WIDTH, facts, on_roll, paragraph, qr_code, when
from queues.models import TicketStatus
from queues.selectors import TicketProgress

TICKET_QR = 36  # mm


def ticket_pdf(progress: TicketProgress, live_url: str) -> bytes:
    ticket = progress.ticket
    point = ticket.service_point

    def draw(pdf: FPDF) -> None:
        pdf.set_font(FONT, "B", 9)
        paragraph(pdf, point.facility.name, 4.5, align="C")
        pdf.set_font(FONT, "", 8)
        pdf.cell(0, 4.5, _("Ticket"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B", 30)
        pdf.cell(0, 14, ticket.display_number, align="C", new_x="LMARGIN", new_y="NEXT")
        where = point.name
        if point.room:
            where += " · " + _("room %(room)s") % {"room": point.room}
        rows = [(_("where"), where), (_("issued at"), when(ticket.issued_at))]
        if ticket.status == TicketStatus.WAITING:
            rows.append((_("ahead of you"), str(progress.ahead)))
        facts(pdf, rows, label_width=26, size=8.5)
        top = pdf.get_y() + 1
        qr_code(pdf, live_url, size=TICKET_QR, x=(ROLL_WIDTH - TICKET_QR) / 2, y=top)
        pdf.set_y(top + TICKET_QR + 1)
        pdf.set_font(FONT, "", 7.5)
        paragraph(pdf, _("Scan to follow your turn on your phone."), 3.6, align="C")

    return on_roll(f"{_('Ticket')} {ticket.display_number}", draw)
