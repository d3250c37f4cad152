"""Prescription pages: the clinician's (write, read, cancel), the patient's ("My
prescriptions") and the pharmacist's (verify, dispense, receipt). Thin: services and
selectors decide."""

import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dmed.pdf import pdf_response, wants_pdf
from dmed.roles import Role
from patients.access import CardAccessDenied
from patients.identifiers import format_med_id
from pharmacy_sync.selectors import stock_nearby
from prescriptions import selectors, services
from prescriptions.codes import format_code, normalise_code
from prescriptions.conflicts import PrescriptionConflict
from prescriptions.forms import (
    CancelForm,
    ItemFormSet,
    PharmacyLookupForm,
    PrescriptionForm,
    RefuseForm,
)
from prescriptions.paper import receipt_pdf, slip_pdf
from prescriptions.patient_checks import PatientCheckLocked

CHECKED = "rx_checked"  # session: code → the patient check the pharmacist passed


def _qr_svg(prescription, items, *, sized_by_css: bool = False) -> str:
    """The QR as inline SVG; `sized_by_css` leaves out width and height for a viewBox, so
    paper.css scales it to millimetres instead of cropping it."""
    return segno.make(selectors.qr_payload(prescription, items), error="l").svg_inline(
        scale=2, border=2, omitsize=sized_by_css)


def _rows(prescriptions, *, with_qr: bool = False, stock: dict | None = None) -> list[dict]:
    """Each prescription with its items as (item, state, pharmacies nearby with it); the
    pharmacies only where `stock` is given (stock_nearby) and the item can still be got."""
    today = timezone.localdate()
    rows = []
    for prescription in prescriptions:
        items = list(prescription.items.all())
        rows.append({
            "prescription": prescription, "code": format_code(prescription.code),
            "items": [(item, selectors.item_state(item, prescription, today),
                       _nearby(stock, prescription, item)) for item in items],
            "qr": _qr_svg(prescription, items) if with_qr and prescription.status in (
                "issued", "partially_dispensed") else "",
        })
    return rows


def _nearby(stock, prescription, item):
    district = prescription.patient.district_id
    if stock is None or district is None or not selectors.still_to_get(prescription, item):
        return None
    return stock.get((district, item.drug_id), [])


def _stock_nearby(prescriptions) -> dict:
    """Pharmacies of each patient's district reporting the medicines still to get: one
    query for the whole page."""
    return stock_nearby({(prescription.patient.district_id, item.drug_id)
                         for prescription in prescriptions for item in prescription.items.all()
                         if selectors.still_to_get(prescription, item)})


def _page(read, request, *args):
    """A list's page at the request's cursor; a cursor that is not one is a 400."""
    try:
        return read(request.user, *args, cursor=request.GET.get("cursor") or None)
    except ValidationError as error:
        raise BadRequest(" ".join(error.messages)) from error


def _field_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


# --- clinicians -----------------------------------------------------------------------


@login_required
def card_prescriptions(request, med_id):
    try:
        card, page = _page(selectors.prescriptions_of_card, request, med_id)
    except CardAccessDenied:
        return redirect("patients:card", med_id=med_id)
    return render(request, "prescriptions/card_list.html", {
        "card": card, "med_id": format_med_id(card.med_id), "rows": _rows(page.results),
        "next_cursor": page.next_cursor, "can_write": request.user.role == Role.CLINICIAN,
    })


@login_required
def write(request, med_id):
    """Write a prescription from the card, or from a visit (`?visit=<its id>`): the visit's
    primary diagnosis is filled in and the prescription records the visit."""
    if request.user.role != Role.CLINICIAN:
        raise PermissionDenied
    try:
        card, visit = selectors.card_to_prescribe_for(request.user, med_id,
                                                      visit=request.GET.get("visit") or None)
    except CardAccessDenied:
        return redirect("patients:card", med_id=med_id)
    form = PrescriptionForm(request.POST or None, initial={
        "diagnosis": selectors.primary_diagnosis(visit) if visit else ""})
    items = ItemFormSet(request.POST or None, prefix="items")
    warnings = []
    if request.method == "POST" and form.is_valid() and items.is_valid():
        try:
            prescription = services.issue_prescription(
                actor=request.user, patient=card.med_id,
                diagnosis=form.cleaned_data["diagnosis"], items=items.service_items(),
                repeats=form.cleaned_data["repeats"],
                interval_days=form.cleaned_data["interval_days"] or 0,
                acknowledge_allergies=form.cleaned_data["acknowledge_allergies"],
                visit=visit.public_id if visit else None)
        except services.AllergyWarningsPending as pending:
            warnings = pending.warnings
        except ValidationError as error:
            _field_errors(form, error)
        else:
            messages.success(request, _("Prescription %(code)s signed and issued.")
                             % {"code": format_code(prescription.code)})
            return redirect("prescriptions:detail", code=prescription.code)
    return render(request, "prescriptions/write.html", {
        "card": card, "med_id": format_med_id(card.med_id), "form": form, "items": items,
        "warnings": warnings, "visit": visit,
    })


@login_required
def detail(request, code):
    prescription = selectors.prescription_for_reader(request.user, code)
    row = _rows([prescription], with_qr=True)[0]
    return render(request, "prescriptions/detail.html", {
        **row, "cancel_form": CancelForm(),
        "can_cancel": (prescription.prescriber_id == request.user.pk
                       and prescription.status == "issued"),
    })


@login_required
def slip(request, code):
    """The prescription on A6 paper for the patient: the code large, the QR, the medicines,
    how to take them and how long it is valid."""
    prescription = selectors.prescription_for_reader(request.user, code)
    items = sorted(prescription.items.all(), key=lambda item: item.line)
    dispensable = prescription.status in ("issued", "partially_dispensed")
    if wants_pdf(request):
        return pdf_response(slip_pdf(prescription, items, selectors.qr_payload(
            prescription, items) if dispensable else ""), f"{prescription.code}.pdf")
    return render(request, "prescriptions/slip.html", {
        "prescription": prescription, "items": items, "code": format_code(prescription.code),
        "med_id": format_med_id(prescription.patient.med_id),
        "qr": _qr_svg(prescription, items, sized_by_css=True) if dispensable else ""})


@login_required
@require_POST
def cancel(request, code):
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_prescription(actor=request.user, code=normalise_code(code),
                                         reason=form.cleaned_data["reason"])
        except PrescriptionConflict as conflict:
            messages.error(request, conflict.message)
        else:
            messages.success(request, _("Prescription cancelled."))
    else:
        messages.error(request, _("Say why it is cancelled."))
    return redirect("prescriptions:detail", code=normalise_code(code))


# --- patients ----------------------------------------------------------------------------


@login_required
def mine(request):
    page = _page(selectors.my_prescriptions, request)
    return render(request, "prescriptions/mine.html", {
        "rows": _rows(page.results, with_qr=True, stock=_stock_nearby(page.results)),
        "next_cursor": page.next_cursor})


# --- pharmacists ---------------------------------------------------------------------------


def _pharmacy(request):
    return services.pharmacist_actor(request.user)


@login_required
def pharmacy_lookup(request):
    by = _pharmacy(request)
    form = PharmacyLookupForm(request.POST or None,
                              initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        code = normalise_code(form.cleaned_data["code"])
        try:
            selectors.prescription_for_pharmacy(
                by=by, code=code, patient_check=form.cleaned_data["patient_check"])
        except Http404:
            form.add_error(None, _("No prescription with this code for this patient. Check "
                                   "the code and the patient's details."))
        except PatientCheckLocked as locked:
            form.add_error(None, locked.message)
            status = 429
        else:
            request.session[CHECKED] = {code: form.cleaned_data["patient_check"]}
            return redirect("prescriptions:pharmacy-prescription", code=code)
    return render(request, "prescriptions/pharmacy_lookup.html",
                  {"form": form, "pharmacy": by.pharmacy}, status=status)


def _back_to_lookup(request, code, locked: PatientCheckLocked):
    """The code is locked for checks (too many wrong ones): the prescription is not shown."""
    messages.error(request, locked.message)
    return redirect(f"{reverse('prescriptions:pharmacy')}?code={code}")


def _checked(request, code):
    check = request.session.get(CHECKED, {}).get(code)
    if check is None:
        raise Http404
    return check


@login_required
def pharmacy_prescription(request, code):
    by = _pharmacy(request)
    code = normalise_code(code)
    try:
        check = _checked(request, code)
    except Http404:
        # The patient check is asked again (e.g. the session ended): start from the code.
        return redirect(f"{reverse('prescriptions:pharmacy')}?code={code}")
    try:
        prescription = selectors.prescription_for_pharmacy(by=by, code=code,
                                                           patient_check=check)
    except PatientCheckLocked as locked:
        return _back_to_lookup(request, code, locked)
    items = list(prescription.items.all())
    refusal = None
    try:
        selectors.check_dispensable(prescription, items)
    except PrescriptionConflict as conflict:
        refusal = conflict.message
    return render(request, "prescriptions/pharmacy_prescription.html", {
        **_rows([prescription])[0], "refusal": refusal, "pharmacy": by.pharmacy,
        "idempotency_key": uuid.uuid4(), "refuse_form": RefuseForm(),
        "open_items": [i for i in items if i.status in ("to_dispense", "partly_dispensed",
                                                        "not_dispensed")],
    })


@login_required
@require_POST
def pharmacy_dispense(request, code):
    by = _pharmacy(request)
    code = normalise_code(code)
    check = _checked(request, code)
    lines = []
    for name, value in request.POST.items():
        if name.startswith("quantity-") and value.strip():
            try:
                quantity = int(value)
            except ValueError:
                messages.error(request, _("Quantities are whole numbers."))
                return redirect("prescriptions:pharmacy-prescription", code=code)
            if quantity:
                lines.append({"item": int(name.removeprefix("quantity-")), "quantity": quantity})
    try:
        dispensing, _created = services.dispense(
            by=by, code=code, patient_check=check, items=lines,
            idempotency_key=request.POST.get("idempotency_key", ""),
            identity_document=request.POST.get("identity_document", ""))
    except PrescriptionConflict as conflict:
        messages.error(request, conflict.message)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PatientCheckLocked as locked:
        return _back_to_lookup(request, code, locked)
    else:
        return redirect("prescriptions:receipt", public_id=dispensing.public_id)
    return redirect("prescriptions:pharmacy-prescription", code=code)


@login_required
@require_POST
def pharmacy_refuse(request, code):
    by = _pharmacy(request)
    code = normalise_code(code)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            services.refuse_item(by=by, code=code, patient_check=_checked(request, code),
                                 line=form.cleaned_data["line"],
                                 reason=form.cleaned_data["reason"])
        except (PrescriptionConflict, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        except PatientCheckLocked as locked:
            return _back_to_lookup(request, code, locked)
        else:
            messages.success(request, _("Recorded: not dispensed here."))
    else:
        messages.error(request, _("Say why it was not dispensed."))
    return redirect("prescriptions:pharmacy-prescription", code=code)


@login_required
def receipt(request, public_id, *, printable: bool = False):
    dispensing = selectors.receipt(by=_pharmacy(request), public_id=public_id)
    lines = sorted(dispensing.lines.all(), key=lambda line: line.item.line)
    if printable and wants_pdf(request):
        return pdf_response(receipt_pdf(dispensing, lines), f"{dispensing.public_id}.pdf")
    template = "prescriptions/receipt_print.html" if printable else "prescriptions/receipt.html"
    return render(request, template, {
        "dispensing": dispensing, "code": format_code(dispensing.prescription.code),
        "lines": lines})
