"""Queue pages: the desk, the board, registrar booking and walk-in, the patient's own.
Thin: services and selectors decide."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dmed.pdf import pdf_response, wants_pdf
from dmed.roles import Role
from patients.access import FACILITY_ROLES, card_for
from queues import selectors, services
from queues.forms import KioskForm, SlotSearchForm, TransferForm, WalkInForm
from queues.models import ServicePointKind, TicketStatus
from queues.paper import ticket_pdf
from registry.models import Facility

DESK_ACTIONS = {"recall": services.recall, "no-show": services.mark_no_show,
                "complete": services.complete}


def _staff_only(user):
    if user.role not in FACILITY_ROLES:
        raise PermissionDenied


def _own_card(user):
    if user.role != Role.PATIENT or not hasattr(user, "patient_card"):
        raise PermissionDenied
    return user.patient_card


def _form_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, str(error.args[0]) if error.args else _("Not allowed."))


# --- staff ---

@login_required
def index(request):
    """The facility's service points: open a desk or the board, issue and book."""
    _staff_only(request.user)
    points = list(selectors.facility_service_points(request.user))
    facility = points[0].facility if points else None
    return render(request, "queue/index.html", {"points": points, "facility": facility})


def _desk_context(request, point):
    desk = selectors.desk(request.user, point, seen=request.session)
    return {"desk": desk, "point": point,
            "transfer_form": TransferForm(points=selectors.service_points(
                facility_code=point.facility.code).exclude(pk=point.pk))}


@login_required
def desk(request, point_id):
    point = selectors.service_point_for(point_id)
    return render(request, "queue/desk.html", _desk_context(request, point))


@login_required
def desk_line(request, point_id):
    """The live part of the desk, polled by htmx."""
    point = selectors.service_point_for(point_id)
    return render(request, "queue/_desk_line.html", _desk_context(request, point))


@login_required
@require_POST
def call_next(request, point_id):
    point = selectors.service_point_for(point_id)
    try:
        ticket = services.call_next(actor=request.user, service_point=point,
                                    desk=point.room)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("queue:desk", point_id=point.public_id)
    if ticket is None:
        messages.info(request, _("Nobody is waiting."))
    else:
        messages.success(request, _("Called %(number)s.") % {"number": ticket.display_number})
    return redirect("queue:desk", point_id=point.public_id)


@login_required
@require_POST
def desk_action(request, ticket_id, action):
    ticket = selectors.ticket_for(request.user, ticket_id, record_success=False)
    try:
        if action == "transfer":
            form = TransferForm(request.POST, points=selectors.service_points(
                facility_code=ticket.service_point.facility.code))
            if not form.is_valid():
                raise ValidationError(_("Choose where to send the patient."))
            moved = services.transfer(actor=request.user, ticket_id=ticket_id,
                                      to=form.cleaned_data["to"])
            messages.success(request, _("%(number)s sent on as %(new)s.") % {
                "number": ticket.display_number, "new": moved.display_number})
        elif action in DESK_ACTIONS:
            done = DESK_ACTIONS[action](actor=request.user, ticket_id=ticket_id)
            if done.visit_id:
                # The desk's forms post plainly (no htmx), so an ordinary redirect takes
                # the clinician straight to the visit that completing opened.
                return redirect("clinics:visit-edit", public_id=done.visit.public_id)
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("queue:desk", point_id=ticket.service_point.public_id)


@login_required
def walk_in(request):
    """The registrar (or any member of staff at the desk) issues a walk-in ticket."""
    _staff_only(request.user)
    # "Issue a ticket for today" on a card found outside scope names its MED-ID.
    form = WalkInForm(request.POST or None, points=selectors.facility_service_points(request.user),
                      initial={"med_id": request.GET.get("med_id", "")[:16]})
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.issue_ticket(actor=request.user,
                                           service_point=form.cleaned_data["service_point"],
                                           med_id=form.cleaned_data["med_id"] or None,
                                           priority=form.cleaned_data["priority"])
        except (ValidationError, PermissionDenied, Http404) as error:
            _form_errors(form, error if not isinstance(error, Http404)
                         else ValidationError({"med_id": _("No card has this MED-ID.")}))
        else:
            return redirect("queue:ticket", ticket_id=ticket.public_id)
    return render(request, "queue/walk_in.html", {"form": form})


def _booking(request, *, points, for_staff: bool, card=None):
    """Look for free slots and book one; shared by registrars and patients."""
    form = SlotSearchForm(request.GET or None, points=points, for_staff=for_staff)
    slots = None
    if form.is_valid():
        slots = selectors.slots(form.cleaned_data["service_point"], form.cleaned_data["date"])
    if request.method == "POST":
        form = SlotSearchForm(request.POST, points=points, for_staff=for_staff)
        starts_at = request.POST.get("starts_at", "")
        if form.is_valid():
            med_id = card.med_id if card else form.cleaned_data["med_id"]
            try:
                appointment = services.book_appointment(
                    actor=request.user, service_point=form.cleaned_data["service_point"],
                    med_id=med_id, starts_at=_parse_moment(starts_at))
            except (ValidationError, PermissionDenied, services.SlotTaken, Http404) as error:
                _form_errors(form, error if not isinstance(error, Http404)
                             else ValidationError({"med_id": _("No card has this MED-ID.")}))
                slots = selectors.slots(form.cleaned_data["service_point"],
                                        form.cleaned_data["date"])
            else:
                messages.success(request, _("Booked for %(when)s.") % {
                    "when": timezone.localtime(appointment.starts_at).strftime("%d.%m.%Y %H:%M")})
                return redirect("queue:my-queue" if card else "queue:book")
    return render(request, "queue/book.html", {"form": form, "slots": slots,
                                               "for_staff": for_staff, "points": points})


def _parse_moment(value: str):
    from django.utils.dateparse import parse_datetime

    try:
        moment = parse_datetime(value or "")
    except ValueError:  # well formed but no such moment: 2026-13-40T25:00
        moment = None
    if moment is None:
        raise ValidationError({"starts_at": [_("Choose a slot.")]})
    return moment


@login_required
def book(request):
    _staff_only(request.user)
    return _booking(request, points=selectors.facility_service_points(request.user),
                    for_staff=True)


# --- the board (public) ---

def _board_context(code: str) -> dict:
    facility = get_object_or_404(Facility, code=code, is_active=True)
    return {"facility": facility, "board": selectors.board(facility=facility)}


def board(request, code):
    context = _board_context(code)
    with translation.override(context["facility"].language):
        return render(request, "queue/board.html", context)


def board_live(request, code):
    context = _board_context(code)
    with translation.override(context["facility"].language):
        return render(request, "queue/_board_live.html", context)


# --- patients, and the ticket page staff also open ---

@login_required
def ticket(request, ticket_id):
    return render(request, "queue/ticket.html",
                  {"progress": selectors.ticket_progress(request.user, ticket_id)})


@login_required
def ticket_print(request, ticket_id):
    """The ticket on an 80 mm roll: number, room, time, people ahead and a QR of the live
    ticket page, which the patient follows on a phone."""
    progress = selectors.ticket_progress(request.user, ticket_id)
    live = request.build_absolute_uri(reverse("queue:ticket", args=[progress.ticket.public_id]))
    if wants_pdf(request):
        return pdf_response(ticket_pdf(progress, live), f"{progress.ticket.display_number}.pdf")
    return render(request, "queue/ticket_print.html", {
        "progress": progress,
        "qr": segno.make(live, error="m").svg_inline(border=2, omitsize=True)})


@login_required
def ticket_live(request, ticket_id):
    return render(request, "queue/_ticket_live.html",
                  {"progress": selectors.ticket_progress(request.user, ticket_id)})


@login_required
def my_queue(request):
    card = card_for(request.user, _own_card(request.user).med_id).card
    return render(request, "queue/my_queue.html",
                  {"card": card, **selectors.patient_queue(request.user, card),
                   "today": timezone.localdate(), "waiting": TicketStatus.WAITING})


@login_required
def my_booking(request):
    card = _own_card(request.user)
    return _booking(request, points=selectors.service_points().filter(
        pk__in=[p.pk for p in selectors.bookable_points(request.user, card)]),
        for_staff=False, card=card)


@login_required
@require_POST
def my_appointment_action(request, appointment_id, action):
    _own_card(request.user)
    try:
        if action == "cancel":
            services.cancel_appointment(actor=request.user, appointment_id=appointment_id)
            messages.success(request, _("The appointment is cancelled."))
        elif action == "check-in":
            ticket = services.check_in(actor=request.user, appointment_id=appointment_id)
            return redirect("queue:ticket", ticket_id=ticket.public_id)
        else:
            raise Http404
    except (ValidationError, services.SlotTaken) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("queue:my-queue")


@login_required
def my_move(request, appointment_id):
    """Pick a new slot for a booked appointment (the same service point)."""
    _own_card(request.user)
    if request.method == "POST":
        try:
            services.move_appointment(actor=request.user, appointment_id=appointment_id,
                                      starts_at=_parse_moment(request.POST.get("starts_at")))
        except (ValidationError, services.SlotTaken) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The appointment is moved."))
            return redirect("queue:my-queue")
    appointment = selectors.appointment_for(request.user, appointment_id)
    try:
        day = selectors.parse_day(request.GET.get("date") or appointment.day.isoformat())
    except ValidationError:
        day = appointment.day
    return render(request, "queue/move.html", {
        "appointment": appointment, "day": day,
        "slots": selectors.slots(appointment.service_point, day)})


@login_required
def kiosk(request):
    """A patient takes a walk-in ticket for themselves at their polyclinic."""
    card = _own_card(request.user)
    points = selectors.service_points().filter(
        facility_id=card.attached_facility_id).exclude(kind=ServicePointKind.DOCTOR_ROOM)
    form = KioskForm(request.POST or None, points=points)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.issue_ticket(actor=request.user,
                                           service_point=form.cleaned_data["service_point"],
                                           med_id=card.med_id)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("queue:ticket", ticket_id=issued.public_id)
    return render(request, "queue/kiosk.html", {"form": form})
