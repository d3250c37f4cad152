"""Laboratory pages: the worklist and result entry, ordering from the card, and results
for patients and clinicians. Thin: services and selectors decide."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from clinics.labs import selectors, services
from clinics.labs.chart import history_svg
from clinics.labs.forms import CorrectionForm, LabOrderForm, OrderResultsForm
from clinics.labs.pdf import result_pdf
from dmed.models import AuditAction
from dmed.roles import Role
from patients.access import card_for


def _add_errors(form, error: ValidationError) -> None:
    for name, problems in error.message_dict.items():
        if name not in form.fields and name.endswith("-sampled_at"):
            name = "sampled_at"  # one sampling time for every test of the entry form
        form.add_error(name if name in form.fields else None, problems)


@login_required
def worklist(request):
    try:
        page = selectors.worklist(request.user, cursor=request.GET.get("cursor"))
    except ValidationError:
        page = selectors.worklist(request.user)
    return render(request, "clinics/labs/worklist.html", {
        "page": page, "corrections": selectors.corrections_awaiting_verification(request.user),
    })


def _open_items(order) -> list:
    """The ordered tests whose newest version is not released: the entry form's."""
    return [item for item in order.items.all()
            if item.latest_result is None or not item.latest_result.is_released]


def _rows(order, posted_form=None, posted_code=None):
    """Each ordered test with its versions, and the correction form of a released one."""
    rows = []
    for item in order.items.all():
        versions = list(item.results.all())
        latest = versions[-1] if versions else None
        form = None
        if latest is not None and latest.is_released:
            form = CorrectionForm(prefix=item.test.code)
            if posted_code == item.test.code and posted_form is not None:
                form = posted_form
        rows.append({"item": item, "versions": versions, "latest": latest, "form": form})
    return rows


def _posted_result_id(request) -> uuid.UUID:
    result_id = _as_uuid(request.POST.get("result_id"))
    if result_id is None:
        raise ValidationError({"result_id": [_("Choose a result of this order.")]})
    return result_id


@login_required
def laboratory_order(request, order_id):
    posted_form, posted_code, entry_form, status = None, None, None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "release":
                services.release_result(actor=request.user, order_id=order_id,
                                        result_id=_posted_result_id(request))
                messages.success(request, _("Result released."))
                return redirect("labs:order", order_id=order_id)
            if action == "correct":
                code = request.POST.get("test_code", "")
                posted_form, posted_code = CorrectionForm(request.POST, prefix=code), code
                if posted_form.is_valid():
                    data = posted_form.cleaned_data
                    services.correct_result(actor=request.user, order_id=order_id,
                                            result_id=_posted_result_id(request),
                                            value=data["value"], reason=data["reason"],
                                            comment=data["comment"])
                    messages.success(request, _("Correction saved; another technician "
                                                "verifies and releases it."))
                    return redirect("labs:order", order_id=order_id)
            else:  # every test still open, in one save
                order = selectors.laboratory_order(request.user, order_id)
                entry_form = OrderResultsForm(request.POST, items=_open_items(order))
                if entry_form.is_valid():
                    services.enter_results(actor=request.user, order_id=order_id,
                                           sampled_at=entry_form.cleaned_data["sampled_at"],
                                           values=entry_form.values())
                    messages.success(request, _("Results saved; verify and release them."))
                    return redirect("labs:order", order_id=order_id)
            status = 400
        except ValidationError as error:
            status = 400
            if entry_form is not None or posted_form is not None:
                _add_errors(entry_form or posted_form, error)
            else:
                messages.error(request, " ".join(error.messages))
        except PermissionDenied as refusal:
            status = 403
            messages.error(request, str(refusal))
    order = selectors.laboratory_order(request.user, order_id)
    open_items = _open_items(order)
    if entry_form is None and open_items:
        entry_form = OrderResultsForm(items=open_items)
    return render(request, "clinics/labs/order.html", {
        "order": order, "rows": _rows(order, posted_form, posted_code),
        "entry_form": entry_form,
    }, status=status)


def _as_uuid(value) -> uuid.UUID | None:
    """A visit id as typed into the URL, if it is one (it only makes the link back)."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@login_required
def new_order(request, med_id):
    access = card_for(request.user, med_id)
    if request.user.role not in (Role.CLINICIAN, Role.NURSE):
        raise PermissionDenied
    form = LabOrderForm(request.POST or None, initial={"visit": request.GET.get("visit")},
                        suggested_tests=request.GET.getlist("test"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.place_lab_order(
                actor=request.user, med_id=med_id, laboratory=data["laboratory"],
                tests=list(data["tests"]), priority=data["priority"],
                clinical_note=data["clinical_note"], visit_id=data["visit"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Tests ordered."))
            if data["visit"]:  # ordered from the visit form: back to writing the visit
                return redirect("clinics:visit-edit", public_id=order.visit.public_id)
            return redirect("labs:card-results", med_id=access.card.med_id)
    return render(request, "clinics/labs/order_new.html", {
        "card": access.card, "form": form, "visit_id": _as_uuid(form["visit"].value()),
    }, status=400 if form.errors else 200)


@login_required
def card_results(request, med_id):
    access, histories = selectors.card_results(request.user, med_id)
    for history in histories:
        history.chart = history_svg(history.current, label=history.test.name)
    return render(request, "clinics/labs/results.html", {
        "card": access.card, "histories": histories, "break_glass": access.break_glass,
    })


@login_required
def my_results(request):
    card = getattr(request.user, "patient_card", None) if request.user.role == Role.PATIENT \
        else None
    if card is None:
        raise PermissionDenied
    return card_results(request, card.med_id)


@login_required
def result_detail(request, result_id):
    result = selectors.released_result(request.user, result_id)
    history = selectors.test_history(result)
    return render(request, "clinics/labs/result.html", {
        "result": result, "history": history,
        "chart": history_svg(history, label=result.test.name),
        "corrected_by": getattr(result, "corrected_by", None),
        # What apps above the laboratory add (the results inbox: who was told, who
        # acknowledged), through the settings hook.
        "sections": [import_string(path)(request, result)
                     for path in settings.LAB_RESULT_SECTIONS],
    })


@login_required
def result_pdf_download(request, result_id):
    result = selectors.released_result(request.user, result_id, action=AuditAction.PRINT)
    response = HttpResponse(result_pdf(result, selectors.test_history(result)),
                            content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{result.test.code}-{result.card.med_id}-v{result.version}.pdf"')
    return response
